//! Outgoing mail: over SMTP (`SMTP_URL`, with `lettre`) or, when no server is configured as in
//! the demo, into an outbox table that administrators read on a page.

use super::store::{OutboxMail, Store};
use lettre::message::{Mailbox, header::ContentType};
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
            Mailer::Smtp(transport) => {
                let to: Mailbox = mail.to.parse().map_err(|e| format!("destinataire : {e}"))?;
                let message = Message::builder()
                    .from(FROM.parse().map_err(|e| format!("expéditeur : {e}"))?)
                    .to(to)
                    .subject(&mail.subject)
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.body.clone())
                    .map_err(|e| e.to_string())?;
                transport
                    .send(message)
                    .await
                    .map(drop)
                    .map_err(|e| format!("SMTP : {e}"))
            }
        }
    }
}

/// The invitation a regulator receives once the SAS platform created them.
pub fn invitation(to: &str, first_name: &str, departement: &str, link: &str) -> Mail {
    Mail {
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
