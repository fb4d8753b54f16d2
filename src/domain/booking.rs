//! The booking funnel's rules beyond the patient identity: what the slot offers (type of
//! consultation, reasons, the practitioner's questions) and what the regulator chose; and what
//! the funnel and the server exchange (the held slot, the booking request, the alternatives).

use super::agenda::Mode;
use super::field::{FieldError, REQUIRED, bounded};
use super::ids::{QuestionId, ReasonId, SlotId};
use super::patient::PatientInput;
use super::practitioner::ExtraField;
use serde::{Deserialize, Serialize};

/// How long opening a slot keeps it for one regulator.
pub const HOLD_MINUTES: i64 = 10;
/// "Message à destination du praticien".
pub const MESSAGE_MAX: usize = 1000;
pub const ANSWER_MAX: usize = 500;
pub const CANCEL_REASON_MAX: usize = 300;
/// "La pièce jointe doit être … moins de 50 Mo".
pub const ATTACHMENT_MAX_BYTES: u64 = 50 * 1024 * 1024;

/// The guide's warning under the message field, verbatim.
pub const MESSAGE_WARNING: &str = "Attention : ce message ne sera pas lu en temps réel et ne doit pas présenter de caractère d'urgence. Il peut aussi ne pas être lu par le praticien auquel vous adressez votre patient. Les informations renseignées ne doivent pas être excessives, inappropriées, subjectives, insultantes, discriminatoires ou contraires à la loi";
/// The guide's rule for attachments, shown as a hint and as the error on a wrong file.
pub const ATTACHMENT_RULE: &str = "La pièce jointe doit être de l'un des formats suivants: .pdf, .jpg, .jpeg, .png et moins de 50 Mo";

/// A reason (motif) configured on the slot's range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferedReason {
    pub id: ReasonId,
    pub name: String,
    pub is_snp: bool,
    #[serde(default)]
    pub duration_minutes: i64,
    /// « À lire avant de prendre un rendez-vous » for this reason; empty for none.
    #[serde(default)]
    pub notice: String,
}

impl OfferedReason {
    /// "Soins non programmés (20 min)", as the funnel's select shows it.
    pub fn label(&self) -> String {
        if self.duration_minutes > 0 {
            format!("{} ({} min)", self.name, self.duration_minutes)
        } else {
            self.name.clone()
        }
    }
}

/// A question of the practitioner's the regulator answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub id: QuestionId,
    pub label: String,
    pub required: bool,
}

/// What one slot lets the regulator choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The slot's own mode: a slot is either at the practice or by video.
    pub mode: Mode,
    pub reasons: Vec<OfferedReason>,
    pub questions: Vec<Question>,
}

impl Offer {
    /// "Soins non programmés" is preselected when the range has it (the guide: "si le motif
    /// est disponible, merci de le sélectionner"); otherwise the regulator must choose.
    pub fn preselected_reason(&self) -> Option<ReasonId> {
        self.reasons.iter().find(|r| r.is_snp).map(|r| r.id)
    }
}

/// An answer to one of the practitioner's questions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub question_id: QuestionId,
    pub text: String,
}

/// Step A of the funnel and the message, as typed; missing fields are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChoicesInput {
    /// "cabinet" or "video".
    pub mode: String,
    /// "Avez-vous déjà consulté ce praticien ?": "oui", "non" or empty.
    pub known_patient: String,
    /// The chosen reason's id, as the select sends it.
    pub reason_id: String,
    pub answers: Vec<Answer>,
    pub message: String,
}

/// Checked choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choices {
    pub mode: Mode,
    pub known_patient: bool,
    pub reason: OfferedReason,
    /// Question label and answer, for the questions answered.
    pub answers: Vec<(Question, String)>,
    pub message: Option<String>,
}

/// The form id of a question's answer field.
pub fn question_field(id: QuestionId) -> String {
    format!("question-{}", id.0)
}

impl ChoicesInput {
    /// Checks one field against the offer, for feedback as the regulator types.
    pub fn check_field(&self, field: &str, offer: &Offer) -> Result<(), String> {
        match field {
            "mode" => self.mode(offer).map(drop),
            "known_patient" => self.known_patient().map(drop),
            "reason_id" => self.reason(offer).map(drop),
            "message" => self.message().map(drop),
            _ => match offer
                .questions
                .iter()
                .find(|q| question_field(q.id) == field)
            {
                Some(question) => self.answer(question).map(drop),
                None => Ok(()),
            },
        }
    }

    fn mode(&self, offer: &Offer) -> Result<Mode, String> {
        match Mode::from_code(&self.mode) {
            Some(mode) if mode == offer.mode => Ok(mode),
            Some(_) => Err("Ce créneau n'est pas proposé pour ce type de consultation.".into()),
            None => Err("Choisissez le type de consultation.".into()),
        }
    }

    fn known_patient(&self) -> Result<bool, String> {
        match self.known_patient.as_str() {
            "oui" => Ok(true),
            "non" => Ok(false),
            _ => Err("Indiquez si le patient a déjà consulté ce praticien.".into()),
        }
    }

