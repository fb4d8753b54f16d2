//! The practitioner's agenda on the server: the week grid (what the SAS sees of each slot,
//! appointments, absences), the ranges and absences page, reasons and settings. Every function
//! works on the practitioner id the server function took from the session.

use crate::domain::agenda::Mode;
use crate::domain::agenda::{
    AbsenceView, Booked, DayColumn, RangeInput, RangeView, RangesView, Recurrence, SlotCell,
    WeekView, date_fr, date_label_fr, paris_instant, paris_time, paris_today, parse_date,
    time_label, week_label_fr, week_start,
};
use crate::domain::eligibility::{ReasonFlags, SlotFacts, SlotState, sas_visibility};
use crate::domain::ids::*;
use crate::domain::participation::ParticipationView;
use crate::domain::place::PositionSource;
use crate::domain::practitioner::{
    PracticeInput, QuestionView, ReasonInput, ReasonView, SNP_NAME, SettingsInput, SettingsView,
};
use crate::error::AppError;
use crate::server::store::{NewReason, PracticeChange, PractitionerProfile, Store, StoreError};
use crate::server::{auth, store};
use chrono::{DateTime, Duration, NaiveTime};

/// The practitioner's profile; none for this id means the session's account lost it.
async fn profile(
    store: &Store,
    practitioner_id: PractitionerId,
) -> Result<PractitionerProfile, AppError> {
    store
        .practitioner_profile(practitioner_id)
        .await?
        .ok_or(AppError::Forbidden)
}

/// The week of Monday `week` (`AAAA-MM-JJ`, this week if empty); reading booked slots is
/// audited as `user_id`.
pub async fn week(
    user_id: UserId,
    practitioner_id: PractitionerId,
    week: &str,
) -> Result<WeekView, AppError> {
    let now = crate::server::now();
    let day = match week.trim() {
        "" => paris_today(crate::server::now_utc()),
        week => parse_date(week).map_err(|m| AppError::invalid("semaine", m))?,
    };
    let monday = week_start(day);
    let midnight = |d| {
        paris_instant(d, NaiveTime::MIN)
            .map(|t| t.timestamp())
            .ok_or(AppError::Internal)
    };
    let (from, to) = (midnight(monday)?, midnight(monday + Duration::days(7))?);
    let store = store()?;
    let profile = profile(&store, practitioner_id).await?;
    let slots = store.agenda_slots(practitioner_id, from, to).await?;
    let absences = store.absences(practitioner_id, from).await?;
    if slots.iter().any(|s| s.appointment_id.is_some()) {
        auth::audit(
            Some(user_id),
            "patient_data_read",
            &format!("agenda:practitioner:{practitioner_id}:week:{monday}"),
        )
        .await?;
    }
    let instant = |t: i64| DateTime::from_timestamp(t, 0).ok_or(AppError::Internal);
    let mut days = Vec::new();
    for offset in 0..7 {
        let date = monday + Duration::days(offset);
        let (start_of_day, end_of_day) = (midnight(date)?, midnight(date + Duration::days(1))?);
        let mut column = DayColumn {
            label: date_label_fr(date),
            absences: Vec::new(),
            slots: Vec::new(),
        };
        for a in absences
            .iter()
            .filter(|a| a.starts_at < end_of_day && a.ends_at > start_of_day)
        {
            let (start, end) = (a.starts_at.max(start_of_day), a.ends_at.min(end_of_day));
            let mut text = if (start, end) == (start_of_day, end_of_day) {
                "Absence toute la journée".to_string()
            } else {
                let end = if end == end_of_day {
                    "24:00".into()
                } else {
                    time_label(instant(end)?)
                };
                format!("Absence de {} à {end}", time_label(instant(start)?))
            };
            if !a.label.is_empty() {
                text.push_str(&format!(" ({})", a.label));
            }
            column.absences.push(text);
        }
        for slot in &slots {
            let start = instant(slot.starts_at)?;
            let booked = slot.appointment_id.is_some();
            if paris_time(start).date_naive() != date || (!booked && slot.range_id.is_none()) {
                continue;
            }
            let why = sas_visibility(&SlotFacts {
                sas_registered: profile.sas_registered,
                accepts_new_patients: profile.accepts_new_patients,
                reasons: &slot.reasons,
                state: if booked {
                    SlotState::Booked
                } else {
                    SlotState::Free
                },
                starts_in_future: slot.starts_at > now,
            })
            .unwrap_or_default();
            column.slots.push(SlotCell {
                time: format!(
                    "{} – {}",
                    time_label(start),
                    time_label(instant(slot.ends_at)?)
                ),
                mode: if slot.mode == Mode::Video {
                    "En vidéo".into()
                } else {
                    String::new()
                },
                past: slot.starts_at <= now,
                patient: booked.then(|| {
                    format!(
                        "{} {}",
                        slot.patient_first_name.clone().unwrap_or_default(),
                        slot.patient_last_name
                            .clone()
                            .unwrap_or_default()
                            .to_uppercase()
                    )
                }),
                appointment: slot.appointment_id.map(|id| Booked {
                    id,
                    reason: slot.appointment_reason.clone().unwrap_or_default(),
                    message: slot.appointment_message.clone(),
                    files: slot.appointment_files,
                }),
                out_of_agenda: booked && slot.range_id.is_none(),
                snp: why.snp,
                new_patients: why.new_patients,
            });
        }
        days.push(column);
    }
    Ok(WeekView {
        title: week_label_fr(monday),
        previous: (monday - Duration::days(7)).to_string(),
        next: (monday + Duration::days(7)).to_string(),
        sas_registered: profile.sas_registered,
        days,
    })
}

