//! « Participation des médecins au SAS »: the administration of a département reads the
//! practitioners' requests with what the national directory says of their RPPS number, and
//! approves, refuses (with a reason), suspends or reinstates.

use crate::components::ErrorAlert;
use crate::components::form::ErrorText;
use crate::components::loaded::LoadedList;
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::domain::ids::PractitionerId;
use crate::domain::participation::{Decision, ParticipationLine, SasStatus, check_reason};
use crate::domain::rpps::RppsCheck;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::services::participation;
#[cfg(feature = "ssr")]
use crate::server::{auth, with_status};
use leptos::prelude::*;
use leptos_meta::Title;

/// SAS administrators only: the practitioners of their département who asked to participate.
#[server]
pub async fn participation_lines() -> Result<Vec<ParticipationLine>, AppError> {
    with_status(async {
        let admin = auth::require(&[Role::Admin]).await?;
        participation::lines(&admin).await
    })
    .await
}

/// SAS administrators only, for a practitioner of their département: approves, refuses,
/// suspends or reinstates their participation; the practitioner is mailed.
#[server]
pub async fn decide_participation(
    id: PractitionerId,
    decision: Decision,
    reason: String,
) -> Result<String, AppError> {
    with_status(async {
        let admin = auth::require(&[Role::Admin]).await?;
        participation::decide(&admin, id, decision, &reason)
            .await
            .map(str::to_string)
    })
    .await
}

#[component]
pub fn ParticipationsPage() -> impl IntoView {
    let decide = ServerAction::<DecideParticipation>::new();
    let lines = Resource::new(move || decide.version().get(), |_| participation_lines());
    let error = Signal::derive(move || {
        decide
            .value()
            .get()
            .and_then(Result::err)
            .filter(|e| !matches!(e, AppError::Invalid(_)))
    });
    let reason_error = Signal::derive(move || {
        decide
            .value()
            .get()
            .and_then(|r| r.err()?.field_message("reason"))
    });
    view! {
        <Title text="Participation des médecins au SAS" />
        <h1>"Participation des médecins au SAS"</h1>
        <p>
            "Un médecin effecteur ne reçoit des patients du SAS qu'une fois sa participation validée. "
            "Vérifiez son numéro RPPS avant de valider ; un refus ou une suspension est motivé et le médecin "
            "en est informé par courriel."
        </p>
        <div role="status">
            {move || decide.value().get().and_then(Result::ok).map(|message| view! {
                <div class="fr-alert fr-alert--success fr-alert--sm fr-mb-2w"><p>{message}</p></div>
            })}
        </div>
        <ErrorAlert error />
        {move || reason_error.get().map(|message| view! {
            <div class="fr-alert fr-alert--error fr-alert--sm fr-mb-2w" role="alert"><p>{message}</p></div>
        })}
        <LoadedList resource=lines empty="Aucune demande de participation pour le moment." let:lines>
            <ul class="participation-list">
                {lines.into_iter().map(|line| view! { <ParticipationItem line decide /> }).collect_view()}
            </ul>
        </LoadedList>
    }
}

#[component]
fn ParticipationItem(
    line: ParticipationLine,
    decide: ServerAction<DecideParticipation>,
) -> impl IntoView {
    let check_class = match line.check {
        RppsCheck::Verified { .. } => "fr-badge fr-badge--success fr-badge--sm",
        RppsCheck::NotVerified => "fr-badge fr-badge--info fr-badge--sm",
        RppsCheck::Absent | RppsCheck::NamesDiffer { .. } => {
            "fr-badge fr-badge--error fr-badge--sm"
        }
    };
    let status = match line.status {
        SasStatus::Requested => "fr-badge fr-badge--new fr-badge--sm",
        SasStatus::Approved => "fr-badge fr-badge--success fr-badge--sm",
        _ => "fr-badge fr-badge--warning fr-badge--sm",
    };
    let forms = [
        (Decision::Approve, "Valider la participation"),
        (Decision::Refuse, "Refuser la demande"),
        (Decision::Suspend, "Suspendre la participation"),
        (Decision::Reinstate, "Rétablir la participation"),
    ]
    .into_iter()
    .filter(|(d, _)| d.apply(line.status).is_some())
    .map(|(decision, label)| {
        view! {
            <DecisionForm id=line.practitioner_id name=line.name.clone() decision label decide />
        }
    })
    .collect_view();
    view! {
        <li class="participation fr-mb-4w">
            <h2 class="fr-h5 fr-mb-1w">{line.name.clone()} " — " {line.specialty}</h2>
            <p class="fr-mb-1w">
                <span class=status>{line.status.label()}</span>
                {line.since.map(|s| format!(" le {s}"))}
            </p>
            {line.reason.map(|r| view! { <p class="fr-text--sm fr-mb-1w">"Motif : " {r}</p> })}
            <ul class="fr-text--sm">
                <li>"RPPS " {line.rpps} " : " <span class=check_class>{line.check.label()}</span></li>
                <li>
                    {line.email} " — "
                    {if line.email_confirmed { "adresse confirmée" } else { "adresse non confirmée" }}
                </li>
                <li>{line.place}</li>
            </ul>
            <div class="participation__decisions">{forms}</div>
        </li>
    }
}

/// One decision on one practitioner. A reason, when the decision needs one, is checked in the
/// browser by the same rule as on the server, its message linked to the field.
#[component]
fn DecisionForm(
    id: PractitionerId,
    name: String,
    decision: Decision,
    label: &'static str,
    decide: ServerAction<DecideParticipation>,
) -> impl IntoView {
    let field = format!("reason-{id}-{decision:?}").to_lowercase();
    let with_reason = decision.needs_reason();
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    // The click comes before the form's submission: an invalid reason stops it there.
    let check =
        move |ev: leptos::ev::MouseEvent| match check_reason(decision, &reason.get_untracked()) {
            Ok(_) => error.set(None),
            Err(found) => {
                ev.prevent_default();
                error.set(found.into_iter().next().map(|e| e.message));
            }
        };
    let button = if with_reason {
        "fr-btn fr-btn--secondary fr-btn--sm"
    } else {
        "fr-btn fr-btn--sm"
    };
    view! {
        <ActionForm action=decide attr:class="participation__decision">
            <input type="hidden" name="id" value=id.to_string() />
            <input type="hidden" name="decision" value=format!("{decision:?}") />
            {(!with_reason).then(|| view! { <input type="hidden" name="reason" value="" /> })}
            {with_reason.then(|| view! {
                <div class="fr-input-group" class:fr-input-group--error=move || error.get().is_some()>
                    <label class="fr-label" for=field.clone()>
                        {format!("Motif ({})", label.to_lowercase())}
                        <span class="fr-hint-text">"Obligatoire, envoyé au médecin."</span>
                    </label>
                    <textarea class="fr-input" id=field.clone() name="reason" rows="2" aria-required="true"
                        aria-describedby=format!("{field}-error")
                        aria-invalid=move || error.get().is_some().then_some("true")
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                    <ErrorText id=field.clone() error=Signal::from(error) />
                </div>
            })}
            <button type="submit" class=button on:click=check>
                {label} <span class="fr-sr-only">{format!(" de {name}")}</span>
            </button>
        </ActionForm>
    }
}