    fn reason(&self, offer: &Offer) -> Result<OfferedReason, String> {
        let id = self.reason_id.trim().parse::<i64>().ok().map(ReasonId);
        offer
            .reasons
            .iter()
            .find(|r| Some(r.id) == id)
            .cloned()
            .ok_or_else(|| "Choisissez un motif de consultation.".into())
    }

    fn message(&self) -> Result<Option<String>, String> {
        match bounded(&self.message, MESSAGE_MAX) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e == REQUIRED => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn answer(&self, question: &Question) -> Result<Option<String>, String> {
        let text = self
            .answers
            .iter()
            .find(|a| a.question_id == question.id)
            .map_or("", |a| a.text.as_str());
        match bounded(text, ANSWER_MAX) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e == REQUIRED && !question.required => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every field against the offer; all errors at once, in the form's order.
    pub fn validate(&self, offer: &Offer) -> Result<Choices, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mode = FieldError::check(&mut errors, "mode", self.mode(offer));
        let known = FieldError::check(&mut errors, "known_patient", self.known_patient());
        let reason = FieldError::check(&mut errors, "reason_id", self.reason(offer));
        let mut answers = Vec::new();
        for question in &offer.questions {
            let field = question_field(question.id);
            if let Some(Some(text)) = FieldError::check(&mut errors, &field, self.answer(question))
            {
                answers.push((question.clone(), text));
            }
        }
        let message = FieldError::check(&mut errors, "message", self.message());
        match (mode, known, reason, message) {
            (Some(mode), Some(known_patient), Some(reason), Some(message)) if errors.is_empty() => {
                Ok(Choices {
                    mode,
                    known_patient,
                    reason,
                    answers,
                    message,
                })
            }
            _ => Err(errors),
        }
    }
}

/// An attachment's kind, told by its first bytes (never by its name alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttachmentKind {
    Pdf,
    Jpeg,
    Png,
}

impl AttachmentKind {
    /// Bytes needed to recognise every kind.
    pub const SNIFF_LEN: usize = 8;

    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(Self::Png)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    /// The file name's extension must agree with the content.
    pub fn matches_name(self, name: &str) -> bool {
        let lower = name.to_lowercase();
        match self {
            Self::Pdf => lower.ends_with(".pdf"),
            Self::Jpeg => lower.ends_with(".jpg") || lower.ends_with(".jpeg"),
            Self::Png => lower.ends_with(".png"),
        }
    }
}

/// A file name safe to show and to send back in a header: its last path part, printable
/// characters only, at most 120 characters.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(120)
        .collect();
    if cleaned.trim().is_empty() {
        "piece-jointe".into()
    } else {
        cleaned.trim().to_string()
    }
}

/// A cancellation reason: mandatory, bounded.
pub fn cancel_reason(input: &str) -> Result<String, String> {
    bounded(input, CANCEL_REASON_MAX).map_err(|e| {
        if e == REQUIRED {
            "Indiquez le motif de l'annulation.".into()
        } else {
            e
        }
    })
}

/// What the funnel shows of the slot being booked, and what it lets the regulator choose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotDetails {
    pub slot_id: SlotId,
    pub practitioner: String,
    pub specialty: String,
    pub address: String,
    pub day: String,
    pub time: String,
    /// "À lire avant de prendre un rendez-vous": the practitioner's general notice, shown when
    /// the reason has none of its own.
    pub notice: String,
    pub offer: Offer,
    /// Patient fields this practitioner requires beyond the default five.
    pub extra_fields: Vec<ExtraField>,
    /// When this regulator's hold ends (Unix seconds); 0 when they do not hold the slot.
    pub hold_expires_at: i64,
    /// The server's clock when it answered (Unix seconds): the page's countdown and today's
    /// date follow the server's time, which is authoritative, not the browser's clock.
    pub server_now: i64,
    /// Sent back with the booking: a second submit of this funnel books nothing more.
    pub idempotency_key: String,
}

impl SlotDetails {
    /// The notice to read before booking for the reason chosen (`reason_id` as the select
    /// sends it), or the only one offered: its own, else the practitioner's general notice.
    pub fn notice_for(&self, reason_id: &str) -> &str {
        let reasons = &self.offer.reasons;
        let reason = match reasons.iter().find(|r| r.id.to_string() == reason_id) {
            Some(r) => Some(r),
            None if reasons.len() == 1 => reasons.first(),
            None => None,
        };
        match reason {
            Some(r) if !r.notice.is_empty() => &r.notice,
            _ => &self.notice,
        }
    }
}

/// Everything the funnel sends.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingRequest {
    pub slot_id: SlotId,
    /// Made once per form: a second submit of the same form books nothing more.
    pub idempotency_key: String,
    pub choices: ChoicesInput,
    pub patient: PatientInput,
    /// The token of an uploaded attachment.
    pub attachment: Option<String>,
}