/// Records an absence in the practitioner's agenda (signed in as `user_id`); the appointments it
/// covers are cancelled « à replanifier », and their regulators and patients told by mail.
pub async fn add_absence(
    user_id: UserId,
    practitioner_id: PractitionerId,
    absence: &crate::domain::agenda::Absence,
    horizon: &crate::server::store::Horizon,
) -> Result<(), AppError> {
    let ip = auth::client_ip();
    let (_, cancelled) = store()?
        .insert_absence(
            practitioner_id,
            absence,
            horizon,
            Some(user_id),
            ip.as_deref(),
        )
        .await?;
    for id in cancelled {
        crate::server::metrics::count(crate::server::metrics::Event::Cancellation);
        super::appointments::notify_rescheduled(user_id, id).await;
    }
    Ok(())
}

/// The ranges, the active reasons and the current absences.
pub async fn ranges(practitioner_id: PractitionerId) -> Result<RangesView, AppError> {
    let store = store()?;
    let reasons = store.reasons(practitioner_id).await?;
    let ranges = store.ranges(practitioner_id).await?;
    let absences = store
        .absences(practitioner_id, crate::server::now())
        .await?;
    let name_of = |id: &ReasonId| reasons.iter().find(|r| r.id == *id);
    let ranges = ranges
        .into_iter()
        .map(|r| {
            let (kind, days, date, from, until) = match &r.times.recurrence {
                Recurrence::Weekly {
                    weekday,
                    valid_from,
                    valid_until,
                } => (
                    "weekly",
                    vec![weekday.number_from_monday().to_string()],
                    String::new(),
                    valid_from.to_string(),
                    valid_until.map(|d| d.to_string()).unwrap_or_default(),
                ),
                Recurrence::Once(day) => (
                    "once",
                    Vec::new(),
                    day.to_string(),
                    String::new(),
                    String::new(),
                ),
            };
            let validity = match &r.times.recurrence {
                Recurrence::Weekly {
                    valid_from,
                    valid_until: Some(until),
                    ..
                } => format!("du {} au {}", date_fr(*valid_from), date_fr(*until)),
                Recurrence::Weekly { valid_from, .. } => {
                    format!("à partir du {}", date_fr(*valid_from))
                }
                Recurrence::Once(_) => "ponctuelle".into(),
            };
            RangeView {
                id: r.id,
                label: r.times.label_fr(),
                validity,
                slot_minutes: r.times.slot_minutes,
                mode: r.mode.label().into(),
                reasons: r
                    .reason_ids
                    .iter()
                    .filter_map(name_of)
                    .map(|reason| {
                        if reason.archived {
                            format!("{} (archivé)", reason.name)
                        } else {
                            reason.name.clone()
                        }
                    })
                    .collect(),
                snp: r
                    .reason_ids
                    .iter()
                    .filter_map(name_of)
                    .any(|reason| reason.is_snp && !reason.archived),
                input: RangeInput {
                    kind: kind.into(),
                    days,
                    date,
                    valid_from: from,
                    valid_until: until,
                    start: r.times.start.format("%H:%M").to_string(),
                    end: r.times.end.format("%H:%M").to_string(),
                    slot_minutes: r.times.slot_minutes.to_string(),
                    mode: r.mode.code().into(),
                    reason_ids: r
                        .reason_ids
                        .iter()
                        .filter(|id| name_of(id).is_some_and(|reason| !reason.archived))
                        .map(|id| id.to_string())
                        .collect(),
                },
            }
        })
        .collect();
    let instant = |t: i64| DateTime::from_timestamp(t, 0).ok_or(AppError::Internal);
    let absences = absences
        .into_iter()
        .map(|a| {
            let (start, end) = (instant(a.starts_at)?, instant(a.ends_at)?);
            let at = |t| {
                let local = paris_time(t);
                format!(
                    "{} à {}",
                    date_fr(local.date_naive()),
                    local.format("%H:%M")
                )
            };
            Ok(AbsenceView {
                id: a.id,
                period: format!("du {} au {}", at(start), at(end)),
                label: a.label,
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(RangesView {
        ranges,
        reasons: reasons
            .into_iter()
            .filter(|r| !r.archived)
            .map(|r| (r.id, r.name, minutes(r.duration_minutes)))
            .collect(),
        absences,
        today: paris_today(crate::server::now_utc()),
    })
}

fn minutes(stored: i64) -> u32 {
    u32::try_from(stored).unwrap_or_default()
}

/// A range as the form sent it, its slots as long as its reason's when it has only one
/// (of the practitioner's active reasons).
pub async fn range_with_reason_duration(
    practitioner_id: PractitionerId,
    range: RangeInput,
) -> Result<RangeInput, AppError> {
    let reasons = store()?.reasons(practitioner_id).await?;
    Ok(range.with_reason_duration(|id| {
        reasons
            .iter()
            .find(|r| !r.archived && r.id.to_string() == id)
            .map(|r| minutes(r.duration_minutes))
    }))
}

/// The reasons, archived ones included.
pub async fn reasons(practitioner_id: PractitionerId) -> Result<Vec<ReasonView>, AppError> {
    let reasons = store()?.reasons(practitioner_id).await?;
    Ok(reasons
        .into_iter()
        .map(|r| ReasonView {
            id: r.id,
            name: r.name,
            duration_minutes: r.duration_minutes,
            open_to_new_patients: r.open_to_new_patients,
            bookable_online: r.bookable_online,
            is_snp: r.is_snp,
            archived: r.archived,
            notice: r.notice,
        })
        .collect())
}

/// Creates a reason (`id` empty) or edits one of the practitioner's own.
pub async fn save_reason(
    practitioner_id: PractitionerId,
    id: Option<ReasonId>,
    reason: &ReasonInput,
) -> Result<(), AppError> {
    let store = store()?;
    match id {
        Some(id) => {
            let reasons = store.reasons(practitioner_id).await?;
            let current = reasons
                .iter()
                .find(|r| r.id == id)
                .ok_or(StoreError::NotFound)?;
            let form = reason.validate(current.is_snp).map_err(AppError::Invalid)?;
            store
                .update_reason(practitioner_id, id, &form)
                .await
                .map_err(AppError::from)
        }
        None => {
            let form = reason.validate(false).map_err(AppError::Invalid)?;
            let new = NewReason {
                name: form.name.as_deref().unwrap_or(SNP_NAME),
                duration_minutes: i64::from(form.duration_minutes),
                flags: ReasonFlags {
                    is_snp: false,
                    open_to_new_patients: form.open_to_new_patients,
                    bookable_online: form.bookable_online,
                },
                notice: &form.notice,
            };
            store
                .insert_reason(practitioner_id, &new)
                .await
                .map(drop)
                .map_err(AppError::from)
        }
    }
}

/// Changes the practice: specialty, address, and the commune chosen in the list, which places
/// it. The commune stays in the practitioner's département, whose SAS administration decides
/// on their participation.
pub async fn save_practice(
    practitioner_id: PractitionerId,
    input: &PracticeInput,
) -> Result<(), AppError> {
    let practice = input.validate().map_err(AppError::Invalid)?;
    let store = store()?;
    let profile = profile(&store, practitioner_id).await?;
    let departement = practice.insee_code.departement();
    if !profile.insee_code.is_empty()
        && crate::domain::identity::InseeCode::parse(&profile.insee_code)
            .is_ok_and(|current| current.departement() != departement)
    {
        return Err(AppError::invalid(
            "commune",
            "Choisissez une commune de votre département : pour exercer dans un autre département, \
             contactez l'administration du SAS.",
        ));
    }
    let place =
        super::search::locate_practice(&store, practice.insee_code.as_str(), &practice.postcode)
            .await?;
    let change = PracticeChange {
        specialty: practice.specialty.label(),
        address: &practice.address,
        postcode: &practice.postcode,
        city: &place.commune.name,
        insee_code: practice.insee_code.as_str(),
        departement: departement.as_str(),
        latitude: place.latitude,
        longitude: place.longitude,
        position_source: place.source,
    };
    store.update_practice(practitioner_id, &change).await?;
    Ok(())
}

/// The settings as the form shows them, and the booking questions.
pub async fn settings(practitioner_id: PractitionerId) -> Result<SettingsView, AppError> {
    let store = store()?;
    let profile = profile(&store, practitioner_id).await?;
    let questions = store.booking_questions(practitioner_id).await?;
    Ok(SettingsView {
        participation: ParticipationView {
            status: profile.sas_status,
            reason: profile.sas_status_reason,
            since: profile.sas_status_at.map(super::admin::date_time),
        },
        approximate_position: profile.position_source == PositionSource::Departement,
        practice: PracticeInput {
            specialty: profile.specialty.clone(),
            address: profile.address.clone(),
            postcode: profile.postcode.clone(),
            insee_code: profile.insee_code.clone(),
            commune: profile.city.clone(),
        },
        settings: SettingsInput {
            accepts_new_patients: profile.accepts_new_patients,
            booking_notice: profile.booking_notice,
            extra_fields: profile
                .extra_fields
                .0
                .clone()
                .into_iter()
                .map(|f| f.code().to_string())
                .collect(),
        },
        questions: questions
            .into_iter()
            .map(|q| QuestionView {
                id: q.id,
                label: q.label,
                required: q.required,
            })
            .collect(),
    })
}
