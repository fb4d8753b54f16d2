//! The SAS's activity indicators (`/indicateurs`): the period filter, and the figures computed
//! from the store's aggregates (bookings per day and département, kind of slot, outcomes,
//! median and 90th percentile of the delay between booking and appointment, top practitioners).

use super::admin::{day, midnight, optional, with_query};
use super::agenda::{date_fr, paris_time};
use super::appointment::AppointmentStatus;
use super::field::FieldError;
use super::identity::Departement;
use chrono::{DateTime, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

pub const INDICATORS_PATH: &str = "/indicateurs";
pub const INDICATORS_CSV_PATH: &str = "/indicateurs.csv";
/// Days shown when the address names no period: the last 30, today included.
pub const DEFAULT_DAYS: i64 = 30;
/// The longest period, so that every figure stays one bounded read.
pub const MAX_DAYS: i64 = 366;
/// Practitioners listed by number of SAS appointments.
pub const TOP_PRACTITIONERS: i64 = 10;

/// The filters as the address carries them: `/indicateurs?du=…&au=…&departement=…`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IndicatorsQuery {
    /// First day of booking, Paris time (`AAAA-MM-JJ`); empty: `DEFAULT_DAYS` before `au`.
    pub du: String,
    /// Last day of booking, included; empty: today.
    pub au: String,
    /// A département (national administrators only); empty: every one they may see.
    pub departement: String,
}

/// Checked filters: bookings made from `since` (included) to `before` (excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndicatorsFilter {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub since: i64,
    pub before: i64,
    pub departement: Option<String>,
}

impl IndicatorsQuery {
    /// From the address's query pairs; unknown keys are ignored.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut query = Self::default();
        for (key, value) in pairs {
            let field = match key {
                "du" => &mut query.du,
                "au" => &mut query.au,
                "departement" => &mut query.departement,
                _ => continue,
            };
            *field = value.to_string();
        }
        query
    }

    /// The filters as a query string, empty ones left out.
    pub fn filters(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("du", &self.du),
            ("au", &self.au),
            ("departement", &self.departement),
        ] {
            if !value.trim().is_empty() {
                query.append_pair(key, value.trim());
            }
        }
        query.finish()
    }

    /// The CSV export of the same figures.
    pub fn csv_url(&self) -> String {
        with_query(INDICATORS_CSV_PATH, &self.filters())
    }

    /// Checks the filters, `today` (Paris) completing a missing bound; each message is attached
    /// to its field (the input's `id`).
    pub fn parse(&self, today: NaiveDate) -> Result<IndicatorsFilter, Vec<FieldError>> {
        let mut errors = Vec::new();
        let last = FieldError::check(&mut errors, "au", optional(&self.au, day)).flatten();
        let first = FieldError::check(&mut errors, "du", optional(&self.du, day)).flatten();
        let departement = optional(&self.departement, |d| {
            Departement::parse(d).map(|d| d.as_str().to_string())
        });
        let departement = FieldError::check(&mut errors, "departement", departement).flatten();
        let last = last.unwrap_or(today);
        let first = first.unwrap_or(last - Duration::days(DEFAULT_DAYS - 1));
        let message = if last < first {
            Some("La date de fin doit être le jour de début ou après.".to_string())
        } else if (last - first).num_days() + 1 > MAX_DAYS {
            Some(format!(
                "La période ne peut dépasser {MAX_DAYS} jours : rapprochez les deux dates."
            ))
        } else {
            None
        };
        if let Some(message) = message {
            errors.push(FieldError {
                field: "au".into(),
                message,
            });
        }
        let bounds = midnight(first).zip(last.succ_opt().and_then(midnight));
        match bounds {
            Some((since, before)) if errors.is_empty() => Ok(IndicatorsFilter {
                first,
                last,
                since,
                before,
                departement,
            }),
            _ => Err(errors),
        }
    }
}

