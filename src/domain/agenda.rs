//! Agenda: ranges (plages) in Europe/Paris local time, turned into slots stored as UTC instants.

use super::field::{FieldError, REQUIRED, too_long};
use super::ids::{AbsenceId, AppointmentId, RangeId, ReasonId, UnknownCode};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Paris;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// The store's edge: a stored code becomes a mode once, when the row is read.
impl TryFrom<String> for Mode {
    type Error = UnknownCode;

    fn try_from(code: String) -> Result<Self, UnknownCode> {
        Mode::from_code(&code).ok_or(UnknownCode(code))
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
    /// Whether the two ranges share some time on some day.
    pub fn overlaps(&self, other: &RangeTimes) -> bool {
        if !(self.start < other.end && other.start < self.end) {
            return false;
        }
        match (&self.recurrence, &other.recurrence) {
            (Recurrence::Once(a), Recurrence::Once(b)) => a == b,
            (Recurrence::Once(day), _) => other.occurs_on(*day),
            (_, Recurrence::Once(day)) => self.occurs_on(*day),
            (
                Recurrence::Weekly {
                    weekday,
                    valid_from,
                    valid_until,
                },
                Recurrence::Weekly {
                    weekday: other_weekday,
                    valid_from: other_from,
                    valid_until: other_until,
                },
            ) => {
                let from = (*valid_from).max(*other_from);
                let until = match (valid_until, other_until) {
                    (Some(a), Some(b)) => Some((*a).min(*b)),
                    (a, b) => a.or(*b),
                };
                // The first common weekday, if it falls in both validity periods.
                let offset = (7 + weekday.num_days_from_monday()
                    - from.weekday().num_days_from_monday())
                    % 7;
                let first = from + Duration::days(i64::from(offset));
                weekday == other_weekday && until.is_none_or(|until| first <= until)
            }
        }
    }

    /// "chaque mardi de 09:00 à 12:00", "le 01/12/2026 de 14:00 à 18:00".
    pub fn label_fr(&self) -> String {
        let hours = format!(
            "de {} à {}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        );
        match &self.recurrence {
            Recurrence::Weekly { weekday, .. } => {
                format!("chaque {} {hours}", weekday_fr(*weekday))
            }
            Recurrence::Once(day) => format!("le {} {hours}", day.format("%d/%m/%Y")),
        }
    }

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
    /// A local time that does not exist (spring DST gap) yields no slot, nor does a slot that
    /// would overlap the next one across the change; an ambiguous time (autumn) takes its
    /// first occurrence.
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
            let mut day_slots: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
            while start + step <= end_of_range {
                if let Some(local) = Paris.from_local_datetime(&start).earliest() {
                    let utc = local.with_timezone(&Utc);
                    day_slots.push((utc, utc + step));
                }
                start += step;
            }
            // Across the spring change a slot lasting `step` may end after the next one
            // starts (01:46 + 19 min is 03:05 summer time, the next is at 03:02): it goes.
            let next_starts: Vec<_> = day_slots.iter().skip(1).map(|s| Some(s.0)).collect();
            out.extend(
                day_slots
                    .iter()
                    .zip(next_starts.into_iter().chain([None]))
                    .filter(|(slot, next)| next.is_none_or(|n| slot.1 <= n))
                    .map(|(slot, _)| *slot),
            );
        }
        out
    }
}

/// The slots of `wanted` (start, end, tag; Unix seconds) worth creating: in time order, those
/// that fall in no absence and overlap neither an `occupied` slot nor an earlier wanted one.
/// Slots last less than a day, which bounds the search for overlaps.
pub fn fit_slots<T>(
    mut wanted: Vec<(i64, i64, T)>,
    occupied: &[(i64, i64)],
    absences: &[(i64, i64)],
) -> Vec<(i64, i64, T)> {
    const DAY: i64 = 86_400;
    let mut taken: BTreeMap<i64, i64> = BTreeMap::new();
    for &(start, end) in occupied {
        let longest = taken.entry(start).or_insert(end);
        *longest = (*longest).max(end);
    }
    wanted.sort_by_key(|w| (w.0, w.1));
    wanted
        .into_iter()
        .filter(|&(start, end, _)| {
            let absent = absences.iter().any(|&(a, b)| a < end && start < b);
            let busy = taken
                .range(start - DAY..end)
                .any(|(_, &taken_end)| taken_end > start);
            if absent || busy {
                return false;
            }
            taken.insert(start, end);
            true
        })
        .collect()
}

