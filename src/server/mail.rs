//! Outgoing mail: over SMTP (`SMTP_URL`, with `lettre`) or, when no server is configured as in
//! the demo, into an outbox table that administrators read on a page. A mail may carry one
//! attachment (the patient's `.ics`): sent as multipart/mixed over SMTP; the outbox keeps the
//! text only.

use super::store::{OutboxMail, Store};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Who mails come from.
pub const FROM: &str = "Service d'Accès aux Soins <ne-pas-repondre@sas.sante.fr>";

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox,
}

pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub attachment: Option<MailAttachment>,
}

/// A text file sent with a mail.
pub struct MailAttachment {
    pub file_name: String,
    /// "text/calendar; charset=utf-8; method=PUBLISH"
    pub content_type: &'static str,
    pub content: String,
}

impl Mailer {
    /// `smtp://host:port` (plain), `smtp://host:port?tls=required` (STARTTLS) or `smtps://host`;
    /// `None`: the outbox in the database.
    pub fn from_url(url: Option<&str>) -> Result<Self, String> {
        match url.filter(|u| !u.trim().is_empty()) {
            None => Ok(Mailer::Outbox),
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|b| Mailer::Smtp(b.build()))
                .map_err(|e| format!("adresse du serveur de courriel (SMTP_URL) invalide : {e}")),
        }
    }

    /// Sends the mail; the error is logged without the message, which may hold a secret link.
    pub async fn send(&self, store: &Store, mail: &Mail) -> Result<(), String> {
        let sent = self.deliver(store, mail).await;
        super::metrics::count(match sent {
            Ok(()) => super::metrics::Event::MailSent,
            Err(_) => super::metrics::Event::MailFailed,
        });
        sent
    }

    async fn deliver(&self, store: &Store, mail: &Mail) -> Result<(), String> {
        match self {
            Mailer::Outbox => store
                .queue_mail(&OutboxMail {
                    created_at: super::now(),
                    recipient: &mail.to,
                    subject: &mail.subject,
                    body: &mail.body,
                })
                .await
                .map_err(|e| e.to_string()),
            Mailer::Smtp(transport) => transport
                .send(message(mail)?)
                .await
                .map(drop)
                .map_err(|e| format!("SMTP : {e}")),
        }
    }
}

/// The message as sent over SMTP: plain text, or multipart/mixed with the attachment.
fn message(mail: &Mail) -> Result<Message, String> {
    let to: Mailbox = mail.to.parse().map_err(|e| format!("destinataire : {e}"))?;
    let builder = Message::builder()
        .from(FROM.parse().map_err(|e| format!("expéditeur : {e}"))?)
        .to(to)
        .subject(&mail.subject);
    match &mail.attachment {
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone()),
        Some(file) => builder.multipart(with_attachment(&mail.body, file)?),
    }
    .map_err(|e| e.to_string())
}

/// multipart/mixed: the text, then the file.
fn with_attachment(body: &str, file: &MailAttachment) -> Result<MultiPart, String> {
    let content_type = ContentType::parse(file.content_type).map_err(|e| e.to_string())?;
    Ok(MultiPart::mixed()
        .singlepart(SinglePart::plain(body.to_string()))
        .singlepart(
            Attachment::new(file.file_name.clone()).body(file.content.clone(), content_type),
        ))
}

/// The invitation a regulator receives once the SAS platform created them.
pub fn invitation(to: &str, first_name: &str, departement: &str, link: &str) -> Mail {
    Mail {
        attachment: None,
        to: to.to_string(),
        subject: "Créez votre compte régulateur du Service d'Accès aux Soins".into(),
        body: format!(
            "Bonjour {first_name},\n\n\
             Votre SAS ({departement}) vous a inscrit sur la plateforme de prise de rendez-vous du \
             Service d'Accès aux Soins.\n\n\
             Créez votre compte en suivant ce lien sécurisé :\n{link}\n\n\
             Ce lien est personnel, ne sert qu'une fois et expire dans {days} jours.\n\n\
             Lorsque vous créez votre compte, vous devez sélectionner la profession « Régulateur » \
             (en bas de la liste), sinon vous n'aurez pas accès à toutes les fonctionnalités.\n\
             Si vous avez un compte Pro de professionnel de santé, créez votre compte régulateur avec \
             une autre adresse électronique que celle de votre compte Pro.\n\n\
             Si vous n'attendiez pas ce courriel, ignorez-le.\n\n\
             Le Service d'Accès aux Soins\n",
            days = crate::domain::account::INVITATION_DAYS,
        ),
    }
}

