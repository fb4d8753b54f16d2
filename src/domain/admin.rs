//! What the administration pages show: the regulators and where they stand, the mails kept in
//! the outbox, the audit log and its filters.

use super::account::RegulatorState;
use super::agenda::{paris_instant, parse_date};
use super::field::FieldError;
use super::identity::Email;
use super::ids::{AppointmentId, InvitationId};
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegulatorLine {
    pub id: InvitationId,
    /// "Mme Claire Morel"
    pub name: String,
    pub email: String,
    pub departement: String,
    pub invited_on: String,
    pub state: RegulatorState,
    /// The sign-in address, when the account exists and differs from the invited one.
    pub account_email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailLine {
    pub sent_at: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    /// Mails leave by SMTP: none is kept.
    pub smtp: bool,
    pub mails: Vec<MailLine>,
}

/// A mail of the outbox as an administrator may read it: the single-use links it carries are
/// another account's keys, so their token is cut to its first characters.
pub fn mask_tokens(body: &str) -> String {
    const KEY: &str = "jeton=";
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find(KEY) {
        let (before, after) = rest.split_at(at + KEY.len());
        out.push_str(before);
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(after.len());
        out.push_str(&after[..end.min(4)]);
        if end > 4 {
            out.push_str("…(masqué)");
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    pub at: String,
    pub who: String,
    pub action: String,
    pub subject: String,
    pub from: String,
}

/// The audit log's page, and its CSV export (same filters in the query).
pub const JOURNAL_PATH: &str = "/admin/journal";
pub const JOURNAL_CSV_PATH: &str = "/admin/journal.csv";
/// Entries per page of the journal.
pub const JOURNAL_PAGE_SIZE: u32 = 50;
/// The most entries one CSV export holds: beyond, the filters must be narrowed.
pub const JOURNAL_EXPORT_MAX: u64 = 100_000;

/// Every action the platform writes to the audit log, with its French label.
pub const AUDIT_ACTIONS: &[(&str, &str)] = &[
    ("sign_in", "Connexion"),
    ("sign_in_failed", "Échec de connexion"),
    (
        "sign_in_throttled",
        "Connexion bloquée (trop de tentatives)",
    ),
    (
        "sign_in_unconfirmed",
        "Connexion refusée (adresse non confirmée)",
    ),
    ("admin_created", "Administrateur créé"),
    ("regulator_created", "Régulateur créé"),
    ("invitation_sent", "Invitation envoyée"),
    ("invitation_revoked", "Invitation révoquée"),
    ("account_created", "Compte créé"),
    ("account_disabled", "Compte désactivé"),
    (
        "password_reset_requested",
        "Réinitialisation du mot de passe demandée",
    ),
    ("password_reset", "Mot de passe réinitialisé"),
    ("practitioner_registered", "Médecin inscrit"),
    ("email_confirmed", "Adresse électronique confirmée"),
    ("participation_requested", "Participation au SAS demandée"),
    ("participation_withdrawn", "Participation au SAS retirée"),
    ("participation_approved", "Participation au SAS validée"),
    ("participation_refused", "Participation au SAS refusée"),
    ("participation_suspended", "Participation au SAS suspendue"),
    ("participation_reinstated", "Participation au SAS rétablie"),
    ("patient_data_read", "Lecture de données patient"),
    ("appointment_created", "Rendez-vous pris"),
    ("appointment_cancelled", "Rendez-vous annulé"),
    ("appointment_fulfilled", "Rendez-vous honoré"),
    ("appointment_noshow", "Rendez-vous non honoré"),
    ("patient_mail_sent", "Courriel envoyé au patient"),
    ("attachment_uploaded", "Pièce jointe envoyée"),
    ("attachment_read", "Pièce jointe lue"),
    (
        "patient_data_erased",
        "Données patient effacées (durée de conservation)",
    ),
    ("audit_export", "Export du journal d'audit"),
    ("indicators_export", "Export des indicateurs"),
];

/// The French label of an action code (the code itself when unknown).
pub fn action_label(code: &str) -> &str {
    AUDIT_ACTIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, label)| label)
}

/// The journal's filters as the address carries them:
/// `/admin/journal?du=…&au=…&compte=…&action=…&rdv=…&page=…`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct JournalQuery {
    /// First day, Paris time (`AAAA-MM-JJ`).
    pub du: String,
    /// Last day, Paris time, included.
    pub au: String,
    /// Address of the acting account.
    pub compte: String,
    /// Action code.
    pub action: String,
    /// Appointment number.
    pub rdv: String,
    pub page: String,
}

/// Checked filters: what the store reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalFilter {
    /// Entries at or after this instant (Unix seconds): midnight, Paris time, of the first day.
    pub since: Option<i64>,
    /// Entries before this instant: midnight, Paris time, after the last day.
    pub before: Option<i64>,
    /// Lower-cased.
    pub email: Option<String>,
    pub action: Option<&'static str>,
    pub appointment: Option<AppointmentId>,
}

