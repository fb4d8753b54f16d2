//! Places: INSEE commune codes, distances and bounding boxes, and the name normalisation the
//! commune autocomplete searches with.

use serde::{Deserialize, Serialize};

/// A commune code of the INSEE: five characters, digits but for Corsica (2A / 2B).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InseeCode(String);

impl InseeCode {
    pub fn parse(input: &str) -> Result<Self, String> {
        let code = input.trim().to_uppercase();
        let bytes = code.as_bytes();
        let valid = bytes.len() == 5
            && (bytes[..2].iter().all(u8::is_ascii_digit) || matches!(&bytes[..2], b"2A" | b"2B"))
            && bytes[2..].iter().all(u8::is_ascii_digit);
        if valid {
            Ok(Self(code))
        } else {
            Err(format!(
                "Code commune INSEE invalide : « {} » (5 caractères attendus, par exemple 69123).",
                input.trim()
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a practitioner's position comes from: their commune's coordinates, or, when the
/// commune list has none for it, the centre of their département's communes (approximate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PositionSource {
    Commune,
    Departement,
}

impl PositionSource {
    pub fn code(self) -> &'static str {
        match self {
            PositionSource::Commune => "commune",
            PositionSource::Departement => "departement",
        }
    }

    /// What the search card says of an approximate position.
    pub const APPROXIMATE: &str =
        "Position approximative (centre du département) : distance indicative.";
}

impl TryFrom<String> for PositionSource {
    type Error = super::ids::UnknownCode;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        [PositionSource::Commune, PositionSource::Departement]
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or(super::ids::UnknownCode(code))
    }
}

const EARTH_RADIUS_KM: f64 = 6371.0;

/// Great-circle distance in kilometres (haversine).
pub fn distance_km(from: (f64, f64), to: (f64, f64)) -> f64 {
    let (lat1, lat2) = (from.0.to_radians(), to.0.to_radians());
    let (dlat, dlon) = ((to.0 - from.0).to_radians(), (to.1 - from.1).to_radians());
    let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

/// The smallest latitude / longitude box that holds the circle of `radius_km` around `center`:
/// (min latitude, max latitude, min longitude, max longitude).
pub fn bounding_box(center: (f64, f64), radius_km: f64) -> (f64, f64, f64, f64) {
    let dlat = (radius_km / EARTH_RADIUS_KM).to_degrees();
    // The box widens with the latitude of its edge nearest to the pole.
    let edge = (center.0.abs() + dlat).min(89.0).to_radians();
    let dlon = (radius_km / (EARTH_RADIUS_KM * edge.cos())).to_degrees();
    (
        center.0 - dlat,
        center.0 + dlat,
        center.1 - dlon,
        center.1 + dlon,
    )
}

/// "3,2 km", "850 m".
pub fn distance_label(km: f64) -> String {
    if km < 1.0 {
        format!("{} m", ((km * 1000.0 / 10.0).round() * 10.0) as i64)
    } else {
        format!("{:.1} km", km).replace('.', ",")
    }
}

/// Lower-case ASCII words separated by one space: "Saint-Étienne" → "saint etienne".
/// The commune table stores names this way, so that "SAINT-ÉTIENNE" or "saint etienne" finds them.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => "o",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            'œ' => "oe",
            'æ' => "ae",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => " ",
        };
        if folded == " " {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push_str(folded);
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// A commune proposed by the place field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommuneOption {
    pub insee: String,
    pub name: String,
    pub departement: String,
    pub postcodes: String,
}

impl CommuneOption {
    /// "Lyon (69)", as the field shows it once chosen.
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.departement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insee_codes() {
        for (input, ok) in [
            ("69123", Some("69123")),
            (" 2a004 ", Some("2A004")),
            ("97411", Some("97411")),
            ("6912", None),
            ("2C004", None),
            ("69 12", None),
            ("", None),
        ] {
            assert_eq!(
                InseeCode::parse(input).ok().as_ref().map(InseeCode::as_str),
                ok,
                "{input}"
            );
        }
    }

    #[test]
    fn position_sources_round_trip() {
        for source in [PositionSource::Commune, PositionSource::Departement] {
            assert_eq!(
                PositionSource::try_from(source.code().to_string()),
                Ok(source)
            );
        }
        assert!(PositionSource::try_from("gps".to_string()).is_err());
    }

    #[test]
    fn distances() {
        let paris = (48.8534, 2.3488);
        let lyon = (45.7485, 4.8467);
        // Paris – Lyon is about 392 km as the crow flies.
        assert!((distance_km(paris, lyon) - 392.0).abs() < 3.0);
        assert_eq!(distance_km(paris, paris), 0.0);
        assert!((distance_km(paris, lyon) - distance_km(lyon, paris)).abs() < 1e-9);
        assert_eq!(distance_label(0.844), "840 m");
        assert_eq!(distance_label(3.25), "3,2 km");
        assert_eq!(distance_label(12.0), "12,0 km");
    }

    #[test]
    fn a_box_holds_its_circle() {
        for center in [(48.85, 2.35), (43.3, 5.4), (-21.1, 55.5), (51.0, 2.3)] {
            for radius in [1.0, 5.0, 50.0, 200.0] {
                let (lat0, lat1, lon0, lon1) = bounding_box(center, radius);
                // Points on the circle, in every direction, fall inside the box.
                for step in 0..72 {
                    let bearing = f64::from(step) * 5.0_f64.to_radians();
                    let d = radius / EARTH_RADIUS_KM * 0.999;
                    let (la, lo) = (center.0.to_radians(), center.1.to_radians());
                    let lat = (la.sin() * d.cos() + la.cos() * d.sin() * bearing.cos()).asin();
                    let lon = lo
                        + (bearing.sin() * d.sin() * la.cos())
                            .atan2(d.cos() - la.sin() * lat.sin());
                    let (lat, lon) = (lat.to_degrees(), lon.to_degrees());
                    assert!(distance_km(center, (lat, lon)) <= radius);
                    assert!(lat0 <= lat && lat <= lat1 && lon0 <= lon && lon <= lon1);
                }
            }
        }
    }

    #[test]
    fn names_are_normalised_like_the_commune_list() {
        for (input, expected) in [
            ("Saint-Étienne", "saint etienne"),
            ("L'Haÿ-les-Roses", "l hay les roses"),
            ("  Œuilly ", "oeuilly"),
            ("Paris 4e Arrondissement", "paris 4e arrondissement"),
            ("--", ""),
        ] {
            assert_eq!(normalise(input), expected, "{input}");
        }
    }
}