/// The UTC instant of a Paris wall-clock time; `None` in the spring DST gap.
pub fn paris_instant(day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    Paris
        .from_local_datetime(&day.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The Monday of the week of `day`.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// "mardi"
pub fn weekday_fr(day: Weekday) -> &'static str {
    DAYS[day.num_days_from_monday() as usize]
}

/// "01/12/2026"
pub fn date_fr(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// A date as typed (`JJ/MM/AAAA`) or sent by a date input (`AAAA-MM-JJ`).
pub fn parse_date(input: &str) -> Result<NaiveDate, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err(REQUIRED.into());
    }
    NaiveDate::parse_from_str(input, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(input, "%d/%m/%Y"))
        .map_err(|_| {
            "Date invalide : utilisez le format JJ/MM/AAAA, par exemple 01/12/2026.".into()
        })
}

/// A time of day as `HH:MM` (a time input may add seconds; `9h30` is accepted too).
pub fn parse_time(input: &str) -> Result<NaiveTime, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err(REQUIRED.into());
    }
    let mut input = input.replace(['h', 'H'], ":");
    if input.ends_with(':') {
        input.push_str("00");
    }
    ["%H:%M", "%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveTime::parse_from_str(&input, format).ok())
        .ok_or_else(|| "Heure invalide : utilisez le format HH:MM, par exemple 09:30.".into())
}

/// Shortest slot a range may have, in minutes.
pub const MIN_SLOT_MINUTES: u32 = 5;

/// The range form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeInput {
    /// `weekly` (hebdomadaire) or `once` (ponctuelle).
    pub kind: String,
    /// Days of the week of a weekly range, `1` (lundi) to `7` (dimanche).
    #[serde(default)]
    pub days: Vec<String>,
    /// The day of a one-off range.
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub valid_until: String,
    pub start: String,
    pub end: String,
    pub slot_minutes: String,
    pub mode: String,
    /// Ids of the reasons bookable on the range.
    #[serde(default)]
    pub reason_ids: Vec<String>,
}

/// A checked range form: one range a day of the week (or one for a one-off date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangePlan {
    pub times: Vec<RangeTimes>,
    pub mode: Mode,
    pub reason_ids: Vec<ReasonId>,
}

impl RangeInput {
    /// Checks every field; all errors at once. A date in the past is refused for a one-off
    /// range and for the end of validity, not for the start (an ongoing range keeps it).
    pub fn validate(&self, today: NaiveDate) -> Result<RangePlan, Vec<FieldError>> {
        let mut errors = Vec::new();
        let recurrences: Option<Vec<Recurrence>> = match self.kind.as_str() {
            "weekly" => {
                let days = FieldError::check(&mut errors, "days", parse_weekdays(&self.days));
                let from =
                    FieldError::check(&mut errors, "valid_from", parse_date(&self.valid_from));
                let until = match self.valid_until.trim() {
                    "" => Some(None),
                    until => FieldError::check(
                        &mut errors,
                        "valid_until",
                        parse_date(until).and_then(|until| match from {
                            Some(from) if until < from => {
                                Err("La fin de validité doit être après le début de validité."
                                    .into())
                            }
                            _ if until < today => {
                                Err("La fin de validité ne peut pas être dans le passé.".into())
                            }
                            _ => Ok(Some(until)),
                        }),
                    ),
                };
                days.zip(from).zip(until).map(|((days, from), until)| {
                    days.into_iter()
                        .map(|weekday| Recurrence::Weekly {
                            weekday,
                            valid_from: from,
                            valid_until: until,
                        })
                        .collect()
                })
            }
            "once" => FieldError::check(
                &mut errors,
                "date",
                parse_date(&self.date).and_then(|day| {
                    if day < today {
                        Err("La date de la plage ne peut pas être dans le passé.".into())
                    } else {
                        Ok(vec![Recurrence::Once(day)])
                    }
                }),
            ),
            _ => FieldError::check(
                &mut errors,
                "kind",
                Err("Choisissez une plage hebdomadaire ou ponctuelle.".into()),
            ),
        };
        let start = FieldError::check(&mut errors, "start", parse_time(&self.start));
        let end = FieldError::check(
            &mut errors,
            "end",
            parse_time(&self.end).and_then(|end| match start {
                Some(start) if end <= start => {
                    Err("L'heure de fin doit être après l'heure de début.".into())
                }
                _ => Ok(end),
            }),
        );
        let slot_minutes = FieldError::check(
            &mut errors,
            "slot_minutes",
            parse_slot_minutes(&self.slot_minutes, start.zip(end)),
        );
        let mode = FieldError::check(
            &mut errors,
            "mode",
            Mode::from_code(&self.mode).ok_or_else(|| "Choisissez un type de consultation.".into()),
        );
        let reason_ids = FieldError::check(&mut errors, "reason_ids", parse_ids(&self.reason_ids));
        match (recurrences, start, end, slot_minutes, mode, reason_ids) {
            (
                Some(recurrences),
                Some(start),
                Some(end),
                Some(slot_minutes),
                Some(mode),
                Some(reason_ids),
            ) if errors.is_empty() => Ok(RangePlan {
                times: recurrences
                    .into_iter()
                    .map(|recurrence| RangeTimes {
                        recurrence,
                        start,
                        end,
                        slot_minutes,
                    })
                    .collect(),
                mode,
                reason_ids,
            }),
            _ => Err(errors),
        }
    }
}

