//! What administrators read: the regulators and where they stand, the outbox of the demo, the
//! audit log.

use crate::domain::Role;
use crate::domain::account::RegulatorState;
use crate::domain::admin::{AuditLine, MailLine, Outbox, RegulatorLine};
use crate::error::AppError;
use crate::server::{state, store};

/// "26/11/2026 à 10:02", Paris time.
pub fn date_time(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| {
            crate::domain::agenda::paris_time(t)
                .format("%d/%m/%Y à %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Every regulator with where they stand.
pub async fn regulator_lines() -> Result<Vec<RegulatorLine>, AppError> {
    let now = crate::server::now();
    let records = store()?.regulators().await?;
    Ok(records
        .into_iter()
        .map(|r| {
            let account = r.account_role.as_deref().map(|role| {
                (
                    Role::from_code(role).unwrap_or(Role::Other),
                    r.disabled.unwrap_or(false),
                )
            });
            RegulatorLine {
                id: r.id,
                name: [
                    r.civility.as_deref().unwrap_or(""),
                    &r.first_name,
                    &r.last_name,
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
                account_email: r.account_email.filter(|e| *e != r.email),
                email: r.email,
                departement: r.departement,
                invited_on: date_time(r.invited_at),
                state: RegulatorState::of(
                    r.revoked_at.is_some(),
                    account,
                    r.invitation_expires_at,
                    now,
                ),
            }
        })
        .collect())
}

/// The mails kept when no SMTP server is configured (the demo), newest first.
pub async fn outbox() -> Result<Outbox, AppError> {
    let state = state()?;
    let mails = state.store.outbox(100).await?;
    Ok(Outbox {
        smtp: matches!(state.mailer, crate::server::mail::Mailer::Smtp(_)),
        mails: mails
            .into_iter()
            .map(|m| MailLine {
                sent_at: date_time(m.created_at),
                to: m.recipient,
                subject: m.subject,
                body: crate::domain::admin::mask_tokens(&m.body),
            })
            .collect(),
    })
}

/// The newest entries of the audit log.
pub async fn audit_lines() -> Result<Vec<AuditLine>, AppError> {
    let entries = store()?.audit_log(200).await?;
    Ok(entries
        .into_iter()
        .map(|e| AuditLine {
            at: date_time(e.at),
            who: e.user_email.unwrap_or_else(|| "—".into()),
            action: action_label(&e.action).to_string(),
            subject: e.subject,
            from: e.ip.unwrap_or_else(|| "ligne de commande".into()),
        })
        .collect())
}

fn action_label(action: &str) -> &str {
    match action {
        "sign_in" => "Connexion",
        "sign_in_failed" => "Échec de connexion",
        "sign_in_throttled" => "Connexion bloquée (trop de tentatives)",
        "regulator_created" => "Régulateur créé",
        "invitation_sent" => "Invitation envoyée",
        "invitation_revoked" => "Invitation révoquée",
        "account_created" => "Compte créé",
        "account_disabled" => "Compte désactivé",
        "password_reset_requested" => "Réinitialisation du mot de passe demandée",
        "password_reset" => "Mot de passe réinitialisé",
        "patient_data_read" => "Lecture de données patient",
        "appointment_created" => "Rendez-vous pris",
        "patient_data_erased" => "Données patient effacées (durée de conservation)",
        "practitioner_registered" => "Médecin inscrit",
        "email_confirmed" => "Adresse électronique confirmée",
        "sign_in_unconfirmed" => "Connexion refusée (adresse non confirmée)",
        "participation_requested" => "Participation au SAS demandée",
        "participation_withdrawn" => "Participation au SAS retirée",
        "participation_approved" => "Participation au SAS validée",
        "participation_refused" => "Participation au SAS refusée",
        "participation_suspended" => "Participation au SAS suspendue",
        "participation_reinstated" => "Participation au SAS rétablie",
        other => other,
    }
}
