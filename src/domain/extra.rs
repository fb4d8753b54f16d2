//! Surnuméraire: when no slot fits, a regulator asks a practitioner to see a patient beyond the
//! agenda at a proposed time. The practitioner accepts (an appointment outside the agenda) or
//! declines with a reason within a set time; unanswered, the request expires. The regulator may
//! withdraw it while it waits, and ask another practitioner once it is closed.

use super::agenda::{Mode, paris_instant, parse_date, parse_time};
use super::field::{FieldError, REQUIRED, bounded, too_long};
use super::ids::{AppointmentId, ExtraRequestId, PractitionerId, UnknownCode};
use super::patient::PatientInput;
use super::practitioner::ExtraField;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Minutes a practitioner has to answer, unless configured (`SAS_EXTRA_ANSWER_MINUTES`).
pub const DEFAULT_ANSWER_MINUTES: i64 = 30;
/// The length of the consultation an accepted request books.
pub const CONSULTATION_MINUTES: i64 = 15;
/// How far ahead a time may be proposed: the SAS answers needs within 48 hours, a week at most.
pub const LATEST_DAYS: i64 = 7;
/// The motif of an appointment made from a request, wherever appointments are listed.
pub const EXTRA_REASON: &str = "Surnuméraire (hors agenda)";
pub const DECLINE_REASON_MAX: usize = 300;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExtraStatus {
    Pending,
    Accepted,
    Declined,
    Expired,
    Withdrawn,
}

impl ExtraStatus {
    const ALL: [ExtraStatus; 5] = [
        ExtraStatus::Pending,
        ExtraStatus::Accepted,
        ExtraStatus::Declined,
        ExtraStatus::Expired,
        ExtraStatus::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ExtraStatus::Pending => "pending",
            ExtraStatus::Accepted => "accepted",
            ExtraStatus::Declined => "declined",
            ExtraStatus::Expired => "expired",
            ExtraStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            ExtraStatus::Pending => "En attente de réponse",
            ExtraStatus::Accepted => "Acceptée",
            ExtraStatus::Declined => "Refusée",
            ExtraStatus::Expired => "Expirée sans réponse",
            ExtraStatus::Withdrawn => "Retirée",
        }
    }

    /// The status as it stands at `now`: a pending request past its deadline has expired, even
    /// before the periodic job writes it.
    pub fn at(self, expires_at: i64, now: i64) -> Self {
        match self {
            ExtraStatus::Pending if now >= expires_at => ExtraStatus::Expired,
            other => other,
        }
    }

    /// Closed without an appointment: the regulator may ask another practitioner.
    pub fn ask_another(self) -> bool {
        matches!(
            self,
            ExtraStatus::Declined | ExtraStatus::Expired | ExtraStatus::Withdrawn
        )
    }
}

impl TryFrom<String> for ExtraStatus {
    type Error = UnknownCode;

    fn try_from(code: String) -> Result<Self, UnknownCode> {
        ExtraStatus::from_code(&code).ok_or(UnknownCode(code))
    }
}

/// The request form as typed (the patient part is the funnel's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExtraRequestInput {
    pub practitioner_id: PractitionerId,
    /// Made once per form: a second submit sends nothing more.
    pub idempotency_key: String,
    /// The proposed day, as a date input sends it (`AAAA-MM-JJ`) or typed (`JJ/MM/AAAA`).
    pub day: String,
    /// The proposed time, `HH:MM`.
    pub time: String,
    /// "cabinet" or "video".
    pub mode: String,
    pub message: String,
    pub patient: PatientInput,
}

/// What the regulator proposes, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraProposal {
    pub starts_at: i64,
    pub mode: Mode,
    pub message: Option<String>,
}