impl RangeInput {
    /// The only reason chosen, if exactly one is.
    pub fn single_reason(&self) -> Option<&str> {
        let mut ids: Vec<&str> = self
            .reason_ids
            .iter()
            .map(|id| id.trim())
            .filter(|id| !id.is_empty())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        match ids[..] {
            [only] => Some(only),
            _ => None,
        }
    }

    /// A range of one reason only: its slots last the reason's duration (`duration_of` gives
    /// a reason's, by id as the form sends it).
    pub fn with_reason_duration(mut self, duration_of: impl Fn(&str) -> Option<u32>) -> Self {
        if let Some(minutes) = self.single_reason().and_then(duration_of) {
            self.slot_minutes = minutes.to_string();
        }
        self
    }
}

fn parse_weekdays(days: &[String]) -> Result<Vec<Weekday>, String> {
    let mut parsed: Vec<Weekday> = days
        .iter()
        .map(|d| {
            d.trim()
                .parse::<u8>()
                .ok()
                .filter(|n| (1..=7).contains(n))
                .and_then(|n| Weekday::try_from(n - 1).ok())
                .ok_or_else(|| format!("Jour inconnu : « {d} »."))
        })
        .collect::<Result<_, _>>()?;
    parsed.sort_by_key(Weekday::num_days_from_monday);
    parsed.dedup();
    if parsed.is_empty() {
        return Err("Choisissez au moins un jour.".into());
    }
    Ok(parsed)
}

fn parse_slot_minutes(input: &str, range: Option<(NaiveTime, NaiveTime)>) -> Result<u32, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err(REQUIRED.into());
    }
    let minutes: u32 = input
        .parse()
        .map_err(|_| "Saisissez une durée en minutes, par exemple 20.".to_string())?;
    if minutes < MIN_SLOT_MINUTES {
        return Err(format!(
            "La durée d'un créneau est d'au moins {MIN_SLOT_MINUTES} minutes."
        ));
    }
    if let Some((start, end)) = range {
        let length = (end - start).num_minutes();
        if i64::from(minutes) > length {
            return Err(format!(
                "La durée d'un créneau ne peut pas dépasser celle de la plage ({length} minutes)."
            ));
        }
    }
    Ok(minutes)
}

fn parse_ids(ids: &[String]) -> Result<Vec<ReasonId>, String> {
    let mut parsed: Vec<ReasonId> = ids
        .iter()
        .map(|id| {
            id.trim()
                .parse::<i64>()
                .map(ReasonId)
                .map_err(|_| UNKNOWN_REASON.to_string())
        })
        .collect::<Result<_, _>>()?;
    parsed.sort_unstable();
    parsed.dedup();
    if parsed.is_empty() {
        return Err("Choisissez au moins un motif.".into());
    }
    Ok(parsed)
}

pub const UNKNOWN_REASON: &str = "Motif inconnu : choisissez parmi vos motifs actifs.";

/// The absence form as typed: a period in Paris time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbsenceInput {
    pub start_date: String,
    pub start_time: String,
    pub end_date: String,
    pub end_time: String,
    #[serde(default)]
    pub label: String,
}

/// A checked absence: UTC instants and an optional label ("Congés").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Absence {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub label: String,
}

impl AbsenceInput {
    pub const LABEL_MAX: usize = 100;

