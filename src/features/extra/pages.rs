//! The surnuméraire pages: the request form (from a result card), one request's page (the
//! regulator follows it, the practitioner answers it) and the lists of requests.

use super::{
    AcceptExtraRequest, DeclineExtraRequest, SendExtraRequest, WithdrawExtraRequest, extra_request,
    extra_requests, new_request_form,
};
use crate::components::ErrorAlert;
use crate::components::clock::ServerClock;
use crate::components::form::{ErrorText, Errors, Radios, TextArea, general_error};
use crate::components::loaded::{Loaded, LoadedList};
use crate::components::patient::{PatientFields, PatientSignals};
use crate::domain::account::return_path;
use crate::domain::booking::MESSAGE_WARNING;
use crate::domain::extra::{ExtraForm, ExtraLine, ExtraRequestInput, ExtraStatus, ExtraView};
use crate::domain::field::FieldError;
use crate::domain::ids::{ExtraRequestId, PractitionerId};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

fn query_id(raw: Option<String>) -> Option<i64> {
    raw.and_then(|s| s.parse::<i64>().ok())
}

/// `/surnumeraire/nouveau?praticien=…[&depuis=…][&retour=…]`
#[component]
pub fn NewExtraPage() -> impl IntoView {
    let query = use_query_map();
    let wanted = move || {
        let q = query.read();
        (
            query_id(q.get("praticien")).map(PractitionerId),
            query_id(q.get("depuis")).map(ExtraRequestId),
        )
    };
    let back = move || {
        query
            .read()
            .get("retour")
            .and_then(|r| return_path(&r).map(str::to_string))
            .unwrap_or_else(|| "/recherche".into())
    };
    let form = Resource::new(wanted, |(practitioner, from)| async move {
        match practitioner {
            Some(id) => new_request_form(id, from).await,
            None => Err(AppError::NotFound(
                "Choisissez le médecin dans les résultats de la recherche.".into(),
            )),
        }
    });
    view! {
        <Title text="Demander un surnuméraire" />
        <h1>"Demander un surnuméraire"</h1>
        <p>"Quand aucun créneau ne convient, demandez à un médecin de recevoir le patient en plus de son agenda, à l'heure que vous proposez. Il est prévenu par courriel et répond sur la plateforme ; sans réponse dans le délai, la demande expire et vous pouvez vous adresser à un autre médecin."</p>
        <Loaded resource=form loading="Chargement du médecin…"
            way_out=("/recherche", "Retour à la recherche") let:form>
            <ExtraRequestForm form back=back() />
        </Loaded>
    }
}

/// The proposal as typed.
#[derive(Clone, Copy)]
struct ProposalSignals {
    day: RwSignal<String>,
    time: RwSignal<String>,
    mode: RwSignal<String>,
    message: RwSignal<String>,
}