/// A free slot offered when the chosen one was just taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    pub slot_id: SlotId,
    /// "Dr Anne Martin — mardi 1 décembre à 10:30"
    pub label: String,
    pub place: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> Offer {
        Offer {
            mode: Mode::Cabinet,
            reasons: vec![
                OfferedReason {
                    id: ReasonId(7),
                    name: "Consultation de médecine générale".into(),
                    is_snp: false,
                    duration_minutes: 15,
                    notice: "Apportez votre carnet de vaccination.".into(),
                },
                OfferedReason {
                    id: ReasonId(9),
                    name: "Soins non programmés".into(),
                    is_snp: true,
                    duration_minutes: 0,
                    notice: String::new(),
                },
            ],
            questions: vec![
                Question {
                    id: QuestionId(3),
                    label: "Traitement en cours ?".into(),
                    required: true,
                },
                Question {
                    id: QuestionId(4),
                    label: "Allergies ?".into(),
                    required: false,
                },
            ],
        }
    }

    fn complete() -> ChoicesInput {
        ChoicesInput {
            mode: "cabinet".into(),
            known_patient: "non".into(),
            reason_id: "9".into(),
            answers: vec![Answer {
                question_id: QuestionId(3),
                text: "Aucun".into(),
            }],
            message: String::new(),
        }
    }

    #[test]
    fn snp_is_preselected_when_the_range_has_it() {
        assert_eq!(offer().preselected_reason(), Some(ReasonId(9)));
        let mut without = offer();
        without.reasons.retain(|r| !r.is_snp);
        assert_eq!(without.preselected_reason(), None);
    }

    #[test]
    fn complete_choices_pass() {
        let choices = complete().validate(&offer()).unwrap();
        assert!(choices.reason.is_snp);
        assert!(!choices.known_patient);
        assert_eq!(choices.answers.len(), 1);
        assert_eq!(choices.message, None);
    }

    #[test]
    fn every_missing_or_foreign_choice_is_reported_on_its_field() {
        let input = ChoicesInput {
            mode: "video".into(),
            reason_id: "42".into(),
            message: "x".repeat(MESSAGE_MAX + 1),
            ..ChoicesInput::default()
        };
        let fields: Vec<String> = input
            .validate(&offer())
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "mode",
                "known_patient",
                "reason_id",
                "question-3",
                "message"
            ]
        );
        assert_eq!(
            complete().check_field("question-4", &offer()),
            Ok(()),
            "an optional question may stay empty"
        );
    }

    #[test]
    fn attachments_are_recognised_by_content() {
        assert_eq!(
            AttachmentKind::sniff(b"%PDF-1.7\n"),
            Some(AttachmentKind::Pdf)
        );
        assert_eq!(
            AttachmentKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(AttachmentKind::Jpeg)
        );
        assert_eq!(
            AttachmentKind::sniff(b"\x89PNG\r\n\x1a\n"),
            Some(AttachmentKind::Png)
        );
        assert_eq!(AttachmentKind::sniff(b"MZ\x90\0"), None);
        assert_eq!(AttachmentKind::sniff(b"%PD"), None);
        assert!(AttachmentKind::Jpeg.matches_name("Radio.JPEG"));
        assert!(!AttachmentKind::Pdf.matches_name("ordonnance.png"));
        assert_eq!(
            clean_file_name("C:\\Users\\x\\ordo\"nnance.pdf"),
            "ordonnance.pdf"
        );
        assert_eq!(clean_file_name("../../"), "piece-jointe");
    }

    #[test]
    fn the_notice_is_the_reasons_own_else_the_general_one() {
        let details = |offer: Offer| SlotDetails {
            slot_id: SlotId(1),
            practitioner: "Dr Jeanne Rolland".into(),
            specialty: "Médecine générale".into(),
            address: String::new(),
            day: String::new(),
            time: String::new(),
            notice: "Cabinet au 2e étage.".into(),
            offer,
            extra_fields: Vec::new(),
            hold_expires_at: 0,
            server_now: 0,
            idempotency_key: String::new(),
        };
        let both = details(offer());
        assert_eq!(
            both.notice_for("7"),
            "Apportez votre carnet de vaccination."
        );
        assert_eq!(both.notice_for("9"), "Cabinet au 2e étage.");
        assert_eq!(both.notice_for(""), "Cabinet au 2e étage.");
        // The only reason offered is the one the notice is about, chosen or not.
        let mut only = offer();
        only.reasons.truncate(1);
        assert_eq!(
            details(only).notice_for(""),
            "Apportez votre carnet de vaccination."
        );
        assert_eq!(
            offer().reasons[0].label(),
            "Consultation de médecine générale (15 min)"
        );
        assert_eq!(offer().reasons[1].label(), "Soins non programmés");
    }

    #[test]
    fn cancel_reasons() {
        assert_eq!(
            cancel_reason(" "),
            Err("Indiquez le motif de l'annulation.".into())
        );
        assert_eq!(
            cancel_reason(" Patient rétabli "),
            Ok("Patient rétabli".into())
        );
    }
}
