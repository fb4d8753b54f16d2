//! What every form shares: an error attached to its field, the "required" and "too long"
//! messages, and bounded free text.

use serde::{Deserialize, Serialize};

pub const REQUIRED: &str = "Ce champ est obligatoire.";

/// A message attached to the form field it concerns (the field's `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// Keeps the parsed value, or records its message against `field`.
    pub fn check<T>(
        errors: &mut Vec<FieldError>,
        field: &str,
        parsed: Result<T, String>,
    ) -> Option<T> {
        parsed
            .map_err(|message| {
                errors.push(FieldError {
                    field: field.into(),
                    message,
                })
            })
            .ok()
    }
}

/// Free text, trimmed, not empty, at most `max` characters.
pub fn bounded(input: &str, max: usize) -> Result<String, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err(REQUIRED.into());
    }
    if text.chars().count() > max {
        return Err(too_long(max));
    }
    Ok(text.to_string())
}

/// Trims and collapses spaces; required, at most `max` characters.
pub fn text(input: &str, max: usize) -> Result<String, String> {
    let text = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        Err(REQUIRED.into())
    } else if text.chars().count() > max {
        Err(too_long(max))
    } else {
        Ok(text)
    }
}

/// The message of a text longer than `max` characters.
pub fn too_long(max: usize) -> String {
    format!("{max} caractères au maximum.")
}