/// What the store counts over the bookings of a period (made in it, whatever their outcome).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aggregates {
    pub total: u64,
    /// Bookings per Paris day of booking (`day_number`).
    pub per_day: Vec<(i64, u64)>,
    pub per_departement: Vec<(String, u64)>,
    /// Bookings per outcome.
    pub per_status: Vec<(AppointmentStatus, u64)>,
    /// Bookings per `sas_flags` at booking (1, 2, 3, [`EXTRA_FLAGS`]; the rest are « non
    /// enregistré »).
    pub per_kind: Vec<(i64, u64)>,
    /// Delay from booking to appointment start (`delay_bucket`, minutes) → bookings.
    pub delays: Vec<(i64, u64)>,
    /// Practitioners by appointments not cancelled, most first.
    pub top: Vec<TopPractitioner>,
}

/// A date as a number of days since 1970-01-01 (how the store keys its counts per day).
pub fn day_number(day: NaiveDate) -> i64 {
    (day - DateTime::UNIX_EPOCH.date_naive()).num_days()
}

/// The Paris date (`day_number`) of an instant in Unix seconds.
pub fn paris_day_number(at: i64) -> i64 {
    DateTime::from_timestamp(at, 0).map_or(at.div_euclid(86_400), |t| {
        day_number(paris_time(t).date_naive())
    })
}

/// The delay from booking to appointment as the store counts it: whole minutes under a day, then
/// whole hours (in minutes). `delay_fr` shows no more (« 2 h 05 », « 3 j 4 h »), so a percentile
/// of these reads exactly as the percentile of the exact delays.
pub fn delay_bucket(seconds: i64) -> i64 {
    if seconds >= 86_400 {
        seconds / 3_600 * 60
    } else {
        seconds / 60
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopPractitioner {
    pub name: String,
    pub place: String,
    pub count: u64,
}

/// A count with its label (a day, a département).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// As shown: « 01/12/2026 », « 75 ».
    pub label: String,
    /// As exported: « 2026-12-01 », « 75 ».
    pub key: String,
    pub count: u64,
}

/// Part of the bookings of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub label: String,
    pub count: u64,
    /// « 12,5 % ».
    pub percent: String,
}

/// The figures of the page, its CSV and its charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicators {
    /// « du 02/11/2026 au 01/12/2026 ».
    pub period: String,
    /// « tous les départements », « département 75 ».
    pub scope: String,
    pub total: u64,
    pub days: Vec<Count>,
    /// Nationally only.
    pub departements: Vec<Count>,
    pub kinds: Vec<Share>,
    pub outcomes: Vec<Share>,
    /// Minutes; `None` without bookings.
    pub delay_median: Option<i64>,
    pub delay_p90: Option<i64>,
    pub top: Vec<TopPractitioner>,
}

/// What the page shows: the figures, or why the filters were refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndicatorsPage {
    /// A national administrator may choose a département; others see theirs.
    pub may_choose_departement: bool,
    pub errors: Vec<FieldError>,
    pub figures: Option<Indicators>,
}

/// The `sas_flags` of an appointment made from a surnuméraire request: outside the agenda, it did
/// not reach the search through a slot (1 « Soins non programmés », 2 « Nouveaux patients », 3 both).
pub const EXTRA_FLAGS: i64 = 4;

/// Labels of the kinds of slot, in the order shown.
pub const KIND_SNP: &str = "Soins non programmés";
pub const KIND_NEW: &str = "Nouveaux patients";
pub const KIND_BOTH: &str = "Soins non programmés et nouveaux patients";
pub const KIND_EXTRA: &str = "Surnuméraire (hors agenda)";
pub const KIND_UNKNOWN: &str = "Non enregistré (rendez-vous pris avant ce suivi)";
/// Labels of the outcomes, in the order shown.
const OUTCOMES: [(AppointmentStatus, &str); 4] = [
    (AppointmentStatus::Fulfilled, "Honorés"),
    (AppointmentStatus::NoShow, "Non honorés"),
    (AppointmentStatus::Cancelled, "Annulés"),
    (AppointmentStatus::Booked, "À venir ou sans issue saisie"),
];