#[component]
fn ExtraRequestForm(form: ExtraForm, back: String) -> impl IntoView {
    let proposal = ProposalSignals {
        day: RwSignal::new(form.today.clone()),
        time: RwSignal::new(String::new()),
        mode: RwSignal::new("cabinet".into()),
        message: RwSignal::new(String::new()),
    };
    let patient = form
        .patient
        .as_ref()
        .map_or_else(PatientSignals::default, PatientSignals::from_input);
    let errors = Errors::new();
    let send = ServerAction::<SendExtraRequest>::new();
    let practitioner_id = form.practitioner_id;
    let key = StoredValue::new(form.idempotency_key.clone());
    let needed = StoredValue::new(form.extra_fields.clone());
    let read = move || ExtraRequestInput {
        practitioner_id,
        idempotency_key: key.get_value(),
        day: proposal.day.get_untracked(),
        time: proposal.time.get_untracked(),
        mode: proposal.mode.get_untracked(),
        message: proposal.message.get_untracked(),
        patient: patient.read(),
    };
    let clock = ServerClock::new(form.server_now);
    let now = move || chrono::DateTime::from_timestamp(clock.now(), 0).unwrap_or_default();
    let today = move || crate::domain::agenda::paris_today(now());
    let check = move |field: &str| {
        let typed = read();
        let found = if ExtraRequestInput::FIELDS.contains(&field) {
            typed.check_field(field, now())
        } else {
            needed.with_value(|n| typed.patient.check_field(field, today(), n))
        };
        errors.set_field(field, found.err());
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = read();
        let mut found: Vec<FieldError> = typed.proposal(now()).err().unwrap_or_default();
        let patient = needed.with_value(|n| typed.patient.validate(today(), n));
        found.extend(patient.err().unwrap_or_default());
        if !found.is_empty() {
            errors.show(found);
            return;
        }
        errors.clear();
        send.dispatch(SendExtraRequest { request: typed });
    };
    let navigate = use_navigate();
    Effect::new(move || match send.value().get() {
        Some(Ok(id)) => navigate(&format!("/surnumeraires/{id}"), Default::default()),
        Some(Err(AppError::Invalid(found))) => errors.show(found),
        _ => {}
    });
    let filled_again = form.patient.is_some();
    view! {
        <div class="fr-callout fr-mb-4w">
            <h2 class="fr-callout__title">{form.practitioner.clone()}</h2>
            <p class="fr-callout__text">
                {form.specialty.clone()} <br /> {form.address.clone()} <br />
                {match form.phone.clone() {
                    Some((href, shown)) => view! { "Cabinet : " <a href=href class="fr-link">{shown}</a> }.into_any(),
                    None => view! { "N° de téléphone non renseigné" }.into_any(),
                }}
            </p>
        </div>
        {filled_again.then(|| view! {
            <div class="fr-alert fr-alert--info fr-alert--sm fr-mb-3w">
                <p>"Les informations du patient de votre demande précédente sont reprises : vérifiez-les."</p>
            </div>
        })}
        <ErrorAlert error=general_error(send.value()) />
        <form on:submit=on_submit novalidate>
            <p class="fr-hint-text">"Les champs marqués d'un astérisque (" <span class="required-mark">"*"</span> ") sont obligatoires."</p>
            <ProposalFields proposal errors check answer_minutes=form.answer_minutes />
            <PatientFields needed=Signal::stored(form.extra_fields.clone()) patient errors check />
            <TextArea id="message" label="Message à destination du praticien" hint=MESSAGE_WARNING
                value=proposal.message error=errors.of("message") />
            <div class="fr-btns-group fr-btns-group--inline-md fr-mt-4w">
                <button type="submit" class="fr-btn" disabled=move || send.pending().get()>"Envoyer la demande"</button>
                <A href=back attr:class="fr-btn fr-btn--secondary">"Retour à la recherche"</A>
            </div>
        </form>
    }
}

/// « Heure proposée » and « Type de consultation ».
#[component]
fn ProposalFields(
    proposal: ProposalSignals,
    errors: Errors,
    check: impl Fn(&str) + Copy + Send + Sync + 'static,
    answer_minutes: i64,
) -> impl IntoView {
    let input = move |id: &'static str,
                      label: &'static str,
                      kind: &'static str,
                      value: RwSignal<String>| {
        let error = errors.of(id);
        view! {
            <div class="fr-input-group" class:fr-input-group--error=move || error.get().is_some()>
                <label class="fr-label" for=id>{label}<span class="required-mark" aria-hidden="true">" *"</span></label>
                <input class="fr-input" type=kind id=id name=id required=true aria-required="true"
                    aria-describedby=format!("{id}-error")
                    aria-invalid=move || error.get().is_some().then_some("true")
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    on:blur=move |_| check(id) />
                <ErrorText id=id error />
            </div>
        }
    };
    view! {
        <fieldset class="fr-fieldset">
            <legend class="fr-fieldset__legend"><h2 class="fr-h4 fr-mb-0">"Le rendez-vous proposé"</h2></legend>
            <p class="fr-fieldset__element fr-hint-text">
                {format!("Heure de Paris, dans les 7 prochains jours. Le médecin a {answer_minutes} minutes pour répondre.")}
            </p>
            <div class="fr-fieldset__element">{input("day", "Jour proposé", "date", proposal.day)}</div>
            <div class="fr-fieldset__element">{input("time", "Heure proposée", "time", proposal.time)}</div>
            <div class="fr-fieldset__element">
                <Radios id="mode" legend="Type de consultation" required=true
                    options=vec![("cabinet", "Au cabinet"), ("video", "En vidéo")]
                    value=proposal.mode error=errors.of("mode") />
            </div>
        </fieldset>
    }
}

