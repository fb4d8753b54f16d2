//! The one error type of the application, shared by server functions and pages.
//! Its messages are French: they are shown to users as they are.

use crate::domain::field::FieldError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Veuillez vous connecter pour accéder à cette page.")]
    Unauthenticated,
    #[error("Votre compte n'a pas accès à cette fonctionnalité.")]
    Forbidden,
    #[error("Adresse électronique ou mot de passe incorrect.")]
    BadCredentials,
    #[error("{0}")]
    NotFound(String),
    /// Input refused; each message is attached to its field.
    #[error("Le formulaire contient des erreurs : corrigez les champs signalés.")]
    Invalid(Vec<FieldError>),
    #[error("Ce créneau vient d'être réservé.")]
    SlotTaken,
    #[error(
        "Le délai de réservation du créneau est dépassé : il a été libéré. Reprenez-le s'il est encore disponible."
    )]
    HoldExpired,
    #[error(
        "Votre adresse électronique n'est pas encore confirmée : un nouveau lien de confirmation vient de vous être envoyé. Ouvrez-le, puis connectez-vous."
    )]
    EmailNotConfirmed,
    #[error("Trop de tentatives de connexion échouées. Patientez 15 minutes avant de réessayer.")]
    TooManyAttempts,
    #[error("Trop de demandes depuis votre adresse. Patientez une heure avant de réessayer.")]
    TooManyRequests,
    #[error(
        "Ce lien n'est pas valide : il a été remplacé, annulé ou mal copié. Demandez un nouveau lien."
    )]
    LinkInvalid,
    #[error("Ce lien a expiré. Demandez un nouveau lien.")]
    LinkExpired,
    #[error(
        "Ce lien a déjà été utilisé : il ne sert qu'une fois. Connectez-vous, ou demandez un nouveau lien."
    )]
    LinkUsed,
    #[error("Le courriel n'a pas pu être envoyé. Réessayez dans quelques instants.")]
    MailFailed,
    /// The database stayed busy longer than a request may wait (answered 503, Retry-After).
    #[error("Le service est momentanément très sollicité : réessayez dans quelques secondes.")]
    Busy,
    #[error("Une erreur technique est survenue. Veuillez réessayer dans quelques instants.")]
    Internal,
    #[error("Le serveur est injoignable. Vérifiez votre connexion puis réessayez.")]
    Transport(String),
}

impl AppError {
    /// The HTTP status a server function answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::BadCredentials => 401,
            AppError::Forbidden | AppError::EmailNotConfirmed => 403,
            AppError::NotFound(_) => 404,
            AppError::Invalid(_) => 422,
            AppError::SlotTaken => 409,
            AppError::HoldExpired => 410,
            AppError::TooManyAttempts | AppError::TooManyRequests => 429,
            AppError::LinkInvalid => 404,
            AppError::LinkExpired | AppError::LinkUsed => 410,
            AppError::MailFailed | AppError::Busy => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }

    /// The message for one field, if the error concerns it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
