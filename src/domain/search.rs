//! The regulators' search as the URL states it: place, radius, filters, page. Parsed once,
//! the same way in the browser and on the server, into a `SearchQuery`. And what it gives
//! back: a page of practitioner cards with their slots (`SearchResults`).

use super::agenda::{Mode, paris_today};
use super::field::FieldError;
use super::identity::Departement;
use super::ids::{PractitionerId, SlotId};
use super::place::InseeCode;
use super::specialty::Specialty;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use serde::{Deserialize, Serialize};

pub const MIN_RADIUS_KM: u32 = 1;
pub const MAX_RADIUS_KM: u32 = 200;
/// Radius of a département that has no default of its own.
pub const DEFAULT_RADIUS_KM: u32 = 20;
pub const PAGE_SIZE: usize = 5;
/// How far ahead the search looks by default: today, tomorrow and the day after.
pub const WINDOW_HOURS: i64 = 72;

/// Which days the slots may fall on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Window {
    Next72Hours,
    Today,
    Tomorrow,
    DayAfter,
}

impl Window {
    pub const ALL: [Window; 4] = [
        Window::Next72Hours,
        Window::Today,
        Window::Tomorrow,
        Window::DayAfter,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Window::Next72Hours => "72h",
            Window::Today => "j0",
            Window::Tomorrow => "j1",
            Window::DayAfter => "j2",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Window::Next72Hours => "Les 72 prochaines heures",
            Window::Today => "Aujourd'hui",
            Window::Tomorrow => "Demain (J+1)",
            Window::DayAfter => "Après-demain (J+2)",
        }
    }

    /// The instants `[from, to)` it covers, from `now`.
    fn span(self, now: DateTime<Utc>) -> (i64, i64) {
        let midnight = |day: NaiveDate| {
            Paris
                .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
                .earliest()
                .map_or(now.timestamp(), |t| t.timestamp())
        };
        let today = paris_today(now);
        let day = |n: i64| {
            (
                midnight(today + Duration::days(n)),
                midnight(today + Duration::days(n + 1)),
            )
        };
        match self {
            Window::Next72Hours => (now.timestamp(), now.timestamp() + WINDOW_HOURS * 3600),
            Window::Today => day(0),
            Window::Tomorrow => day(1),
            Window::DayAfter => day(2),
        }
    }
}

/// "Disponible sous": how soon the slot starts, in hours from now, and its URL code.
pub const WITHIN: [(u32, u32, &str); 6] = [
    (0, 4, "0-4"),
    (4, 8, "4-8"),
    (8, 12, "8-12"),
    (12, 24, "12-24"),
    (24, 48, "24-48"),
    (48, 72, "48-72"),
];

pub fn within_label(from: u32, to: u32) -> String {
    format!("{from} – {to} h")
}

/// Where to search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Place {
    Commune(InseeCode),
    /// A commune typed by name or postcode without choosing it in the list (no JavaScript):
    /// the best match is taken.
    Text(String),
    Departement(Departement),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchQuery {
    pub place: Place,
    /// Around the commune; `None` is the département's default.
    pub radius_km: Option<u32>,
    /// The commune's whole département instead of a radius.
    pub whole_departement: bool,
    pub specialty: Specialty,
    pub window: Window,
    /// "Disponible sous" ranges chosen; empty means no limit within the window.
    pub within: Vec<(u32, u32)>,
    pub modes: Vec<Mode>,
    /// "Afficher les PS disposant de créneaux disponibles".
    pub only_with_slots: bool,
    /// From 1.
    pub page: usize,
    /// Seed of the département rotation, kept while paging.
    pub rotation: Option<u64>,
}

impl SearchQuery {
    /// The instants `[from, to)` where slots are searched, sorted and merged; all after `now`.
    pub fn intervals(&self, now: DateTime<Utc>) -> Vec<(i64, i64)> {
        let (from, to) = self.window.span(now);
        let from = from.max(now.timestamp() + 1);
        let hours = |h: u32| now.timestamp() + i64::from(h) * 3600;
        let mut spans: Vec<(i64, i64)> = if self.within.is_empty() {
            vec![(from, to)]
        } else {
            self.within
                .iter()
                .map(|&(a, b)| (hours(a).max(from), hours(b).min(to)))
                .collect()
        };
        spans.retain(|(a, b)| a < b);
        spans.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::new();
        for (a, b) in spans {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged
    }
}

/// The search as typed in the form or the URL: every value a string, nothing checked yet.
/// Field names are the URL's; `inseecode`, `city`, `speciality` and `origin` are those
/// call-centre software sends to open a prefilled search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchParams {
    pub inseecode: String,
    pub city: String,
    pub departement: String,
    pub rayon: String,
    /// "departement" for a whole-département search around the chosen commune.
    pub perimetre: String,
    pub speciality: String,
    pub fenetre: String,
    /// Comma-separated "Disponible sous" codes, e.g. "0-4,4-8".
    pub sous: String,
    /// Comma-separated modes; empty is both.
    pub mode: String,
    /// "1" lists practitioners without slots too.
    pub tous: String,
    pub page: String,
    pub ordre: String,
    pub origin: String,
}