/// `/surnumeraires/:id`: the request; while it waits, read again every 15 seconds.
#[component]
pub fn ExtraPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || query_id(params.read().get("id")).map(ExtraRequestId);
    let changed = RwSignal::new(0_u32);
    let request = Resource::new(
        move || (id(), changed.get()),
        |(id, _)| async move {
            match id {
                Some(id) => extra_request(id).await,
                None => Err(AppError::NotFound(
                    "Demande de surnuméraire introuvable.".into(),
                )),
            }
        },
    );
    let waiting = move || {
        request
            .get()
            .and_then(Result::ok)
            .is_some_and(|r| r.status == ExtraStatus::Pending)
    };
    Effect::new(move || {
        if !waiting() {
            return;
        }
        let handle = set_interval_with_handle(
            move || changed.update(|n| *n += 1),
            std::time::Duration::from_secs(15),
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    view! {
        <Title text="Demande de surnuméraire" />
        <h1>"Demande de surnuméraire"</h1>
        <Loaded resource=request loading="Chargement de la demande…"
            way_out=("/surnumeraires", "Demandes de surnuméraire") let:request>
            <ExtraDetail request changed />
        </Loaded>
    }
}

#[component]
fn ExtraDetail(request: ExtraView, changed: RwSignal<u32>) -> impl IntoView {
    let r = request;
    let recap = [
        ("Médecin", Some(r.practitioner.clone())),
        ("Adresse", Some(r.address.clone())),
        ("Rendez-vous proposé", Some(r.when.clone())),
        ("Type de consultation", Some(r.mode.clone())),
        ("Régulateur", Some(r.regulator.clone())),
        ("Message à destination du praticien", r.message.clone()),
    ];
    view! {
        <StatusNotice request=r.clone() />
        <dl class="patient-fields fr-mb-3w">
            {recap.into_iter().filter_map(|(label, value)| value.map(|v| view! { <dt>{label}</dt> <dd>{v}</dd> })).collect_view()}
            {r.phone.clone().map(|(href, shown)| view! {
                <dt>"Téléphone du cabinet"</dt> <dd><a href=href class="fr-link">{shown}</a></dd>
            })}
        </dl>
        <h2 class="fr-h4">"Les informations du patient"</h2>
        <dl class="patient-fields fr-mb-3w">
            {r.patient.iter().map(|(label, value)| view! { <dt>{label.clone()}</dt> <dd>{value.clone()}</dd> }).collect_view()}
        </dl>
        {r.can_answer.then(|| view! { <AnswerForms id=r.id changed /> })}
        {r.can_withdraw.then(|| view! { <WithdrawButton id=r.id changed /> })}
        {(!r.others.is_empty()).then(|| view! { <OtherPractitioners request=r.clone() /> })}
    }
}

/// Where the request stands, and what follows.
#[component]
fn StatusNotice(request: ExtraView) -> impl IntoView {
    let r = request;
    let (kind, title, text) = match r.status {
        ExtraStatus::Pending => (
            "info",
            format!("En attente de la réponse du {}", r.practitioner),
            format!(
                "Le médecin a jusqu'à {} pour répondre. Cette page se met à jour d'elle-même.",
                r.expires
            ),
        ),
        ExtraStatus::Accepted => (
            "success",
            "Demande acceptée : le rendez-vous est pris".into(),
            format!(
                "{} reçoit le patient le {}. Le rendez-vous figure dans « Mes adressages » et dans son agenda.",
                r.practitioner, r.when
            ),
        ),
        ExtraStatus::Declined => (
            "warning",
            "Demande refusée".into(),
            format!(
                "Motif du refus : {}",
                r.decline_reason.clone().unwrap_or_default()
            ),
        ),
        ExtraStatus::Expired => (
            "warning",
            "Demande expirée sans réponse".into(),
            format!("Le médecin n'a pas répondu avant {}.", r.expires),
        ),
        ExtraStatus::Withdrawn => (
            "info",
            "Demande retirée".into(),
            "Vous avez retiré cette demande.".into(),
        ),
    };
    view! {
        <div class=format!("fr-alert fr-alert--{kind} fr-mb-4w") role="status">
            <h2 class="fr-alert__title" id="statut">{title}</h2>
            <p>{text}</p>
            {r.appointment_id.map(|id| view! {
                <p class="fr-mt-1w"><A href=format!("/adressages/{id}") attr:class="fr-link">"Voir le rendez-vous"</A></p>
            })}
        </div>
    }
}

/// The practitioner's answer: accept, or decline with a reason.
#[component]
fn AnswerForms(id: ExtraRequestId, changed: RwSignal<u32>) -> impl IntoView {
    let accept = ServerAction::<AcceptExtraRequest>::new();
    let decline = ServerAction::<DeclineExtraRequest>::new();
    let reason = RwSignal::new(String::new());
    let errors = Errors::new();
    Effect::new(
        move || match (accept.value().get(), decline.value().get()) {
            (Some(Ok(_)), _) | (_, Some(Ok(()))) => changed.update(|n| *n += 1),
            (Some(Err(e)), _) | (_, Some(Err(e))) => errors.show_server(&e),
            _ => {}
        },
    );
    let busy = move || accept.pending().get() || decline.pending().get();
    view! {
        <h2 class="fr-h4 fr-mt-4w">"Votre réponse"</h2>
        <ErrorAlert error=general_error(accept.value()) />
        <ErrorAlert error=general_error(decline.value()) />
        <ErrorText id="answer" error=errors.of("answer") />
        <button type="button" class="fr-btn" disabled=busy
            on:click=move |_| { accept.dispatch(AcceptExtraRequest { id }); }>
            "Accepter et prendre le rendez-vous"
        </button>
        <form class="fr-mt-4w" novalidate on:submit=move |ev| {
            ev.prevent_default();
            decline.dispatch(DeclineExtraRequest { id, reason: reason.get_untracked() });
        }>
            <TextArea id="decline_reason" label="Motif du refus"
                hint="Le régulateur le lit et s'adresse à un autre médecin."
                value=reason error=errors.of("decline_reason") />
            <button type="submit" class="fr-btn fr-btn--secondary" disabled=busy>"Refuser la demande"</button>
        </form>
    }
}

#[component]
fn WithdrawButton(id: ExtraRequestId, changed: RwSignal<u32>) -> impl IntoView {
    let withdraw = ServerAction::<WithdrawExtraRequest>::new();
    let errors = Errors::new();
    Effect::new(move || match withdraw.value().get() {
        Some(Ok(())) => changed.update(|n| *n += 1),
        Some(Err(e)) => errors.show_server(&e),
        None => {}
    });
    view! {
        <ErrorAlert error=general_error(withdraw.value()) />
        <ErrorText id="withdraw" error=errors.of("withdraw") />
        <button type="button" class="fr-btn fr-btn--tertiary fr-mt-2w" disabled=move || withdraw.pending().get()
            on:click=move |_| { withdraw.dispatch(WithdrawExtraRequest { id }); }>
            "Retirer la demande"
        </button>
    }
}

/// Closed without an appointment: the nearest other practitioners to ask, the patient kept.
#[component]
fn OtherPractitioners(request: ExtraView) -> impl IntoView {
    let from = request.id;
    view! {
        <section class="fr-mt-4w" aria-labelledby="autres-medecins">
            <h2 class="fr-h4" id="autres-medecins">"Demander à un autre médecin"</h2>
            <p>"Médecins effecteurs du secteur, les plus proches d'abord ; les informations du patient sont reprises."</p>
            <ul class="other-practitioners">
                {request.others.into_iter().map(|(id, name, address)| view! {
                    <li class="fr-mb-1w">
                        <A href=format!("/surnumeraire/nouveau?praticien={id}&depuis={from}") attr:class="fr-link">
                            {format!("Demander au {name}")}
                        </A>
                        " " <span class="fr-hint-text">{address}</span>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

/// `/surnumeraires`: the regulator's requests, or those the practitioner received.
#[component]
pub fn ExtraListPage() -> impl IntoView {
    let lines = Resource::new(|| (), |_| extra_requests());
    view! {
        <Title text="Demandes de surnuméraire" />
        <h1>"Demandes de surnuméraire"</h1>
        <p>"Les demandes de recevoir un patient en plus de l'agenda, de la plus récente à la plus ancienne."</p>
        <LoadedList resource=lines empty="Aucune demande de surnuméraire pour le moment." let:lines>
            <ExtraTable lines />
        </LoadedList>
    }
}

#[component]
fn ExtraTable(lines: Vec<ExtraLine>) -> impl IntoView {
    view! {
        <div class="fr-table">
            <table>
                <caption>"Demandes de surnuméraire, de la plus récente à la plus ancienne"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Rendez-vous proposé"</th>
                        <th scope="col">"Médecin"</th>
                        <th scope="col">"Patient"</th>
                        <th scope="col">"Statut"</th>
                        <th scope="col">"Détail"</th>
                    </tr>
                </thead>
                <tbody>
                    {lines.into_iter().map(|l| { let status = status_text(&l); view! {
                        <tr>
                            <td>{l.when}</td>
                            <td>{l.practitioner}</td>
                            <td>{l.patient.clone()}</td>
                            <td>{status}</td>
                            <td>
                                <A href=format!("/surnumeraires/{}", l.id) attr:class="fr-link">
                                    "Voir" <span class="fr-sr-only">{format!(" la demande pour {}", l.patient)}</span>
                                </A>
                            </td>
                        </tr>
                    }}).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn status_text(line: &ExtraLine) -> String {
    match line.status {
        ExtraStatus::Pending => format!("{} (jusqu'à {})", line.status.label(), line.expires),
        status => status.label().into(),
    }
}
