//! Agenda: ranges (plages) in Europe/Paris local time, turned into slots stored as UTC instants.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Paris;
use serde::{Deserialize, Serialize};

/// Consultation mode (FHIR serviceType AMB / VR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mode {
    Cabinet,
    Video,
}

impl Mode {
    pub fn code(self) -> &'static str {
        match self {
            Mode::Cabinet => "cabinet",
            Mode::Video => "video",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "cabinet" => Some(Mode::Cabinet),
            "video" => Some(Mode::Video),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::Cabinet => "Au cabinet",
            Mode::Video => "En vidéo",
        }
    }
}

/// When a range repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Recurrence {
    /// Every `weekday` from `valid_from`, until `valid_until` included when set.
    Weekly {
        weekday: Weekday,
        valid_from: NaiveDate,
        valid_until: Option<NaiveDate>,
    },
    /// A single day.
    Once(NaiveDate),
}

/// An opening range of the agenda, in local (Paris) wall-clock time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeTimes {
    pub recurrence: Recurrence,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub slot_minutes: u32,
}

impl RangeTimes {
    fn occurs_on(&self, day: NaiveDate) -> bool {
        match &self.recurrence {
            Recurrence::Weekly {
                weekday,
                valid_from,
                valid_until,
            } => {
                day.weekday() == *weekday
                    && day >= *valid_from
                    && valid_until.is_none_or(|until| day <= until)
            }
            Recurrence::Once(date) => *date == day,
        }
    }

    /// The slots of the days `from..=to`, as UTC (start, end) instants.
    /// A local time that does not exist (spring DST gap) yields no slot;
    /// an ambiguous one (autumn) takes its first occurrence.
    pub fn slots(&self, from: NaiveDate, to: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let step = Duration::minutes(i64::from(self.slot_minutes.max(1)));
        let mut out = Vec::new();
        for day in from
            .iter_days()
            .take_while(|d| *d <= to)
            .filter(|d| self.occurs_on(*d))
        {
            let mut start = day.and_time(self.start);
            let end_of_range = day.and_time(self.end);
            while start + step <= end_of_range {
                if let Some(local) = Paris.from_local_datetime(&start).earliest() {
                    let utc = local.with_timezone(&Utc);
                    out.push((utc, utc + step));
                }
                start += step;
            }
        }
        out
    }
}

/// Paris local time of an instant, for display.
pub fn paris_time(instant: DateTime<Utc>) -> DateTime<chrono_tz::Tz> {
    instant.with_timezone(&Paris)
}

/// Today's date in Paris.
pub fn paris_today(now: DateTime<Utc>) -> NaiveDate {
    paris_time(now).date_naive()
}

const DAYS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// "mardi 1 décembre", in Paris time.
pub fn day_label_fr(instant: DateTime<Utc>) -> String {
    let local = paris_time(instant);
    format!(
        "{} {} {}",
        DAYS[local.weekday().num_days_from_monday() as usize],
        local.day(),
        MONTHS[local.month0() as usize]
    )
}

/// "09:30", in Paris time.
pub fn time_label(instant: DateTime<Utc>) -> String {
    paris_time(instant).format("%H:%M").to_string()
}

/// Appointment outcome (FHIR booked / fulfilled / noshow / cancelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Booked,
    Fulfilled,
    NoShow,
    Cancelled,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Booked => "booked",
            Status::Fulfilled => "fulfilled",
            Status::NoShow => "noshow",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            Status::Booked,
            Status::Fulfilled,
            Status::NoShow,
            Status::Cancelled,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Booked => "Réservé",
            Status::Fulfilled => "Honoré",
            Status::NoShow => "Non honoré",
            Status::Cancelled => "Annulé",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }
    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }
    fn sunday_nine_to_ten() -> RangeTimes {
        RangeTimes {
            recurrence: Recurrence::Weekly {
                weekday: Weekday::Sun,
                valid_from: date(2027, 1, 1),
                valid_until: None,
            },
            start: hm(9, 0),
            end: hm(10, 0),
            slot_minutes: 20,
        }
    }

    #[test]
    fn nine_o_clock_stays_nine_o_clock_across_dst() {
        let range = sunday_nine_to_ten();
        // 2027-03-28 (spring forward) and 2027-10-31 (fall back) are Sundays.
        for (day, utc_hour) in [
            (date(2027, 3, 21), 8),
            (date(2027, 3, 28), 7),
            (date(2027, 10, 24), 7),
            (date(2027, 10, 31), 8),
        ] {
            let slots = range.slots(day, day);
            assert_eq!(slots.len(), 3, "{day}");
            assert_eq!(
                slots[0].0.format("%H:%M").to_string(),
                format!("{utc_hour:02}:00"),
                "{day}"
            );
            assert_eq!(time_label(slots[0].0), "09:00");
            assert_eq!(time_label(slots[2].1), "10:00");
        }
    }

    #[test]
    fn spring_gap_yields_no_slot_and_autumn_repeat_one() {
        let night = |day| RangeTimes {
            recurrence: Recurrence::Once(day),
            start: hm(1, 30),
            end: hm(3, 30),
            slot_minutes: 30,
        };
        // 02:00–03:00 does not exist on 2027-03-28: 01:30 and 03:00 remain.
        let spring: Vec<_> = night(date(2027, 3, 28))
            .slots(date(2027, 3, 28), date(2027, 3, 28))
            .iter()
            .map(|s| time_label(s.0))
            .collect();
        assert_eq!(spring, ["01:30", "03:00"]);
        let autumn = night(date(2027, 10, 31)).slots(date(2027, 10, 31), date(2027, 10, 31));
        assert_eq!(autumn.len(), 4);
        assert!(autumn.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn weekly_ranges_respect_their_validity_and_length() {
        let mut range = sunday_nine_to_ten();
        range.recurrence = Recurrence::Weekly {
            weekday: Weekday::Tue,
            valid_from: date(2026, 12, 1),
            valid_until: Some(date(2026, 12, 8)),
        };
        range.slot_minutes = 25; // 09:00, 09:25 fit; 09:50 would end after 10:00.
        let slots = range.slots(date(2026, 11, 24), date(2026, 12, 31));
        let days: Vec<_> = slots.iter().map(|s| day_label_fr(s.0)).collect();
        assert_eq!(
            days,
            [
                "mardi 1 décembre",
                "mardi 1 décembre",
                "mardi 8 décembre",
                "mardi 8 décembre"
            ]
        );
    }

    #[test]
    fn codes_round_trip() {
        for s in [
            Status::Booked,
            Status::Fulfilled,
            Status::NoShow,
            Status::Cancelled,
        ] {
            assert_eq!(Status::from_code(s.code()), Some(s));
        }
        for m in [Mode::Cabinet, Mode::Video] {
            assert_eq!(Mode::from_code(m.code()), Some(m));
        }
    }
}