/// The password reset link.
pub fn password_reset(to: &str, first_name: &str, link: &str) -> Mail {
    Mail {
        attachment: None,
        to: to.to_string(),
        subject: "Réinitialisation de votre mot de passe — Service d'Accès aux Soins".into(),
        body: format!(
            "Bonjour {first_name},\n\n\
             Une réinitialisation du mot de passe de votre compte a été demandée.\n\n\
             Choisissez un nouveau mot de passe en suivant ce lien sécurisé :\n{link}\n\n\
             Ce lien ne sert qu'une fois et expire dans {hours} heure.\n\
             Si vous n'êtes pas à l'origine de cette demande, ignorez ce courriel : votre mot de \
             passe reste inchangé.\n\n\
             Le Service d'Accès aux Soins\n",
            hours = crate::domain::account::RESET_HOURS,
        ),
    }
}

/// A practitioner's notice of a SAS appointment. No patient data travels by mail: the details
/// are behind the link, for the practitioner signed in.
pub fn appointment_booked(to: &str, when: &str, link: &str) -> Mail {
    Mail {
        attachment: None,
        to: to.to_string(),
        subject: format!("Nouveau rendez-vous SAS le {when}"),
        body: format!(
            "Bonjour,\n\n\
             Un régulateur du Service d'Accès aux Soins a pris rendez-vous pour un patient le {when}.\n\n\
             Le patient, le motif, le message et les pièces jointes sont sur la plateforme :\n{link}\n\n\
             Le Service d'Accès aux Soins\n"
        ),
    }
}

/// A practitioner's notice that a SAS appointment was cancelled (the slot is free again).
pub fn appointment_cancelled(to: &str, when: &str, link: &str) -> Mail {
    Mail {
        attachment: None,
        to: to.to_string(),
        subject: format!("Rendez-vous SAS du {when} annulé"),
        body: format!(
            "Bonjour,\n\n\
             Le rendez-vous SAS du {when} a été annulé par le régulateur ; le créneau est de \
             nouveau disponible.\n\n\
             Détail et motif de l'annulation :\n{link}\n\n\
             Le Service d'Accès aux Soins\n"
        ),
    }
}

/// The link a new practitioner opens to confirm their e-mail address.
pub fn email_confirmation(to: &str, first_name: &str, link: &str) -> Mail {
    Mail {
        attachment: None,
        to: to.to_string(),
        subject: "Confirmez votre adresse électronique — Service d'Accès aux Soins".into(),
        body: format!(
            "Bonjour {first_name},\n\n\
             Un compte de médecin effecteur a été créé avec cette adresse sur la plateforme de \
             prise de rendez-vous du Service d'Accès aux Soins.\n\n\
             Confirmez votre adresse en suivant ce lien sécurisé :\n{link}\n\n\
             Ce lien ne sert qu'une fois et expire dans {hours} heures. Tant que votre adresse n'est \
             pas confirmée, vous ne pouvez pas vous connecter.\n\
             Si vous n'êtes pas à l'origine de cette inscription, ignorez ce courriel.\n\n\
             Le Service d'Accès aux Soins\n",
            hours = crate::domain::account::CONFIRM_HOURS,
        ),
    }
}

/// The administration's decision on a practitioner's participation, with its reason.
pub fn participation_decided(
    to: &str,
    first_name: &str,
    status: crate::domain::participation::SasStatus,
    reason: Option<&str>,
    link: &str,
) -> Mail {
    use crate::domain::participation::SasStatus;
    let (subject, what) = match status {
        SasStatus::Approved => (
            "Votre participation au SAS est validée",
            "Votre participation au Service d'Accès aux Soins est validée : les créneaux de votre \
             agenda qui remplissent les conditions du SAS sont désormais visibles des régulateurs.",
        ),
        SasStatus::Refused => (
            "Votre demande de participation au SAS est refusée",
            "Votre demande de participation au Service d'Accès aux Soins est refusée.",
        ),
        _ => (
            "Votre participation au SAS est suspendue",
            "Votre participation au Service d'Accès aux Soins est suspendue : vos créneaux ne sont \
             plus visibles des régulateurs. Les rendez-vous déjà pris sont maintenus.",
        ),
    };
    let reason = reason
        .map(|r| format!("Motif indiqué par l'administration du SAS : {r}\n\n"))
        .unwrap_or_default();
    Mail {
        attachment: None,
        to: to.to_string(),
        subject: subject.to_string(),
        body: format!(
            "Bonjour {first_name},\n\n{what}\n\n{reason}\
             Votre participation : {link}\n\n\
             Le Service d'Accès aux Soins\n"
        ),
    }
}

/// A regulator's notice that a practitioner they booked with is suspended. No patient data:
/// the appointments are behind the link.
pub fn practitioner_suspended(to: &str, first_name: &str, practitioner: &str, link: &str) -> Mail {
    Mail {
        attachment: None,
        to: to.to_string(),
        subject: format!("{practitioner} ne participe plus au SAS pour le moment"),
        body: format!(
            "Bonjour {first_name},\n\n\
             L'administration du SAS a suspendu la participation de {practitioner}. Ses créneaux \
             ne sont plus proposés dans la recherche.\n\n\
             Les rendez-vous que vous avez pris avec ce médecin sont maintenus ; vérifiez-les et, \
             si besoin, prévenez les patients :\n{link}\n\n\
             Le Service d'Accès aux Soins\n"
        ),
    }
}