impl Indicators {
    /// The page's figures from the store's aggregates over `filter`'s period.
    pub fn from_aggregates(filter: &IndicatorsFilter, scope: String, data: Aggregates) -> Self {
        let total = data.total;
        let kind_count = |flags: i64| -> u64 {
            data.per_kind
                .iter()
                .filter(|(f, _)| *f == flags)
                .map(|(_, n)| n)
                .sum()
        };
        let mut kinds: Vec<Share> = [(1, KIND_SNP), (2, KIND_NEW), (3, KIND_BOTH)]
            .into_iter()
            .map(|(flags, label)| share(label, kind_count(flags), total))
            .collect();
        // Surnuméraires and bookings of unknown kind only when there are some.
        let extra = kind_count(EXTRA_FLAGS);
        if extra > 0 {
            kinds.push(share(KIND_EXTRA, extra, total));
        }
        let unknown = total - kinds.iter().map(|k| k.count).sum::<u64>();
        if unknown > 0 {
            kinds.push(share(KIND_UNKNOWN, unknown, total));
        }
        let outcomes = OUTCOMES
            .iter()
            .map(|(status, label)| {
                let count = data
                    .per_status
                    .iter()
                    .filter(|(s, _)| s == status)
                    .map(|(_, n)| n)
                    .sum();
                share(label, count, total)
            })
            .collect();
        Indicators {
            period: format!("du {} au {}", date_fr(filter.first), date_fr(filter.last)),
            scope,
            total,
            days: per_day(filter.first, filter.last, &data.per_day),
            // Within one département, its line would only repeat the total.
            departements: data
                .per_departement
                .into_iter()
                .filter(|_| filter.departement.is_none())
                .map(|(d, count)| Count {
                    label: d.clone(),
                    key: d,
                    count,
                })
                .collect(),
            kinds,
            outcomes,
            delay_median: percentile(&data.delays, 50),
            delay_p90: percentile(&data.delays, 90),
            top: data.top,
        }
    }
}

/// Every day from `first` to `last` with its bookings (per `day_number`), none left out.
pub fn per_day(first: NaiveDate, last: NaiveDate, per_day: &[(i64, u64)]) -> Vec<Count> {
    let mut days: Vec<Count> = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| Count {
            label: date_fr(d),
            key: d.format("%Y-%m-%d").to_string(),
            count: 0,
        })
        .collect();
    for (day, count) in per_day {
        let index = day - day_number(first);
        if let Some(day) = usize::try_from(index).ok().and_then(|i| days.get_mut(i)) {
            day.count += count;
        }
    }
    days
}

/// The `p`th percentile (nearest rank) of a histogram of values → counts; `None` when empty.
pub fn percentile(histogram: &[(i64, u64)], p: u64) -> Option<i64> {
    let mut sorted = histogram.to_vec();
    sorted.sort_unstable();
    let total: u64 = sorted.iter().map(|(_, n)| n).sum();
    let rank = (total * p).div_ceil(100).max(1);
    let mut seen = 0;
    sorted.into_iter().find_map(|(value, n)| {
        seen += n;
        (seen >= rank).then_some(value)
    })
}

/// « 45 min », « 2 h 05 », « 3 j 4 h ».
pub fn delay_fr(minutes: i64) -> String {
    let minutes = minutes.max(0);
    match (minutes / 1440, minutes % 1440 / 60, minutes % 60) {
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m:02}"),
        (d, h, _) => format!("{d} j {h} h"),
    }
}

/// « 12,5 % » (one decimal, French comma, non-breaking space); « 0 % » of nothing.
pub fn percent_fr(count: u64, total: u64) -> String {
    if total == 0 {
        return "0\u{a0}%".into();
    }
    let tenths = (count * 1000 + total / 2) / total;
    if tenths.is_multiple_of(10) {
        format!("{}\u{a0}%", tenths / 10)
    } else {
        format!("{},{}\u{a0}%", tenths / 10, tenths % 10)
    }
}

