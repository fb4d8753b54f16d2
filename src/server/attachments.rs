//! Attachments of the booking funnel: streamed to the data directory as they arrive (never
//! held whole in memory), recognised by their first bytes, at most 50 Mo; read back only by
//! the regulator who sent them, the practitioner of the appointment and administrators.

use super::store::{AttachmentRecord, NewAttachment, UserRecord};
use super::{AppState, auth, now};
use crate::domain::Role;
use crate::domain::booking::{
    ATTACHMENT_MAX_BYTES, ATTACHMENT_RULE, AttachmentKind, clean_file_name,
};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

pub const UPLOAD_PATH: &str = "/pieces-jointes";

/// The file's name on the regulator's computer, percent-encoded (a name may hold the
/// patient's: it travels in a header, not in the address that proxies log).
pub const NAME_HEADER: &str = "x-nom-fichier";

/// What the funnel keeps of an upload until the booking links it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uploaded {
    pub token: String,
    pub name: String,
    pub size: u64,
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "message": message }))).into_response()
}

async fn signed_in(
    state: &AppState,
    parts: &axum::http::request::Parts,
) -> Result<UserRecord, Response> {
    match auth::user_of(state.store.as_ref(), parts).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(refuse(
            StatusCode::UNAUTHORIZED,
            "Veuillez vous connecter pour accéder à cette page.",
        )),
        Err(_) => Err(refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Erreur technique.",
        )),
    }
}

/// `POST /pieces-jointes` with the file as the body and its name in `x-nom-fichier`:
/// regulators only.
pub async fn upload(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let user = match signed_in(&state, &parts).await {
        Ok(user) if user.role == Role::Regulator => user,
        Ok(_) => {
            return refuse(
                StatusCode::FORBIDDEN,
                "Votre compte n'a pas accès à cette fonctionnalité.",
            );
        }
        Err(response) => return response,
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > ATTACHMENT_MAX_BYTES) {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, ATTACHMENT_RULE);
    }
    let typed_name = parts
        .headers
        .get(NAME_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            form_urlencoded::parse(format!("n={v}").as_bytes())
                .next()
                .map(|(_, n)| n.into_owned())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let name = clean_file_name(&typed_name);
    let token = auth::random_token();
    match store_file(&state, &token, &name, body).await {
        Ok((kind, size)) => {
            let record = NewAttachment {
                token: &token,
                regulator_id: user.id,
                file_name: &name,
                content_type: kind.content_type(),
                size_bytes: size as i64,
                now: now(),
            };
            let saved = state.store.insert_attachment(&record).await;
            let Ok(id) = saved else {
                let _ = tokio::fs::remove_file(state.booking.attachments_dir.join(&token)).await;
                return refuse(StatusCode::INTERNAL_SERVER_ERROR, "Erreur technique.");
            };
            let ip = auth::ip_of(&parts);
            let audited = auth::record_audit(
                state.store.as_ref(),
                Some(user.id),
                "attachment_uploaded",
                &format!("attachment:{id}"),
                ip.as_deref(),
            )
            .await;
            if audited.is_err() {
                return refuse(StatusCode::INTERNAL_SERVER_ERROR, "Erreur technique.");
            }
            Json(Uploaded { token, name, size }).into_response()
        }
        Err(response) => response,
    }
}

/// Writes the body to `<dir>/<token>`, checking its first bytes and its size as it streams;
/// nothing stays on disk when it is refused.
async fn store_file(
    state: &AppState,
    token: &str,
    name: &str,
    body: Body,
) -> Result<(AttachmentKind, u64), Response> {
    let technical = |_| refuse(StatusCode::INTERNAL_SERVER_ERROR, "Erreur technique.");
    tokio::fs::create_dir_all(&state.booking.attachments_dir)
        .await
        .map_err(technical)?;
    let part = state.booking.attachments_dir.join(format!("{token}.part"));
    let result = write_checked(&part, name, body).await;
    match result {
        Ok(found) => {
            tokio::fs::rename(&part, state.booking.attachments_dir.join(token))
                .await
                .map_err(technical)?;
            Ok(found)
        }
        Err(response) => {
            let _ = tokio::fs::remove_file(&part).await;
            Err(response)
        }
    }
}