impl JournalQuery {
    /// From the address's query pairs; unknown keys are ignored.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut query = Self::default();
        for (key, value) in pairs {
            if let Some(field) = query.field_mut(key) {
                *field = value.to_string();
            }
        }
        query
    }

    fn field_mut(&mut self, key: &str) -> Option<&mut String> {
        Some(match key {
            "du" => &mut self.du,
            "au" => &mut self.au,
            "compte" => &mut self.compte,
            "action" => &mut self.action,
            "rdv" => &mut self.rdv,
            "page" => &mut self.page,
            _ => return None,
        })
    }

    /// The filters as a query string, empty ones left out (no page).
    pub fn filters(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("du", &self.du),
            ("au", &self.au),
            ("compte", &self.compte),
            ("action", &self.action),
            ("rdv", &self.rdv),
        ] {
            if !value.trim().is_empty() {
                query.append_pair(key, value.trim());
            }
        }
        query.finish()
    }

    /// Page `page` of the journal with the same filters.
    pub fn page_url(&self, page: u32) -> String {
        let mut query = self.filters();
        if page > 1 {
            let sep = if query.is_empty() { "" } else { "&" };
            query = format!("{query}{sep}page={page}");
        }
        with_query(JOURNAL_PATH, &query)
    }

    /// The CSV export of every entry the filters match.
    pub fn csv_url(&self) -> String {
        with_query(JOURNAL_CSV_PATH, &self.filters())
    }

    /// The page asked for: 1 unless a positive number.
    pub fn page(&self) -> u32 {
        self.page
            .trim()
            .parse()
            .ok()
            .filter(|p| *p > 0)
            .unwrap_or(1)
    }

    /// Checks the filters; each message is attached to its field (the input's `id`).
    pub fn parse(&self) -> Result<JournalFilter, Vec<FieldError>> {
        let mut errors = Vec::new();
        let from = FieldError::check(&mut errors, "du", optional(&self.du, day)).flatten();
        let to = FieldError::check(&mut errors, "au", optional(&self.au, day)).flatten();
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            errors.push(FieldError {
                field: "au".into(),
                message: "La date de fin doit être le jour de début ou après.".into(),
            });
        }
        let email = optional(&self.compte, |s| Email::parse(s).map(|e| e.as_str().into()));
        let email = FieldError::check(&mut errors, "compte", email).flatten();
        let action = FieldError::check(&mut errors, "action", optional(&self.action, action_code));
        let appointment = optional(&self.rdv, appointment_number);
        let appointment = FieldError::check(&mut errors, "rdv", appointment).flatten();
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(JournalFilter {
            since: from.and_then(midnight),
            before: to.and_then(|d| d.succ_opt()).and_then(midnight),
            email,
            action: action.flatten(),
            appointment,
        })
    }
}

pub(super) fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// `None` for an empty input, else what `parse` makes of it.
pub(super) fn optional<T>(
    input: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    match input.trim() {
        "" => Ok(None),
        value => parse(value).map(Some),
    }
}

/// The instant of midnight, Paris time, starting `day`.
pub(super) fn midnight(day: NaiveDate) -> Option<i64> {
    paris_instant(day, NaiveTime::MIN).map(|t| t.timestamp())
}

/// A day whose start and end are instants (not a year out of range).
pub(super) fn day(input: &str) -> Result<NaiveDate, String> {
    let day = parse_date(input)?;
    match day.succ_opt().and_then(midnight).and(midnight(day)) {
        Some(_) => Ok(day),
        None => {
            Err("Date invalide : utilisez le format JJ/MM/AAAA, par exemple 01/12/2026.".into())
        }
    }
}

fn action_code(input: &str) -> Result<&'static str, String> {
    AUDIT_ACTIONS
        .iter()
        .find(|(code, _)| *code == input)
        .map(|(code, _)| *code)
        .ok_or_else(|| "Action inconnue : choisissez une action de la liste.".into())
}

fn appointment_number(input: &str) -> Result<AppointmentId, String> {
    input
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0 && input.bytes().all(|b| b.is_ascii_digit()))
        .map(AppointmentId)
        .ok_or_else(|| {
            "Numéro de rendez-vous invalide : saisissez un nombre, par exemple 42.".into()
        })
}

/// A page of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalPage {
    pub lines: Vec<AuditLine>,
    /// Entries the filters match, over every page.
    pub total: u64,
    /// This page, 1 to `pages`.
    pub page: u32,
    pub pages: u32,
}

impl JournalPage {
    /// How many pages `total` entries fill (one at least, maybe empty).
    pub fn pages_for(total: u64) -> u32 {
        let pages = total.div_ceil(u64::from(JOURNAL_PAGE_SIZE)).max(1);
        u32::try_from(pages).unwrap_or(u32::MAX)
    }