/// What the patient's mails say of their appointment (nothing of the patient: the address may
/// have been mistyped).
pub struct PatientAppointment<'a> {
    /// "mardi 1 décembre"
    pub day: &'a str,
    /// "10:00"
    pub time: &'a str,
    /// "Dr Sophie Martin"
    pub practitioner: &'a str,
    pub address: &'a str,
    pub mode: &'a str,
    /// The practitioner's « À lire avant de prendre un rendez-vous », empty when none.
    pub notice: &'a str,
    pub phone: Option<&'a str>,
}

/// The patient's confirmation, with the appointment as an `.ics` file.
pub fn patient_booked(to: &str, a: &PatientAppointment, ics: String) -> Mail {
    let notice = match a.notice.trim() {
        "" => String::new(),
        notice => format!("Informations du cabinet : {notice}\n\n"),
    };
    let call = a.phone.map(|p| format!(" au {p}")).unwrap_or_default();
    Mail {
        to: to.to_string(),
        subject: format!("Votre rendez-vous médical le {} à {}", a.day, a.time),
        body: format!(
            "Bonjour,\n\n\
             Le Service d'Accès aux Soins a pris pour vous un rendez-vous médical.\n\n\
             Date : {day}\n\
             Heure : {time}\n\
             Praticien : {practitioner}\n\
             Adresse : {address}\n\
             Type de consultation : {mode}\n\n\
             {notice}\
             Si vous ne pouvez pas vous y rendre, prévenez le cabinet{call}.\n\
             Le fichier joint (rendez-vous.ics) ajoute ce rendez-vous à votre agenda.\n\n\
             Vous recevez ce courriel parce que cette adresse a été donnée lors de la prise du \
             rendez-vous. Si vous n'êtes pas concerné, ignorez-le.\n\n\
             Le Service d'Accès aux Soins\n",
            day = a.day,
            time = a.time,
            practitioner = a.practitioner,
            address = a.address,
            mode = a.mode,
        ),
        attachment: Some(calendar_file(ics)),
    }
}

/// The appointment's `.ics`, as the patient's mails attach it.
fn calendar_file(ics: String) -> MailAttachment {
    MailAttachment {
        file_name: "rendez-vous.ics".into(),
        content_type: "text/calendar; charset=utf-8; method=PUBLISH",
        content: ics,
    }
}

/// The patient's notice that their appointment is cancelled, by the practitioner or by the SAS.
pub fn patient_cancelled(
    to: &str,
    when: &str,
    practitioner: &str,
    by_practitioner: bool,
    ics: String,
) -> Mail {
    let by = if by_practitioner {
        "le cabinet du médecin ne peut pas vous recevoir"
    } else {
        "il a été annulé par le Service d'Accès aux Soins"
    };
    Mail {
        to: to.to_string(),
        subject: format!("Votre rendez-vous médical du {when} est annulé"),
        body: format!(
            "Bonjour,\n\n\
             Votre rendez-vous du {when} avec {practitioner} est annulé : {by}.\n\n\
             Si vous avez toujours besoin de consulter, recontactez le Service d'Accès aux Soins. \
             En cas d'urgence, appelez le 15.\n\n\
             Le fichier joint retire le rendez-vous de votre agenda.\n\n\
             Le Service d'Accès aux Soins\n"
        ),
        attachment: Some(calendar_file(ics)),
    }
}

/// The regulator's notice that an appointment they booked is « à replanifier ». No patient data:
/// the patient and their phone are behind the link.
pub fn appointment_to_reschedule(
    to: &str,
    first_name: &str,
    when: &str,
    practitioner: &str,
    reason: &str,
    link: &str,
) -> Mail {
    Mail {
        to: to.to_string(),
        subject: format!("Rendez-vous SAS du {when} à replanifier"),
        body: format!(
            "Bonjour {first_name},\n\n\
             Le rendez-vous SAS que vous avez pris avec {practitioner} le {when} est annulé \
             ({reason}) : il est à replanifier.\n\n\
             Le patient et son téléphone sont sur la plateforme, dans « Mes adressages » :\n\
             {link}\n\n\
             Le Service d'Accès aux Soins\n"
        ),
        attachment: None,
    }
}

