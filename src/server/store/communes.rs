//! Reference data: the French communes and départements (built from migrations/communes).

use super::sql::Sql;
use super::{Store, StoreResult};
use crate::domain::place::{PositionSource, normalise};

const COMMUNE_COLUMNS: &str =
    "c.insee_code, c.name, c.departement, c.postcodes, c.population, c.latitude, c.longitude";

/// A commune of the place field.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CommuneRecord {
    pub insee_code: String,
    pub name: String,
    pub departement: String,
    /// Space-separated.
    pub postcodes: String,
    pub population: i64,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A commune and the position a practitioner there gets: the commune's coordinates, or the
/// centre of its département's communes when the list has none for it.
#[derive(Debug, Clone, PartialEq)]
pub struct LocatedCommune {
    pub commune: CommuneRecord,
    pub latitude: f64,
    pub longitude: f64,
    pub source: PositionSource,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DepartementRecord {
    pub code: String,
    pub name: String,
    /// The département's default search radius, if it has one.
    pub radius_km: Option<i64>,
}

impl Store {
    pub async fn communes_version(&self) -> StoreResult<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT version FROM reference_data WHERE name = 'communes'")
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| r.0))
    }

    /// Replaces the communes and départements in one transaction, and records their version.
    pub async fn replace_communes(
        &self,
        version: &str,
        departements: &[(String, String)],
        communes: &[CommuneRecord],
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for table in ["commune_postcodes", "communes", "departements"] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        for chunk in departements.chunks(500) {
            let mut insert = Sql::new("INSERT INTO departements (code, name)");
            insert.values(chunk, |row, (code, name)| {
                row.bind(code.as_str()).bind(name.as_str());
            });
            insert.execute(&mut *tx).await?;
        }
        for chunk in communes.chunks(1000) {
            let mut insert = Sql::new(
                "INSERT INTO communes (insee_code, name, search_name, departement, postcodes,
                     population, latitude, longitude)",
            );
            insert.values(chunk, |row, c| {
                row.bind(c.insee_code.as_str())
                    .bind(c.name.as_str())
                    .bind(normalise(&c.name))
                    .bind(c.departement.as_str())
                    .bind(c.postcodes.as_str())
                    .bind(c.population)
                    .bind(c.latitude)
                    .bind(c.longitude);
            });
            insert.execute(&mut *tx).await?;
            let pairs: Vec<(&str, &str)> = chunk
                .iter()
                .flat_map(|c| {
                    c.postcodes
                        .split_whitespace()
                        .map(|p| (p, c.insee_code.as_str()))
                })
                .collect();
            for pairs in pairs.chunks(1000) {
                let mut insert = Sql::new("INSERT INTO commune_postcodes (postcode, insee_code)");
                insert.values(pairs, |row, (postcode, insee)| {
                    row.bind(*postcode).bind(*insee);
                });
                insert.push(" ON CONFLICT DO NOTHING");
                insert.execute(&mut *tx).await?;
            }
        }
        sqlx::query(
            "INSERT INTO reference_data (name, version) VALUES ('communes', $1)
             ON CONFLICT (name) DO UPDATE SET version = excluded.version",
        )
        .bind(version)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Communes whose name starts with the words of `text`, or whose postcode starts with
    /// its digits; most populated first.
    pub async fn find_communes(&self, text: &str, limit: i64) -> StoreResult<Vec<CommuneRecord>> {
        let text = text.trim();
        let by_postcode =
            !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit());
        let (sql, key) = if by_postcode {
            (
                format!(
                    "SELECT DISTINCT {COMMUNE_COLUMNS} FROM commune_postcodes cp
                     JOIN communes c ON c.insee_code = cp.insee_code
                     WHERE cp.postcode >= $1 AND cp.postcode < $2
                     ORDER BY c.population DESC, c.name, c.insee_code LIMIT $3"
                ),
                text.to_string(),
            )
        } else {
            (
                format!(
                    "SELECT {COMMUNE_COLUMNS} FROM communes c
                     WHERE c.search_name >= $1 AND c.search_name < $2
                     ORDER BY c.population DESC, c.name, c.insee_code LIMIT $3"
                ),
                normalise(text),
            )
        };
        if key.is_empty() {
            return Ok(Vec::new());
        }
        // Every normalised character sorts before '~': [key, key~) holds the names it starts.
        let end = format!("{key}~");
        Ok(sqlx::query_as(&sql)
            .bind(&key)
            .bind(&end)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn commune(&self, insee_code: &str) -> StoreResult<Option<CommuneRecord>> {
        let sql = format!("SELECT {COMMUNE_COLUMNS} FROM communes c WHERE c.insee_code = $1");
        Ok(sqlx::query_as(&sql)
            .bind(insee_code)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The commune of `insee_code` and its position; `None` if the list does not know it, or
    /// neither it nor any commune of its département has coordinates.
    pub async fn locate_commune(&self, insee_code: &str) -> StoreResult<Option<LocatedCommune>> {
        let Some(commune) = self.commune(insee_code).await? else {
            return Ok(None);
        };
        if let (Some(latitude), Some(longitude)) = (commune.latitude, commune.longitude) {
            return Ok(Some(LocatedCommune {
                commune,
                latitude,
                longitude,
                source: PositionSource::Commune,
            }));
        }
        let centre: (Option<f64>, Option<f64>) = sqlx::query_as(
            "SELECT AVG(latitude), AVG(longitude) FROM communes
             WHERE departement = $1 AND latitude IS NOT NULL AND longitude IS NOT NULL",
        )
        .bind(&commune.departement)
        .fetch_one(&self.pool)
        .await?;
        Ok(match centre {
            (Some(latitude), Some(longitude)) => Some(LocatedCommune {
                commune,
                latitude,
                longitude,
                source: PositionSource::Departement,
            }),
            _ => None,
        })
    }

    pub async fn departement(&self, code: &str) -> StoreResult<Option<DepartementRecord>> {
        Ok(sqlx::query_as(
            "SELECT d.code, d.name, r.radius_km FROM departements d
             LEFT JOIN search_radius r ON r.departement = d.code WHERE d.code = $1",
        )
        .bind(code)
        .fetch_optional(&self.pool)
        .await?)
    }
}