    pub fn validate(&self) -> Result<Absence, Vec<FieldError>> {
        let mut errors = Vec::new();
        let start_date = FieldError::check(&mut errors, "start_date", parse_date(&self.start_date));
        let start_time = FieldError::check(&mut errors, "start_time", parse_time(&self.start_time));
        let end_date = FieldError::check(&mut errors, "end_date", parse_date(&self.end_date));
        let end_time = FieldError::check(&mut errors, "end_time", parse_time(&self.end_time));
        let label = self.label.split_whitespace().collect::<Vec<_>>().join(" ");
        if label.chars().count() > Self::LABEL_MAX {
            errors.push(FieldError {
                field: "label".into(),
                message: too_long(Self::LABEL_MAX),
            });
        }
        let (Some(sd), Some(st), Some(ed), Some(et)) = (start_date, start_time, end_date, end_time)
        else {
            return Err(errors);
        };
        let gap = "Cette heure n'existe pas ce jour-là (passage à l'heure d'été).";
        let start = FieldError::check(
            &mut errors,
            "start_time",
            paris_instant(sd, st).ok_or(gap.into()),
        );
        let end = FieldError::check(
            &mut errors,
            "end_time",
            paris_instant(ed, et).ok_or(gap.into()),
        );
        match (start, end) {
            (Some(start), Some(end)) if end <= start => {
                errors.push(FieldError {
                    field: "end_date".into(),
                    message: "La fin de l'absence doit être après son début.".into(),
                });
                Err(errors)
            }
            (Some(start), Some(end)) if errors.is_empty() => Ok(Absence { start, end, label }),
            _ => Err(errors),
        }
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
    date_label_fr(paris_time(instant).date_naive())
}

/// "mardi 1 décembre"
pub fn date_label_fr(day: NaiveDate) -> String {
    format!(
        "{} {} {}",
        weekday_fr(day.weekday()),
        day.day(),
        MONTHS[day.month0() as usize]
    )
}

/// "Semaine du 23 au 29 novembre 2026", "Semaine du 28 décembre 2026 au 3 janvier 2027".
pub fn week_label_fr(monday: NaiveDate) -> String {
    let sunday = monday + Duration::days(6);
    let month = |d: NaiveDate| MONTHS[d.month0() as usize];
    let first = if monday.year() != sunday.year() {
        format!("{} {} {}", monday.day(), month(monday), monday.year())
    } else if monday.month() != sunday.month() {
        format!("{} {}", monday.day(), month(monday))
    } else {
        monday.day().to_string()
    };
    format!(
        "Semaine du {first} au {} {} {}",
        sunday.day(),
        month(sunday),
        sunday.year()
    )
}

/// "09:30", in Paris time.
pub fn time_label(instant: DateTime<Utc>) -> String {
    paris_time(instant).format("%H:%M").to_string()
}

/// "lundi 30 novembre à 09:00", in Paris time, of an instant in Unix seconds.
pub fn when_label(starts_at: i64) -> String {
    DateTime::from_timestamp(starts_at, 0)
        .map(|t| format!("{} à {}", day_label_fr(t), time_label(t)))
        .unwrap_or_default()
}

/// The practitioner's ranges page: ranges, the reasons they may carry, absences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RangesView {
    pub ranges: Vec<RangeView>,
    /// Active reasons: (id, name, duration in minutes).
    pub reasons: Vec<(ReasonId, String, u32)>,
    pub absences: Vec<AbsenceView>,
    /// Today in Paris by the server's clock, which is authoritative: the form's first date and
    /// its checks in the browser use it, not the browser's clock.
    pub today: chrono::NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RangeView {
    pub id: RangeId,
    /// "chaque mardi de 09:00 à 12:00"
    pub label: String,
    /// "à partir du 01/12/2026"
    pub validity: String,
    pub slot_minutes: u32,
    pub mode: String,
    pub reasons: Vec<String>,
    pub snp: bool,
    /// The range as the form shows it, for editing.
    pub input: RangeInput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbsenceView {
    pub id: AbsenceId,
    /// "du 23/03/2027 à 08:00 au 23/03/2027 à 10:30"
    pub period: String,
    pub label: String,
}

/// The practitioner's week grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekView {
    /// "Semaine du 23 au 29 novembre 2026"
    pub title: String,
    /// Mondays of the previous and next weeks, `AAAA-MM-JJ`.
    pub previous: String,
    pub next: String,
    pub sas_registered: bool,
    pub days: Vec<DayColumn>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayColumn {
    /// "lundi 23 novembre"
    pub label: String,
    /// "Absence de 14:00 à 18:00 (Formation)"
    pub absences: Vec<String>,
    pub slots: Vec<SlotCell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotCell {
    /// "09:00 – 09:20"
    pub time: String,
    /// "En vidéo", or empty at the practice.
    pub mode: String,
    pub past: bool,
    /// "Marie DURAND" when an appointment is booked.
    pub patient: Option<String>,
    /// The appointment's page, reason, message and number of attachments.
    pub appointment: Option<Booked>,
    /// Booked on a slot no range or absence-free period covers any more.
    pub out_of_agenda: bool,
    /// Why the SAS sees the slot, if it does.
    pub snp: bool,
    pub new_patients: bool,
}

/// What the week view shows of an appointment (its page has the rest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booked {
    pub id: AppointmentId,
    pub reason: String,
    pub message: Option<String>,
    pub files: i64,
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

    fn weekly(
        weekday: Weekday,
        from: NaiveDate,
        until: Option<NaiveDate>,
        hours: (u32, u32),
    ) -> RangeTimes {
        RangeTimes {
            recurrence: Recurrence::Weekly {
                weekday,
                valid_from: from,
                valid_until: until,
            },
            start: hm(hours.0, 0),
            end: hm(hours.1, 0),
            slot_minutes: 20,
        }
    }

    #[test]
    fn overlapping_ranges() {
        let once = |day, hours: (u32, u32)| RangeTimes {
            recurrence: Recurrence::Once(day),
            start: hm(hours.0, 0),
            end: hm(hours.1, 0),
            slot_minutes: 20,
        };
        let tuesdays = weekly(Weekday::Tue, date(2026, 12, 1), None, (9, 12));
        // 2026-12-01 and 2026-12-08 are Tuesdays, 2026-12-02 a Wednesday.
        for (other, expected) in [
            (weekly(Weekday::Tue, date(2026, 1, 1), None, (11, 13)), true),
            (
                weekly(Weekday::Tue, date(2026, 1, 1), None, (12, 13)),
                false,
            ),
            (weekly(Weekday::Wed, date(2026, 1, 1), None, (9, 12)), false),
            (
                weekly(
                    Weekday::Tue,
                    date(2026, 1, 1),
                    Some(date(2026, 11, 30)),
                    (9, 12),
                ),
                false,
            ),
            (
                weekly(
                    Weekday::Tue,
                    date(2026, 1, 1),
                    Some(date(2026, 12, 1)),
                    (9, 12),
                ),
                true,
            ),
            (weekly(Weekday::Tue, date(2027, 6, 1), None, (8, 10)), true),
            (once(date(2026, 12, 8), (10, 11)), true),
            (once(date(2026, 12, 2), (10, 11)), false),
            (once(date(2026, 11, 24), (10, 11)), false),
            (once(date(2026, 12, 8), (12, 14)), false),
        ] {
            assert_eq!(tuesdays.overlaps(&other), expected, "{other:?}");
            assert_eq!(other.overlaps(&tuesdays), expected, "{other:?}");
        }
        // Validity periods that intersect on no Tuesday (a Wednesday to the next Monday).
        let short = weekly(
            Weekday::Tue,
            date(2026, 12, 2),
            Some(date(2026, 12, 7)),
            (9, 12),
        );
        assert!(!tuesdays.overlaps(&short));
        assert!(once(date(2026, 12, 2), (9, 10)).overlaps(&once(date(2026, 12, 2), (9, 12))));
        assert_eq!(tuesdays.label_fr(), "chaque mardi de 09:00 à 12:00");
        assert_eq!(
            once(date(2026, 12, 2), (9, 10)).label_fr(),
            "le 02/12/2026 de 09:00 à 10:00"
        );
    }

    fn range_input() -> RangeInput {
        RangeInput {
            kind: "weekly".into(),
            days: vec!["2".into(), "4".into()],
            date: String::new(),
            valid_from: "2026-11-26".into(),
            valid_until: String::new(),
            start: "09:00".into(),
            end: "12:00".into(),
            slot_minutes: "20".into(),
            mode: "cabinet".into(),
            reason_ids: vec!["7".into(), "3".into()],
        }
    }

    #[test]
    fn a_single_reason_gives_its_duration_to_the_slots() {
        let duration_of = |id: &str| match id {
            "4" => Some(15),
            "5" => Some(30),
            _ => None,
        };
        let one = RangeInput {
            reason_ids: vec!["5".into(), " 5".into()],
            slot_minutes: "20".into(),
            ..range_input()
        };
        assert_eq!(one.single_reason(), Some("5"));
        assert_eq!(
            one.clone().with_reason_duration(duration_of).slot_minutes,
            "30"
        );
        let plan = one
            .with_reason_duration(duration_of)
            .validate(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
            .unwrap();
        assert!(plan.times.iter().all(|t| t.slot_minutes == 30));
        // Several reasons, or one unknown: the slots keep the length typed.
        for ids in [vec!["4", "5"], vec!["9"], vec![]] {
            let input = RangeInput {
                reason_ids: ids.iter().map(|s| s.to_string()).collect(),
                slot_minutes: "20".into(),
                ..range_input()
            };
            assert_eq!(input.with_reason_duration(duration_of).slot_minutes, "20");
        }
    }

    #[test]
    fn a_range_form_gives_one_range_a_day() {
        let today = date(2026, 11, 26);
        let plan = range_input().validate(today).unwrap();
        assert_eq!(plan.times.len(), 2);
        assert_eq!(plan.times[1].label_fr(), "chaque jeudi de 09:00 à 12:00");
        assert_eq!(
            (plan.mode, plan.reason_ids),
            (Mode::Cabinet, vec![ReasonId(3), ReasonId(7)])
        );
        let once = RangeInput {
            kind: "once".into(),
            date: "01/12/2026".into(),
            start: "14:00:00".into(),
            end: "18h".into(),
            ..range_input()
        };
        assert_eq!(
            once.validate(today).unwrap().times,
            vec![RangeTimes {
                recurrence: Recurrence::Once(date(2026, 12, 1)),
                start: hm(14, 0),
                end: hm(18, 0),
                slot_minutes: 20
            }]
        );
    }

    #[test]
    fn a_bad_range_form_says_what_is_wrong_on_each_field() {
        let today = date(2026, 11, 26);
        let errors = |input: RangeInput| -> Vec<(String, String)> {
            input
                .validate(today)
                .unwrap_err()
                .into_iter()
                .map(|e| (e.field, e.message))
                .collect()
        };
        let one = |field: &str, message: &str| vec![(field.to_string(), message.to_string())];
        assert_eq!(
            errors(RangeInput {
                end: "08:00".into(),
                ..range_input()
            }),
            one("end", "L'heure de fin doit être après l'heure de début.")
        );
        assert_eq!(
            errors(RangeInput {
                slot_minutes: "0".into(),
                ..range_input()
            }),
            one(
                "slot_minutes",
                "La durée d'un créneau est d'au moins 5 minutes."
            )
        );
        assert_eq!(
            errors(RangeInput {
                end: "09:15".into(),
                ..range_input()
            }),
            one(
                "slot_minutes",
                "La durée d'un créneau ne peut pas dépasser celle de la plage (15 minutes)."
            )
        );
        assert_eq!(
            errors(RangeInput {
                days: vec![],
                ..range_input()
            }),
            one("days", "Choisissez au moins un jour.")
        );
        assert_eq!(
            errors(RangeInput {
                reason_ids: vec!["x".into()],
                ..range_input()
            }),
            one("reason_ids", UNKNOWN_REASON)
        );
        assert_eq!(
            errors(RangeInput {
                reason_ids: vec![],
                ..range_input()
            }),
            one("reason_ids", "Choisissez au moins un motif.")
        );
        assert_eq!(
            errors(RangeInput {
                valid_until: "2026-11-01".into(),
                ..range_input()
            }),
            one(
                "valid_until",
                "La fin de validité doit être après le début de validité."
            )
        );
        assert_eq!(
            errors(RangeInput {
                kind: "once".into(),
                date: "2026-11-25".into(),
                ..range_input()
            }),
            one(
                "date",
                "La date de la plage ne peut pas être dans le passé."
            )
        );
        let all = errors(RangeInput {
            kind: "weekly".into(),
            days: vec!["9".into()],
            start: "".into(),
            end: "25:00".into(),
            slot_minutes: "vingt".into(),
            mode: "domicile".into(),
            ..range_input()
        });
        let fields: Vec<&str> = all.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["days", "start", "end", "slot_minutes", "mode"]);
    }

    #[test]
    fn absences_are_paris_periods() {
        let input = AbsenceInput {
            start_date: "2027-03-28".into(),
            start_time: "09:00".into(),
            end_date: "28/03/2027".into(),
            end_time: "12:00".into(),
            label: "  Formation   continue ".into(),
        };
        let absence = input.validate().unwrap();
        assert_eq!(absence.start.format("%H:%M").to_string(), "07:00");
        assert_eq!(absence.label, "Formation continue");
        let backwards = AbsenceInput {
            end_time: "08:00".into(),
            ..input.clone()
        };
        let errors = backwards.validate().unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].field.as_str(), errors[0].message.as_str()),
            ("end_date", "La fin de l'absence doit être après son début.")
        );
        let gap = AbsenceInput {
            start_time: "02:30".into(),
            ..input
        };
        assert_eq!(gap.validate().unwrap_err()[0].field, "start_time");
        assert_eq!(AbsenceInput::default().validate().unwrap_err().len(), 4);
    }

    #[test]
    fn slots_fit_around_absences_and_kept_slots() {
        // Wanted: 0–20, 20–40, 40–60 (minutes as seconds ×60), one duplicate start.
        let m = |minutes: i64| minutes * 60;
        let wanted = vec![
            (m(40), m(60), 'c'),
            (m(0), m(20), 'a'),
            (m(20), m(40), 'b'),
            (m(20), m(40), 'd'),
        ];
        assert_eq!(
            fit_slots(wanted.clone(), &[], &[]),
            vec![(m(0), m(20), 'a'), (m(20), m(40), 'b'), (m(40), m(60), 'c')]
        );
        // A kept 15-minute slot at 10 blocks 0–20; an absence 45–50 blocks 40–60.
        assert_eq!(
            fit_slots(wanted.clone(), &[(m(10), m(25))], &[(m(45), m(50))]),
            Vec::<(i64, i64, char)>::new()
        );
        assert_eq!(
            fit_slots(wanted, &[(m(40), m(60))], &[(m(0), m(20))]),
            vec![(m(20), m(40), 'b')]
        );
    }

    #[test]
    fn week_labels() {
        assert_eq!(
            week_label_fr(date(2026, 11, 23)),
            "Semaine du 23 au 29 novembre 2026"
        );
        assert_eq!(
            week_label_fr(date(2026, 11, 30)),
            "Semaine du 30 novembre au 6 décembre 2026"
        );
        assert_eq!(
            week_label_fr(date(2026, 12, 28)),
            "Semaine du 28 décembre 2026 au 3 janvier 2027"
        );
        assert_eq!(date_label_fr(date(2026, 12, 1)), "mardi 1 décembre");
    }

    /// Found by the property tests: on the spring change a 19-minute slot from 01:46 ended
    /// at 03:05 summer time and overlapped the one starting at 03:02.
    #[test]
    fn no_slot_crosses_a_daylight_saving_change() {
        let night = RangeTimes {
            recurrence: Recurrence::Once(date(2029, 3, 25)),
            start: NaiveTime::from_hms_opt(0, 30, 0).unwrap(),
            end: NaiveTime::from_hms_opt(3, 50, 0).unwrap(),
            slot_minutes: 19,
        };
        let slots = night.slots(date(2029, 3, 25), date(2029, 3, 25));
        let local = |t: &DateTime<Utc>| t.with_timezone(&Paris).format("%H:%M").to_string();
        let starts: Vec<String> = slots.iter().map(|(s, _)| local(s)).collect();
        assert_eq!(
            starts,
            ["00:30", "00:49", "01:08", "01:27", "03:02", "03:21"]
        );
        for (s, e) in &slots {
            assert_eq!(*e - *s, Duration::minutes(19));
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(week_start(date(2026, 11, 26)), date(2026, 11, 23));
        assert_eq!(week_start(date(2026, 11, 23)), date(2026, 11, 23));
        assert_eq!(week_start(date(2026, 11, 29)), date(2026, 11, 23));
    }

    #[test]
    fn codes_round_trip() {
        for m in [Mode::Cabinet, Mode::Video] {
            assert_eq!(Mode::from_code(m.code()), Some(m));
            assert_eq!(Mode::try_from(m.code().to_string()), Ok(m));
        }
        assert!(Mode::try_from("visio".to_string()).is_err());
    }
}