impl SearchParams {
    /// From URL query pairs; unknown keys are ignored.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut p = Self::default();
        for (key, value) in pairs {
            if let Some(field) = p.field_mut(key) {
                *field = value.to_string();
            }
        }
        p
    }

    fn field_mut(&mut self, key: &str) -> Option<&mut String> {
        Some(match key {
            "inseecode" => &mut self.inseecode,
            "city" => &mut self.city,
            "departement" => &mut self.departement,
            "rayon" => &mut self.rayon,
            "perimetre" => &mut self.perimetre,
            "speciality" => &mut self.speciality,
            "fenetre" => &mut self.fenetre,
            "sous" => &mut self.sous,
            "mode" => &mut self.mode,
            "tous" => &mut self.tous,
            "page" => &mut self.page,
            "ordre" => &mut self.ordre,
            "origin" => &mut self.origin,
            _ => return None,
        })
    }

    fn pairs(&self) -> [(&'static str, &str); 13] {
        [
            ("inseecode", &self.inseecode),
            ("city", &self.city),
            ("departement", &self.departement),
            ("rayon", &self.rayon),
            ("perimetre", &self.perimetre),
            ("speciality", &self.speciality),
            ("fenetre", &self.fenetre),
            ("sous", &self.sous),
            ("mode", &self.mode),
            ("tous", &self.tous),
            ("page", &self.page),
            ("ordre", &self.ordre),
            ("origin", &self.origin),
        ]
    }

    /// `/recherche?…` with the non-empty values.
    pub fn url(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.pairs() {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
        format!("/recherche?{}", query.finish())
    }

    /// Nothing to search yet: no place given.
    pub fn has_place(&self) -> bool {
        [&self.inseecode, &self.city, &self.departement]
            .iter()
            .any(|v| !v.trim().is_empty())
    }

    /// A new search (page 1, new rotation) with one value changed.
    pub fn with(&self, key: &str, value: &str) -> Self {
        let mut next = self.clone();
        if let Some(field) = next.field_mut(key) {
            *field = value.to_string();
        }
        next.page.clear();
        next.ordre.clear();
        next
    }

    pub fn parse(&self) -> Result<SearchQuery, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.into(),
                message,
            })
        };
        let radius_km = match self.rayon.trim() {
            "" => None,
            r => match r.parse::<u32>() {
                Ok(km) if (MIN_RADIUS_KM..=MAX_RADIUS_KM).contains(&km) => Some(km),
                _ => {
                    fail(
                        "rayon",
                        format!(
                            "Le rayon doit être un nombre entier de kilomètres entre {MIN_RADIUS_KM} et {MAX_RADIUS_KM}."
                        ),
                    );
                    None
                }
            },
        };
        let whole_departement = match self.perimetre.as_str() {
            "" | "rayon" => false,
            "departement" => true,
            _ => {
                fail(
                    "perimetre",
                    "Périmètre inconnu : choisissez un rayon ou tout le département.".into(),
                );
                false
            }
        };
        let place = if !self.inseecode.trim().is_empty() {
            InseeCode::parse(&self.inseecode)
                .map(Place::Commune)
                .map_err(|m| fail("lieu", m))
                .ok()
        } else if !self.city.trim().is_empty() {
            Some(Place::Text(self.city.trim().to_string()))
        } else if !self.departement.trim().is_empty() {
            Departement::parse(&self.departement)
                .map(Place::Departement)
                .map_err(|m| fail("lieu", m))
                .ok()
        } else {
            fail(
                "lieu",
                "Saisissez une commune ou un code postal, puis choisissez-la dans la liste.".into(),
            );
            None
        };
        let specialty = match self.speciality.trim() {
            "" => Some(Specialty::ALL[0]),
            s => Specialty::find(s),
        };
        if specialty.is_none() {
            fail(
                "specialite",
                format!("Spécialité inconnue : « {} ».", self.speciality.trim()),
            );
        }
        let window = match self.fenetre.as_str() {
            "" => Some(Window::Next72Hours),
            code => Window::ALL.into_iter().find(|w| w.code() == code),
        };
        if window.is_none() {
            fail(
                "fenetre",
                "Période inconnue : choisissez les 72 prochaines heures, aujourd'hui, demain ou après-demain.".into(),
            );
        }
        let mut within = Vec::new();
        for code in list(&self.sous) {
            match WITHIN.iter().find(|w| w.2 == code).map(|w| (w.0, w.1)) {
                Some(w) if !within.contains(&w) => within.push(w),
                Some(_) => {}
                None => fail(
                    "sous",
                    format!(
                        "Délai « {code} » inconnu : choisissez parmi 0 – 4 h, 4 – 8 h, 8 – 12 h, 12 – 24 h, 24 – 48 h, 48 – 72 h."
                    ),
                ),
            }
        }
        let mut modes = Vec::new();
        for code in list(&self.mode) {
            match Mode::from_code(code) {
                Some(m) if !modes.contains(&m) => modes.push(m),
                Some(_) => {}
                None => fail(
                    "mode",
                    format!("Type de consultation « {code} » inconnu : au cabinet ou en vidéo."),
                ),
            }
        }
        if modes.is_empty() {
            modes = vec![Mode::Cabinet, Mode::Video];
        }
        let only_with_slots = match self.tous.as_str() {
            "" | "0" => true,
            "1" => false,
            _ => {
                fail("tous", "Valeur inattendue pour l'affichage des PS.".into());
                true
            }
        };
        let page = match self.page.trim() {
            "" => 1,
            p => p
                .parse::<usize>()
                .ok()
                .filter(|p| (1..=10_000).contains(p))
                .unwrap_or_else(|| {
                    fail("page", format!("Numéro de page invalide : « {p} »."));
                    1
                }),
        };
        let rotation = match self.ordre.trim() {
            "" => None,
            o => o
                .parse::<u64>()
                .map_err(|_| fail("ordre", format!("Ordre de rotation invalide : « {o} ».")))
                .ok(),
        };
        match (place, specialty, window) {
            (Some(place), Some(specialty), Some(window)) if errors.is_empty() => Ok(SearchQuery {
                place,
                radius_km,
                whole_departement,
                specialty,
                window,
                within,
                modes,
                only_with_slots,
                page,
                rotation,
            }),
            _ => Err(errors),
        }
    }
}

fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// The free slots of one practitioner that the eligibility rule shows, in time order, packed for
/// the search (`practitioners.sas_slots`): 4 bytes each, little-endian minutes since the Unix epoch, the
/// top bit set for a video slot. A search reads one row per practitioner instead of every slot.
pub fn pack_slots(slots: impl IntoIterator<Item = (i64, Mode)>) -> Vec<u8> {
    let mut packed = Vec::new();
    for (starts_at, mode) in slots {
        let Ok(minutes) = u32::try_from(starts_at.div_euclid(60)) else {
            continue;
        };
        let video = if mode == Mode::Video { 1 << 31 } else { 0 };
        packed.extend_from_slice(&((minutes & !(1 << 31)) | video).to_le_bytes());
    }
    packed
}

/// How many packed slots start in one of `intervals` (seconds, sorted, disjoint) in one of
/// `modes`. Slots are packed in time order: each interval's bounds are found by binary search.
pub fn count_packed(packed: &[u8], intervals: &[(i64, i64)], modes: &[Mode]) -> i64 {
    let (cabinet, video) = (modes.contains(&Mode::Cabinet), modes.contains(&Mode::Video));
    let word = |i: usize| {
        u32::from_le_bytes([
            packed[4 * i],
            packed[4 * i + 1],
            packed[4 * i + 2],
            packed[4 * i + 3],
        ])
    };
    let starts_at = |i: usize| i64::from(word(i) & !(1 << 31)) * 60;
    // The first slot starting at `t` or later.
    let first_from = |t: i64| {
        let (mut lo, mut hi) = (0, packed.len() / 4);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if starts_at(mid) < t {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    };
    let wanted = |i: usize| if word(i) >> 31 == 1 { video } else { cabinet };
    intervals
        .iter()
        .map(|&(a, z)| {
            let (lo, hi) = (first_from(a), first_from(z));
            if cabinet && video {
                hi.saturating_sub(lo)
            } else {
                (lo..hi).filter(|&i| wanted(i)).count()
            }
        })
        .sum::<usize>() as i64
}

/// The place of a practitioner in the fair rotation of a département search: a different
/// order for each `seed` (each new search), the same for one seed (while paging).
pub fn rotation_key(seed: u64, practitioner_id: PractitionerId) -> u64 {
    // SplitMix64 of the pair: a well-mixed, stable permutation.
    let mut z = seed ^ (practitioner_id.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What a search gives back: one page of practitioner cards, and how the search was run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The search as run: commune resolved, rotation seed and page set. Page links derive from it.
    pub params: SearchParams,
    /// "Lyon (69)" or "Rhône (69)".
    pub place: String,
    /// "dans un rayon de 10 km, par distance" or "dans tout le département, par rotation".
    pub scope: String,
    /// Set when a commune without known coordinates was searched département-wide.
    pub notice: Option<String>,
    pub practitioner_count: usize,
    pub slot_count: i64,
    /// From 1; `pages` is 0 when nothing was found.
    pub page: usize,
    pub pages: usize,
    pub cards: Vec<PractitionerCard>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PractitionerCard {
    pub id: PractitionerId,
    /// "Dr Sophie Martin"
    pub name: String,
    pub specialty: String,
    pub address: String,
    /// "3,2 km", for a search around a commune.
    pub distance: Option<String>,
    /// `tel:` target and display, or `None`: "N° de téléphone non renseigné".
    pub phone: Option<(String, String)>,
    /// Badges: some slot has « Soins non programmés » / is open to new patients.
    pub snp: bool,
    pub new_patients: bool,
    /// Only video slots are listed: the practitioner is beyond the radius.
    pub video_only: bool,
    /// Their position is their département's centre (their commune has no coordinates).
    pub approximate_position: bool,
    pub days: Vec<DaySlots>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaySlots {
    pub label: String,
    pub slots: Vec<SlotLink>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotLink {
    pub id: SlotId,
    pub time: String,
    pub mode: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> SearchParams {
        SearchParams::from_pairs(pairs.iter().copied())
    }

    fn errors(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        params(pairs)
            .parse()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn defaults_of_a_prefilled_search() {
        let q = params(&[
            ("inseecode", "69123"),
            ("city", "Lyon"),
            ("speciality", "SM54"),
            ("origin", "logiciel-crra"),
        ])
        .parse()
        .unwrap();
        assert_eq!(q.place, Place::Commune(InseeCode::parse("69123").unwrap()));
        assert_eq!((q.radius_km, q.whole_departement), (None, false));
        assert_eq!(q.specialty, Specialty::GeneralPractice);
        assert_eq!(q.window, Window::Next72Hours);
        assert_eq!(q.modes, [Mode::Cabinet, Mode::Video]);
        assert!(q.within.is_empty() && q.only_with_slots && q.page == 1 && q.rotation.is_none());
    }

    #[test]
    fn every_value_is_checked_with_a_french_message() {
        for (pairs, field) in [
            (&[("inseecode", "6912")][..], "lieu"),
            (&[("departement", "20")][..], "lieu"),
            (&[][..], "lieu"),
            (&[("inseecode", "69123"), ("rayon", "0")][..], "rayon"),
            (&[("inseecode", "69123"), ("rayon", "201")][..], "rayon"),
            (&[("inseecode", "69123"), ("rayon", "dix")][..], "rayon"),
            (
                &[("inseecode", "69123"), ("perimetre", "pays")][..],
                "perimetre",
            ),
            (
                &[("inseecode", "69123"), ("speciality", "chirurgie")][..],
                "specialite",
            ),
            (&[("inseecode", "69123"), ("fenetre", "j9")][..], "fenetre"),
            (&[("inseecode", "69123"), ("sous", "0-4,3-5")][..], "sous"),
            (&[("inseecode", "69123"), ("mode", "domicile")][..], "mode"),
            (&[("inseecode", "69123"), ("page", "0")][..], "page"),
            (&[("inseecode", "69123"), ("page", "-2")][..], "page"),
            (&[("inseecode", "69123"), ("ordre", "x")][..], "ordre"),
            (&[("inseecode", "69123"), ("tous", "oui")][..], "tous"),
        ] {
            let found = errors(pairs);
            assert_eq!(found.len(), 1, "{pairs:?}: {found:?}");
            assert_eq!(found[0].0, field, "{pairs:?}");
            assert!(!found[0].1.is_empty());
        }
        let q = params(&[
            ("departement", "2a"),
            ("rayon", "200"),
            ("sous", "0-4, 48-72,0-4"),
            ("mode", "video"),
            ("tous", "1"),
            ("page", "3"),
            ("ordre", "42"),
            ("speciality", "Pédiatrie"),
        ])
        .parse()
        .unwrap();
        assert_eq!(
            q.place,
            Place::Departement(Departement::parse("2A").unwrap())
        );
        assert_eq!(q.within, [(0, 4), (48, 72)]);
        assert_eq!(
            (q.modes.as_slice(), q.only_with_slots),
            (&[Mode::Video][..], false)
        );
        assert_eq!(
            (q.page, q.rotation, q.specialty),
            (3, Some(42), Specialty::Pediatrics)
        );
    }

    #[test]
    fn urls_round_trip_and_a_change_starts_a_new_search() {
        let p = params(&[
            ("inseecode", "75104"),
            ("city", "Paris 4e Arrondissement"),
            ("sous", "0-4,4-8"),
            ("page", "2"),
            ("ordre", "7"),
        ]);
        let url = p.url();
        assert!(url.starts_with("/recherche?inseecode=75104&city=Paris+4e+Arrondissement"));
        let query = url.split_once('?').unwrap().1;
        let back: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            SearchParams::from_pairs(back.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            p
        );
        let changed = p.with("mode", "video");
        assert_eq!(
            (
                changed.mode.as_str(),
                changed.page.as_str(),
                changed.ordre.as_str()
            ),
            ("video", "", "")
        );
    }

    #[test]
    fn time_filters_become_merged_intervals_after_now() {
        // Tuesday 1 December 2026, 10:00 in Paris (09:00 UTC).
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let t = now.timestamp();
        let h = |n: i64| t + n * 3600;
        let query = |fenetre: &str, sous: &str| {
            params(&[("inseecode", "69123"), ("fenetre", fenetre), ("sous", sous)])
                .parse()
                .unwrap()
                .intervals(now)
        };
        assert_eq!(query("", ""), [(t + 1, h(72))]);
        // Today ends at midnight Paris time: 14 hours from 10:00.
        assert_eq!(query("j0", ""), [(t + 1, h(14))]);
        assert_eq!(query("j1", ""), [(h(14), h(38))]);
        assert_eq!(query("j2", ""), [(h(38), h(62))]);
        assert_eq!(query("", "4-8,0-4,12-24"), [(t + 1, h(8)), (h(12), h(24))]);
        assert_eq!(query("j1", "0-4,4-8,8-12,12-24"), [(h(14), h(24))]);
        assert_eq!(query("j0", "48-72"), []);
    }

    #[test]
    fn packed_slots_count_by_time_and_mode() {
        let t = 1_796_000_000 - 1_796_000_000 % 60;
        let packed = pack_slots([
            (t, Mode::Cabinet),
            (t + 1200, Mode::Video),
            (t + 3600, Mode::Cabinet),
        ]);
        assert_eq!(packed.len(), 12);
        let both = [Mode::Cabinet, Mode::Video];
        for (intervals, modes, expected) in [
            (&[(t, t + 3601)][..], &both[..], 3),
            (&[(t, t + 3600)][..], &both[..], 2),
            (&[(t + 1, t + 3601)][..], &both[..], 2),
            (&[(t, t + 3601)][..], &[Mode::Video][..], 1),
            (&[(t, t + 3601)][..], &[Mode::Cabinet][..], 2),
            (&[(t, t + 60), (t + 3000, t + 4000)][..], &both[..], 2),
            (&[][..], &both[..], 0),
        ] {
            assert_eq!(
                count_packed(&packed, intervals, modes),
                expected,
                "{intervals:?} {modes:?}"
            );
        }
        assert_eq!(count_packed(&[], &[(0, i64::MAX)], &both), 0);
    }

    #[test]
    fn rotation_is_stable_per_seed_and_differs_between_seeds() {
        let order = |seed| {
            let mut ids: Vec<PractitionerId> = (1..=50).map(PractitionerId).collect();
            ids.sort_by_key(|id| rotation_key(seed, *id));
            ids
        };
        assert_eq!(order(1), order(1));
        assert_ne!(order(1), order(2));
        // Each practitioner comes first for some seed: nobody is always last.
        let firsts: std::collections::HashSet<PractitionerId> =
            (0..2000).map(|s| order(s)[0]).collect();
        assert!(firsts.len() > 40, "{}", firsts.len());
    }
}