/// A practitioner asked to see a patient beyond their agenda (no patient data: the link).
pub fn extra_requested(to: &str, when: &str, deadline: &str, link: &str) -> Mail {
    Mail {
        attachment: None,
        to: to.to_string(),
        subject: format!("Demande de surnuméraire SAS pour le {when}"),
        body: format!(
            "Bonjour,\n\n\
             Un régulateur du Service d'Accès aux Soins vous demande de recevoir un patient en \
             surnuméraire, en plus de votre agenda, le {when}.\n\n\
             Merci de répondre avant {deadline} : sans réponse, la demande expire et le \
             régulateur s'adresse à un autre médecin. Le patient et le message sont sur la \
             plateforme :\n{link}\n\n\
             Le Service d'Accès aux Soins\n"
        ),
    }
}

/// The regulator told that the practitioner answered their request (no patient data).
pub fn extra_answered(
    to: &str,
    first_name: &str,
    when: &str,
    practitioner: &str,
    accepted: bool,
    link: &str,
) -> Mail {
    let (subject, what) = if accepted {
        ("acceptée", "l'a acceptée : le rendez-vous est pris")
    } else {
        ("refusée", "l'a refusée : adressez-vous à un autre médecin")
    };
    Mail {
        attachment: None,
        to: to.to_string(),
        subject: format!("Demande de surnuméraire du {when} {subject}"),
        body: format!(
            "Bonjour {first_name},\n\n\
             Votre demande de surnuméraire auprès de {practitioner} pour le {when} : \
             {practitioner} {what}.\n\n\
             Le détail est sur la plateforme :\n{link}\n\n\
             Le Service d'Accès aux Soins\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn booked() -> Mail {
        let appointment = PatientAppointment {
            day: "mardi 1 décembre",
            time: "10:00",
            practitioner: "Dr Sophie Martin",
            address: "12 rue de Rivoli, 75004 Paris 4e",
            mode: "Au cabinet",
            notice: "Sonnez à l'interphone.",
            phone: Some("01 42 00 00 00"),
        };
        patient_booked(
            "patient@exemple.fr",
            &appointment,
            "BEGIN:VCALENDAR\r\n".into(),
        )
    }

    #[test]
    fn the_patient_confirmation_says_when_where_and_carries_the_ics() {
        let mail = booked();
        assert_eq!(
            mail.subject,
            "Votre rendez-vous médical le mardi 1 décembre à 10:00"
        );
        for text in [
            "Date : mardi 1 décembre",
            "Heure : 10:00",
            "Praticien : Dr Sophie Martin",
            "Adresse : 12 rue de Rivoli, 75004 Paris 4e",
            "Informations du cabinet : Sonnez à l'interphone.",
            "prévenez le cabinet au 01 42 00 00 00.",
        ] {
            assert!(mail.body.contains(text), "{text} in {}", mail.body);
        }
        let raw = String::from_utf8(message(&mail).unwrap().formatted()).unwrap();
        assert!(raw.contains("Content-Type: multipart/mixed"), "{raw}");
        assert!(
            raw.contains("Content-Type: text/plain; charset=utf-8"),
            "{raw}"
        );
        assert!(
            raw.contains("text/calendar; charset=utf-8; method=PUBLISH"),
            "{raw}"
        );
        assert!(raw.contains("filename=\"rendez-vous.ics\""), "{raw}");
    }

    #[test]
    fn a_mail_without_attachment_stays_plain_text() {
        let mail = appointment_booked(
            "sophie.martin@demo.test",
            "mardi 1 décembre à 10:00",
            "https://sas.example/adressages/42",
        );
        let raw = String::from_utf8(message(&mail).unwrap().formatted()).unwrap();
        assert!(!raw.contains("multipart"), "{raw}");
    }

    #[test]
    fn the_patients_cancellation_withdraws_the_event_from_their_calendar() {
        let mail = patient_cancelled(
            "patient@exemple.fr",
            "mardi 1 décembre à 10:00",
            "Dr Sophie Martin",
            true,
            "BEGIN:VCALENDAR\r\nSTATUS:CANCELLED\r\nEND:VCALENDAR\r\n".into(),
        );
        let raw = String::from_utf8(message(&mail).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("filename=\"rendez-vous.ics\""), "{raw}");
        assert!(
            mail.body
                .contains("le cabinet du médecin ne peut pas vous recevoir")
        );
        assert!(mail.body.contains("retire le rendez-vous de votre agenda"));
    }

    #[test]
    fn the_regulator_is_told_without_patient_data() {
        let mail = appointment_to_reschedule(
            "regulateur@demo.test",
            "Claire",
            "mardi 1 décembre à 10:00",
            "Dr Sophie Martin",
            "absence du praticien",
            "https://sas.example/adressages/42",
        );
        assert_eq!(
            mail.subject,
            "Rendez-vous SAS du mardi 1 décembre à 10:00 à replanifier"
        );
        assert!(
            mail.body
                .contains("(absence du praticien) : il est à replanifier")
        );
        assert!(mail.body.contains("https://sas.example/adressages/42"));
    }
}