fn share(label: &str, count: u64, total: u64) -> Share {
    Share {
        label: label.into(),
        count,
        percent: percent_fr(count, total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn query(du: &str, au: &str, departement: &str) -> IndicatorsQuery {
        IndicatorsQuery {
            du: du.into(),
            au: au.into(),
            departement: departement.into(),
        }
    }

    fn errors(q: &IndicatorsQuery) -> Vec<(String, String)> {
        q.parse(date("2026-12-01"))
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn the_period_defaults_to_the_last_thirty_days_and_is_checked_field_by_field() {
        let today = date("2026-12-01");
        let f = query("", "", "").parse(today).unwrap();
        assert_eq!((f.first, f.last), (date("2026-11-02"), today));
        // Midnight, Paris time (UTC+1 in winter), to the midnight after the last day.
        assert_eq!(f.since, 1_793_574_000);
        assert_eq!(f.before, 1_796_166_000);
        assert_eq!(f.departement, None);
        let f = query("01/10/2026", "2026-10-31", "2a")
            .parse(today)
            .unwrap();
        assert_eq!((f.first, f.last), (date("2026-10-01"), date("2026-10-31")));
        // 1 October is summer time (UTC+2), 1 November winter time (UTC+1): 31 days + 1 hour.
        assert_eq!(f.before - f.since, 31 * 86_400 + 3_600);
        assert_eq!(f.departement.as_deref(), Some("2A"));
        let f = query("", "2026-06-30", "").parse(today).unwrap();
        assert_eq!(f.first, date("2026-06-01"));

        let bad_date = "Date invalide : utilisez le format JJ/MM/AAAA, par exemple 01/12/2026.";
        assert_eq!(
            errors(&query("hier", "", "99")),
            [
                ("du".to_string(), bad_date.to_string()),
                ("departement".into(), "Département inconnu : « 99 ».".into()),
            ]
        );
        assert_eq!(
            errors(&query("2026-12-01", "2026-11-30", "")),
            [(
                "au".to_string(),
                "La date de fin doit être le jour de début ou après.".to_string()
            )]
        );
        assert_eq!(
            errors(&query("2025-11-29", "2026-11-30", "")),
            [(
                "au".to_string(),
                "La période ne peut dépasser 366 jours : rapprochez les deux dates.".to_string()
            )]
        );
        // 366 days, both included: the longest period.
        assert!(query("2025-11-30", "2026-11-30", "").parse(today).is_ok());
    }

    #[test]
    fn addresses_carry_the_filters() {
        let q = IndicatorsQuery::from_pairs([("du", "2026-11-01"), ("x", "y"), ("au", " ")]);
        assert_eq!(q, query("2026-11-01", " ", ""));
        assert_eq!(q.csv_url(), "/indicateurs.csv?du=2026-11-01");
        assert_eq!(
            query("", "", "69").csv_url(),
            "/indicateurs.csv?departement=69"
        );
        assert_eq!(query("", "", "").csv_url(), "/indicateurs.csv");
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[(30, 1)], 90), Some(30));
        // 10 bookings: 1..=10 minutes; median = 5th, p90 = 9th.
        let ten: Vec<(i64, u64)> = (1..=10).map(|m| (m, 1)).collect();
        assert_eq!(percentile(&ten, 50), Some(5));
        assert_eq!(percentile(&ten, 90), Some(9));
        // Unordered, with counts: 60 × 3, 10 × 6, 600 × 1 → sorted 10×6, 60×3, 600.
        let h = [(600, 1), (60, 3), (10, 6)];
        assert_eq!(percentile(&h, 50), Some(10));
        assert_eq!(percentile(&h, 90), Some(60));
        assert_eq!(percentile(&h, 100), Some(600));
    }

    #[test]
    fn delays_and_shares_read_in_french() {
        for (minutes, text) in [
            (0, "0 min"),
            (45, "45 min"),
            (60, "1 h 00"),
            (125, "2 h 05"),
            (1440, "1 j 0 h"),
            (3 * 1440 + 4 * 60 + 59, "3 j 4 h"),
        ] {
            assert_eq!(delay_fr(minutes), text);
        }
        // Counted by the minute under a day, by the hour from then on: read the same.
        for seconds in (0..12 * 86_400).step_by(7) {
            assert_eq!(delay_fr(delay_bucket(seconds)), delay_fr(seconds / 60));
            assert!(delay_bucket(seconds) <= delay_bucket(seconds + 7));
        }
        assert_eq!(delay_bucket(86_400 + 3_599), 1_440);
        assert_eq!(delay_bucket(86_399), 1_439);
        assert_eq!(percent_fr(1, 8), "12,5\u{a0}%");
        assert_eq!(percent_fr(1, 3), "33,3\u{a0}%");
        assert_eq!(percent_fr(2, 3), "66,7\u{a0}%");
        assert_eq!(percent_fr(3, 3), "100\u{a0}%");
        assert_eq!(percent_fr(0, 0), "0\u{a0}%");
    }

    #[test]
    fn the_figures_come_from_the_aggregates() {
        use AppointmentStatus::*;
        let filter = query("2026-11-29", "2026-12-01", "")
            .parse(date("2026-12-01"))
            .unwrap();
        // 29 Nov 23:30 UTC is 30 Nov 00:30 in Paris: it counts for the 30th.
        let at = |utc: &str| {
            chrono::NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M")
                .unwrap()
                .and_utc()
                .timestamp()
        };
        assert_eq!(
            paris_day_number(at("2026-11-29 23:30")),
            day_number(date("2026-11-30"))
        );
        assert_eq!(
            paris_day_number(at("2026-11-29 22:59")),
            day_number(date("2026-11-29"))
        );
        let day = |d: &str| day_number(date(d));
        let data = Aggregates {
            total: 8,
            per_day: vec![
                (day("2026-11-28"), 9),
                (day("2026-11-29"), 2),
                (day("2026-11-30"), 3),
                (day("2026-12-01"), 3),
            ],
            per_departement: vec![("75".into(), 8)],
            per_status: vec![(Fulfilled, 2), (NoShow, 1), (Cancelled, 1), (Booked, 4)],
            per_kind: vec![(1, 5), (2, 1), (3, 1)],
            delays: vec![(30, 4), (120, 2), (2880, 2)],
            top: vec![],
        };
        let got = Indicators::from_aggregates(&filter, "tous les départements".into(), data);
        assert_eq!(got.period, "du 29/11/2026 au 01/12/2026");
        assert_eq!(got.total, 8);
        let days: Vec<(&str, &str, u64)> = got
            .days
            .iter()
            .map(|d| (d.label.as_str(), d.key.as_str(), d.count))
            .collect();
        assert_eq!(
            days,
            [
                ("29/11/2026", "2026-11-29", 2),
                ("30/11/2026", "2026-11-30", 3),
                ("01/12/2026", "2026-12-01", 3)
            ]
        );
        let shares = |s: &[Share]| -> Vec<(String, u64, String)> {
            s.iter()
                .map(|s| (s.label.clone(), s.count, s.percent.replace('\u{a0}', " ")))
                .collect()
        };
        let row = |l: &str, n: u64, p: &str| (l.to_string(), n, p.to_string());
        assert_eq!(
            shares(&got.kinds),
            [
                row(KIND_SNP, 5, "62,5 %"),
                row(KIND_NEW, 1, "12,5 %"),
                row(KIND_BOTH, 1, "12,5 %"),
                row(KIND_UNKNOWN, 1, "12,5 %"),
            ]
        );
        assert_eq!(
            shares(&got.outcomes),
            [
                row("Honorés", 2, "25 %"),
                row("Non honorés", 1, "12,5 %"),
                row("Annulés", 1, "12,5 %"),
                row("À venir ou sans issue saisie", 4, "50 %"),
            ]
        );
        assert_eq!((got.delay_median, got.delay_p90), (Some(30), Some(2880)));
    }
}