async fn write_checked(
    path: &std::path::Path,
    name: &str,
    body: Body,
) -> Result<(AttachmentKind, u64), Response> {
    let wrong = || refuse(StatusCode::UNPROCESSABLE_ENTITY, ATTACHMENT_RULE);
    let technical = |_| refuse(StatusCode::INTERNAL_SERVER_ERROR, "Erreur technique.");
    let mut file = tokio::fs::File::create(path).await.map_err(technical)?;
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::with_capacity(AttachmentKind::SNIFF_LEN);
    let mut kind = None;
    let mut size: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| wrong())?;
        size += chunk.len() as u64;
        if size > ATTACHMENT_MAX_BYTES {
            return Err(refuse(StatusCode::PAYLOAD_TOO_LARGE, ATTACHMENT_RULE));
        }
        if kind.is_none() {
            head.extend(chunk.iter().take(AttachmentKind::SNIFF_LEN - head.len()));
            if head.len() == AttachmentKind::SNIFF_LEN {
                kind = Some(AttachmentKind::sniff(&head).ok_or_else(wrong)?);
            }
        }
        file.write_all(&chunk).await.map_err(technical)?;
    }
    file.flush().await.map_err(technical)?;
    let kind = kind.ok_or_else(wrong)?;
    if !kind.matches_name(name) {
        return Err(wrong());
    }
    Ok((kind, size))
}

/// May `user` read this attachment? Its regulator, the practitioner of its appointment, admins.
async fn may_read(state: &AppState, user: &UserRecord, file: &AttachmentRecord) -> bool {
    match user.role {
        Role::Admin => true,
        Role::Regulator => file.regulator_id == user.id,
        Role::Practitioner => match file.appointment_id {
            Some(id) => state
                .store
                .appointment(id)
                .await
                .ok()
                .flatten()
                .is_some_and(|a| Some(a.practitioner_id) == user.practitioner_id),
            None => false,
        },
        Role::Other => false,
    }
}

/// `GET /pieces-jointes/{token}`: the file, streamed from disk, audited.
pub async fn download(
    State(state): State<AppState>,
    Path(token): Path<String>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let user = match signed_in(&state, &parts).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let not_found = || refuse(StatusCode::NOT_FOUND, "Pièce jointe introuvable.");
    let Ok(Some(file)) = state.store.attachment(&token).await else {
        return not_found();
    };
    // Another person's file answers like a missing one.
    if !may_read(&state, &user, &file).await {
        return not_found();
    }
    let Ok(handle) = tokio::fs::File::open(state.booking.attachments_dir.join(&file.token)).await
    else {
        return not_found();
    };
    let ip = auth::ip_of(&parts);
    let audited = auth::record_audit(
        state.store.as_ref(),
        Some(user.id),
        "attachment_read",
        &format!("attachment:{}", file.id),
        ip.as_deref(),
    )
    .await;
    // No read without its audit entry.
    if audited.is_err() {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "Erreur technique.");
    }
    let ascii_name: String = file
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, file.content_type.clone()),
            (header::CONTENT_LENGTH, file.size_bytes.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{}",
                    form_urlencoded::byte_serialize(file.file_name.as_bytes())
                        .collect::<String>()
                        .replace('+', "%20")
                ),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
            (header::CACHE_CONTROL, "private, no-store".into()),
        ],
        Body::from_stream(tokio_util::io::ReaderStream::new(handle)),
    )
        .into_response()
}

/// Uploads no booking used within a day are deleted, row and file, once an hour.
pub fn cleanup_job(
    jobs: &mut super::jobs::Jobs,
    store: std::sync::Arc<super::store::Store>,
    dir: std::path::PathBuf,
) {
    jobs.every(
        "attachments cleanup",
        std::time::Duration::from_secs(3600),
        move || {
            let (store, dir) = (store.clone(), dir.clone());
            async move {
                match store.forget_unused_attachments(now() - 86_400).await {
                    Ok(tokens) => {
                        for token in tokens {
                            let _ = tokio::fs::remove_file(dir.join(token)).await;
                        }
                    }
                    Err(err) => tracing::error!("cleaning unused attachments failed: {err}"),
                }
            }
        },
    );
}