impl ExtraRequestInput {
    /// The proposal's fields in the form's order, for errors and focus.
    pub const FIELDS: [&'static str; 4] = ["day", "time", "mode", "message"];

    /// One field's message, if any (`time` is judged with the day, when the day is valid).
    pub fn check_field(&self, field: &str, now: DateTime<Utc>) -> Result<(), String> {
        match field {
            "day" => parse_date(&self.day).map(|_| ()),
            "time" => match parse_date(&self.day) {
                Ok(_) => self.starts_at(now).map(|_| ()),
                Err(_) => parse_time(&self.time).map(|_| ()),
            },
            "mode" => Mode::from_code(&self.mode)
                .map(|_| ())
                .ok_or_else(|| "Choisissez le type de consultation.".into()),
            "message" if self.message.trim().chars().count() > super::booking::MESSAGE_MAX => {
                Err(too_long(super::booking::MESSAGE_MAX))
            }
            _ => Ok(()),
        }
    }

    /// The proposed instant: a Paris time that exists, to come, within [`LATEST_DAYS`].
    fn starts_at(&self, now: DateTime<Utc>) -> Result<i64, String> {
        let day = parse_date(&self.day)?;
        let time = parse_time(&self.time)?;
        let instant = paris_instant(day, time)
            .ok_or("Cette heure n'existe pas ce jour-là (changement d'heure).")?;
        if instant <= now {
            return Err("Cette heure est passée : proposez une heure à venir.".into());
        }
        if instant > now + chrono::Duration::days(LATEST_DAYS) {
            return Err(format!(
                "Proposez une heure dans les {LATEST_DAYS} prochains jours."
            ));
        }
        Ok(instant.timestamp())
    }

    /// The checked proposal, or every field's message.
    pub fn proposal(&self, now: DateTime<Utc>) -> Result<ExtraProposal, Vec<FieldError>> {
        let errors: Vec<FieldError> = Self::FIELDS
            .iter()
            .filter_map(|field| {
                self.check_field(field, now)
                    .err()
                    .map(|message| FieldError {
                        field: (*field).into(),
                        message,
                    })
            })
            .collect();
        match (
            errors.is_empty(),
            self.starts_at(now),
            Mode::from_code(&self.mode),
        ) {
            (true, Ok(starts_at), Some(mode)) => Ok(ExtraProposal {
                starts_at,
                mode,
                message: Some(self.message.trim().to_string()).filter(|m| !m.is_empty()),
            }),
            _ => Err(errors),
        }
    }
}

/// A decline's reason: mandatory, bounded.
pub fn decline_reason(input: &str) -> Result<String, String> {
    bounded(input, DECLINE_REASON_MAX).map_err(|e| {
        if e == REQUIRED {
            "Indiquez pourquoi vous ne pouvez pas recevoir ce patient.".into()
        } else {
            e
        }
    })
}

/// What the request form shows of the practitioner asked, and what it needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtraForm {
    pub practitioner_id: PractitionerId,
    pub practitioner: String,
    pub specialty: String,
    pub address: String,
    /// (tel: link, as shown), when the practice gave one.
    pub phone: Option<(String, String)>,
    /// Patient fields this practitioner requires beyond the default five.
    pub extra_fields: Vec<ExtraField>,
    /// Minutes the practitioner has to answer.
    pub answer_minutes: i64,
    pub idempotency_key: String,
    /// Today in Paris (`AAAA-MM-JJ`), the day proposed by default.
    pub today: String,
    /// The server's clock when it answered (Unix seconds): the form judges times by it.
    pub server_now: i64,
    /// What a previous request of this regulator typed for the patient, when asking again.
    pub patient: Option<PatientInput>,
}

/// One request as its regulator, its practitioner or an administrator reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtraView {
    pub id: ExtraRequestId,
    pub status: ExtraStatus,
    pub practitioner: String,
    pub address: String,
    /// (tel: link, as shown), when the practice gave one.
    pub phone: Option<(String, String)>,
    /// "mardi 1 décembre à 14:40"
    pub when: String,
    pub mode: String,
    pub regulator: String,
    /// "14:32": when an unanswered request expires.
    pub expires: String,
    pub message: Option<String>,
    pub decline_reason: Option<String>,
    pub appointment_id: Option<AppointmentId>,
    /// (label, value) of the patient's identity, as on an appointment's page.
    pub patient: Vec<(String, String)>,
    /// The practitioner may accept or decline it now.
    pub can_answer: bool,
    /// Its regulator may withdraw it now.
    pub can_withdraw: bool,
    /// Closed without an appointment, for its regulator: other practitioners to ask,
    /// nearest first (id, name, address).
    pub others: Vec<(PractitionerId, String, String)>,
}

/// A line of the lists of requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtraLine {
    pub id: ExtraRequestId,
    pub when: String,
    pub practitioner: String,
    pub patient: String,
    pub status: ExtraStatus,
    pub expires: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Tuesday 1 December 2026, 10:00 in Paris.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
    }

    fn input(day: &str, time: &str) -> ExtraRequestInput {
        ExtraRequestInput {
            day: day.into(),
            time: time.into(),
            mode: "cabinet".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_proposal_is_a_paris_time_to_come_within_a_week() {
        let ok = input("2026-12-01", "14:40").proposal(now()).unwrap();
        assert_eq!(
            ok.starts_at,
            Utc.with_ymd_and_hms(2026, 12, 1, 13, 40, 0)
                .unwrap()
                .timestamp()
        );
        assert_eq!((ok.mode, ok.message), (Mode::Cabinet, None));
        let refused = |day: &str, time: &str| input(day, time).proposal(now()).unwrap_err();
        assert_eq!(
            refused("01/12/2026", "09:30")[0].message,
            "Cette heure est passée : proposez une heure à venir."
        );
        assert_eq!(
            refused("2026-12-09", "09:30")[0].message,
            "Proposez une heure dans les 7 prochains jours."
        );
        assert_eq!(refused("", "")[0].field, "day");
        assert_eq!(refused("2026-12-02", "25:00")[0].field, "time");
    }

    #[test]
    fn a_request_needs_a_mode_and_a_bounded_message() {
        let mut typed = input("2026-12-02", "09:00");
        typed.mode = String::new();
        typed.message = "x".repeat(1001);
        let fields: Vec<String> = typed
            .proposal(now())
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["mode", "message"]);
    }

    #[test]
    fn an_unanswered_request_expires_at_its_deadline() {
        assert_eq!(ExtraStatus::Pending.at(100, 99), ExtraStatus::Pending);
        assert_eq!(ExtraStatus::Pending.at(100, 100), ExtraStatus::Expired);
        assert_eq!(ExtraStatus::Accepted.at(100, 500), ExtraStatus::Accepted);
        assert!(ExtraStatus::Declined.ask_another() && !ExtraStatus::Accepted.ask_another());
        for status in ExtraStatus::ALL {
            assert_eq!(ExtraStatus::from_code(status.code()), Some(status));
        }
    }

    #[test]
    fn a_decline_needs_its_reason() {
        assert!(decline_reason("  ").is_err());
        assert_eq!(decline_reason(" Cabinet fermé ").unwrap(), "Cabinet fermé");
        assert!(decline_reason(&"x".repeat(301)).is_err());
    }
}