    /// « 1 entrée », « 54 entrées ».
    pub fn count_label(&self) -> String {
        match self.total {
            0 => "Aucune entrée".into(),
            1 => "1 entrée".into(),
            n => format!("{n} entrées"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_links_lose_their_token() {
        let body =
            "Créez votre compte : https://sas.example/creer-mon-compte?jeton=Abc_12-xyzXYZ\nMerci.";
        let masked = mask_tokens(body);
        assert_eq!(
            masked,
            "Créez votre compte : https://sas.example/creer-mon-compte?jeton=Abc_…(masqué)\nMerci."
        );
        assert!(!masked.contains("xyzXYZ"));
        assert_eq!(mask_tokens("sans lien"), "sans lien");
        assert_eq!(mask_tokens("jeton=ab"), "jeton=ab");
        assert_eq!(mask_tokens("a jeton=é"), "a jeton=é");
    }

    fn query(pairs: &[(&str, &str)]) -> JournalQuery {
        JournalQuery::from_pairs(pairs.iter().copied())
    }

    fn errors_of(q: &JournalQuery) -> Vec<(String, String)> {
        q.parse()
            .unwrap_err()
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn journal_filters_are_parsed_and_refused_field_by_field() {
        assert_eq!(query(&[]).parse(), Ok(JournalFilter::default()));
        // Paris days, inclusive: winter, and the spring DST change (a 23-hour day).
        let winter = query(&[("du", "2026-12-01"), ("au", "2026-12-01")])
            .parse()
            .unwrap();
        assert_eq!(winter.since, Some(1_796_079_600)); // 2026-12-01T00:00+01:00
        assert_eq!(winter.before, Some(1_796_079_600 + 86_400));
        let spring = query(&[("du", "29/03/2026"), ("au", "2026-03-29")])
            .parse()
            .unwrap();
        assert_eq!(spring.since, Some(1_774_738_800)); // 2026-03-29T00:00+01:00
        assert_eq!(spring.before, Some(1_774_738_800 + 23 * 3600));
        let filter = query(&[
            ("compte", "  Admin.SAS@Demo.Test "),
            ("action", "appointment_cancelled"),
            ("rdv", " 42 "),
            ("inconnu", "x"),
        ])
        .parse()
        .unwrap();
        assert_eq!(filter.email.as_deref(), Some("admin.sas@demo.test"));
        assert_eq!(filter.action, Some("appointment_cancelled"));
        assert_eq!(filter.appointment, Some(AppointmentId(42)));

        let bad = query(&[
            ("du", "2026-13-01"),
            ("compte", "personne"),
            ("action", "drop_table"),
            ("rdv", "4a"),
        ]);
        let fields: Vec<String> = errors_of(&bad).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["du", "compte", "action", "rdv"]);
        for rdv in ["-1", "+3", "0", "4 2", "99999999999999999999"] {
            assert_eq!(
                errors_of(&query(&[("rdv", rdv)]))[0].1,
                "Numéro de rendez-vous invalide : saisissez un nombre, par exemple 42.",
                "{rdv}"
            );
        }
        assert_eq!(
            errors_of(&query(&[("du", "2026-12-02"), ("au", "2026-12-01")])),
            [(
                "au".to_string(),
                "La date de fin doit être le jour de début ou après.".to_string()
            )]
        );
    }

    #[test]
    fn journal_addresses_carry_the_filters_and_the_page() {
        for (page, expected) in [("", 1), ("0", 1), ("abc", 1), ("-2", 1), ("3", 3)] {
            assert_eq!(query(&[("page", page)]).page(), expected, "{page}");
        }
        let q = query(&[
            ("du", "2026-12-01"),
            ("compte", "a+b@sas.test"),
            ("action", ""),
            ("page", "2"),
        ]);
        assert_eq!(
            q.page_url(3),
            "/admin/journal?du=2026-12-01&compte=a%2Bb%40sas.test&page=3"
        );
        assert_eq!(
            q.page_url(1),
            "/admin/journal?du=2026-12-01&compte=a%2Bb%40sas.test"
        );
        assert_eq!(
            q.csv_url(),
            "/admin/journal.csv?du=2026-12-01&compte=a%2Bb%40sas.test"
        );
        assert_eq!(query(&[]).page_url(1), "/admin/journal");
        assert_eq!(query(&[]).csv_url(), "/admin/journal.csv");
        let back = q.page_url(2);
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(back.split_once('?').unwrap().1.as_bytes())
                .into_owned()
                .collect();
        assert_eq!(
            JournalQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            q
        );
    }

    #[test]
    fn every_written_action_has_a_label_and_can_be_chosen() {
        use crate::domain::appointment::AppointmentStatus;
        use crate::domain::participation::Decision;
        let decisions = [
            Decision::Approve,
            Decision::Refuse,
            Decision::Suspend,
            Decision::Reinstate,
        ]
        .map(|d| d.audit_action().to_string());
        let outcomes = [
            AppointmentStatus::Fulfilled,
            AppointmentStatus::NoShow,
            AppointmentStatus::Cancelled,
        ]
        .map(|s| format!("appointment_{}", s.code()));
        for code in decisions.iter().chain(&outcomes) {
            assert_ne!(action_label(code), code.as_str(), "{code}");
            assert_eq!(
                query(&[("action", code)]).parse().unwrap().action,
                Some(code.as_str())
            );
        }
        assert_eq!(JournalPage::pages_for(0), 1);
        assert_eq!(JournalPage::pages_for(50), 1);
        assert_eq!(JournalPage::pages_for(51), 2);
    }
}
