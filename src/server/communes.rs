//! Loads the French communes and départements (built by `migrations/communes/build.mjs` from
//! registry packages) into the database, when missing or changed.

use super::store::{CommuneRecord, Store};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Where `.ci/setup` builds the files, relative to the project root.
pub const DEFAULT_DIR: &str = "migrations/communes";

/// Loads `communes.tsv` and `departements.tsv` of `dir` unless the database holds this very
/// version already. Returns the number of communes loaded (0 when up to date).
pub async fn ensure_loaded(store: &Store, dir: &Path) -> Result<usize, String> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "liste des communes introuvable ({}) : {e}. Lancez `node migrations/communes/build.mjs` \
                 après `npm ci` dans ce dossier (ou .ci/setup).",
                path.display()
            )
        })
    };
    let (communes, departements) = (read("communes.tsv")?, read("departements.tsv")?);
    let version = format!(
        "{:x}",
        Sha256::new()
            .chain_update(&communes)
            .chain_update(&departements)
            .finalize()
    );
    let current = store.communes_version().await.map_err(|e| e.to_string())?;
    if current.as_deref() == Some(version.as_str()) {
        return Ok(0);
    }
    let departements = parse_departements(&departements)?;
    let communes = parse_communes(&communes)?;
    store
        .replace_communes(&version, &departements, &communes)
        .await
        .map_err(|e| e.to_string())?;
    Ok(communes.len())
}

fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .skip(1)
        .filter(|(_, line)| !line.is_empty())
        .map(|(i, line)| (i + 1, line.split('\t').collect()))
}

fn parse_departements(text: &str) -> Result<Vec<(String, String)>, String> {
    rows(text)
        .map(|(n, cols)| match cols[..] {
            [code, name] => Ok((code.to_string(), name.to_string())),
            _ => Err(format!(
                "departements.tsv, ligne {n} : 2 colonnes attendues"
            )),
        })
        .collect()
}

pub fn parse_communes(text: &str) -> Result<Vec<CommuneRecord>, String> {
    rows(text)
        .map(|(n, cols)| {
            let bad = || format!("communes.tsv, ligne {n} : ligne mal formée");
            let [insee, name, departement, postcodes, population, lat, lon] = cols[..] else {
                return Err(bad());
            };
            let coordinate = |v: &str| match v {
                "" => Ok(None),
                v => v.parse::<f64>().map(Some).map_err(|_| bad()),
            };
            Ok(CommuneRecord {
                insee_code: insee.to_string(),
                name: name.to_string(),
                departement: departement.to_string(),
                postcodes: postcodes.to_string(),
                population: population.parse().map_err(|_| bad())?,
                latitude: coordinate(lat)?,
                longitude: coordinate(lon)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_parsed_and_bad_ones_named() {
        let ok = parse_communes(
            "insee\tname\tdepartement\tpostcodes\tpopulation\tlatitude\tlongitude\n\
             69001\tAffoux\t69\t69170\t398\t\t\n\
             69123\tLyon\t69\t69001 69002\t519127\t45.74906\t4.84789\n",
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!((ok[0].latitude, ok[1].longitude), (None, Some(4.84789)));
        let bad = parse_communes("header\n69001\tAffoux\t69\n").unwrap_err();
        assert_eq!(bad, "communes.tsv, ligne 2 : ligne mal formée");
    }
}
