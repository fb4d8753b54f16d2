//! The SAS platform's administration: regulators and their invitations, the practitioners'
//! participation (participations.rs), the outbox of the demo, the audit log (filtered, by page,
//! exported as CSV by `server::journal_csv`).

mod participations;
pub use participations::{DecideParticipation, ParticipationLines, ParticipationsPage};

use crate::components::form::{ErrorText, FilterInput};
use crate::components::loaded::{Loaded, LoadedList};
use crate::components::{ErrorAlert, Field};
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::domain::account::CIVILITIES;
use crate::domain::admin::{
    AUDIT_ACTIONS, JOURNAL_EXPORT_MAX, JOURNAL_PATH, JournalPage, JournalQuery, Outbox,
    RegulatorLine,
};
use crate::domain::field::FieldError;
use crate::domain::ids::InvitationId;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::services::{accounts, admin};
#[cfg(feature = "ssr")]
use crate::server::{auth, state, with_status};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// SAS administrators only: every regulator with where they stand.
#[server]
pub async fn list_regulators() -> Result<Vec<RegulatorLine>, AppError> {
    with_status(async {
        auth::require(&[Role::Admin]).await?;
        admin::regulator_lines().await
    })
    .await
}

/// SAS administrators only: creates a regulator and sends their invitation.
#[server]
pub async fn invite_regulator(
    civility: String,
    first_name: String,
    last_name: String,
    email: String,
    departement: String,
) -> Result<String, AppError> {
    use crate::domain::account::RegulatorInput;
    with_status(async {
        let admin = auth::require(&[Role::Admin]).await?;
        let regulator = RegulatorInput {
            civility,
            first_name,
            last_name,
            email,
            departement,
        }
        .validate(true)
        .map_err(AppError::Invalid)?;
        let ip = auth::client_ip();
        accounts::invite_regulator(&state()?, &regulator, Some(admin.id), ip.as_deref()).await?;
        Ok(format!(
            "Invitation envoyée à {}.",
            regulator.email.as_str()
        ))
    })
    .await
}

/// SAS administrators only: a new link replaces the pending one and is sent again.
#[server]
pub async fn resend_invitation(id: InvitationId) -> Result<String, AppError> {
    with_status(async {
        let admin = auth::require(&[Role::Admin]).await?;
        let ip = auth::client_ip();
        accounts::resend_invitation(&state()?, id, Some(admin.id), ip.as_deref()).await?;
        Ok("Invitation renvoyée : le lien précédent ne fonctionne plus.".into())
    })
    .await
}

/// SAS administrators only: cancels a pending invitation; its link stops working.
#[server]
pub async fn revoke_invitation(id: InvitationId) -> Result<String, AppError> {
    with_status(async {
        let admin = auth::require(&[Role::Admin]).await?;
        accounts::revoke_invitation(id, admin.id).await?;
        Ok("Invitation révoquée.".into())
    })
    .await
}

/// SAS administrators only: disables a regulator's account and closes its sessions.
#[server]
pub async fn disable_account(id: InvitationId) -> Result<String, AppError> {
    with_status(async {
        let admin = auth::require(&[Role::Admin]).await?;
        accounts::disable_account(id, admin.id).await?;
        Ok("Compte désactivé : ses sessions sont fermées.".into())
    })
    .await
}

/// SAS administrators only: the mails kept when no SMTP server is configured (the demo).
#[server]
pub async fn sent_mails() -> Result<Outbox, AppError> {
    with_status(async {
        auth::require(&[Role::Admin]).await?;
        admin::outbox().await
    })
    .await
}

/// SAS administrators only: a page of the audit log, filtered (the journal's address query).
#[server]
pub async fn audit_entries(query: JournalQuery) -> Result<JournalPage, AppError> {
    with_status(async {
        auth::require(&[Role::Admin]).await?;
        admin::audit_page(&query).await
    })
    .await
}

#[component]
pub fn RegulatorsPage() -> impl IntoView {
    let invite = ServerAction::<InviteRegulator>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let disable = ServerAction::<DisableAccount>::new();
    let regulators = Resource::new(
        move || {
            (
                invite.version().get(),
                resend.version().get(),
                revoke.version().get(),
                disable.version().get(),
            )
        },
        |_| list_regulators(),
    );
    // The outcome of the latest row action.
    let outcome = RwSignal::new(None::<Result<String, AppError>>);
    for value in [resend.value(), revoke.value(), disable.value()] {
        Effect::new(move || {
            if let Some(result) = value.get() {
                outcome.set(Some(result));
            }
        });
    }
    let row_error = Signal::derive(move || outcome.get().and_then(Result::err));
    view! {
        <Title text="Régulateurs" />
        <h1>"Régulateurs"</h1>
        <InviteForm invite />
        <h2 class="fr-mt-5w">"Régulateurs inscrits"</h2>
        <div role="status">
            {move || outcome.get().and_then(Result::ok).map(|message| view! {
                <div class="fr-alert fr-alert--success fr-alert--sm fr-mb-2w"><p>{message}</p></div>
            })}
        </div>
        <ErrorAlert error=row_error />
        <LoadedList resource=regulators empty="Aucun régulateur n'a encore été invité." let:lines>
                    <div class="fr-table">
                        <table>
                            <caption class="fr-sr-only">"Régulateurs et état de leur compte"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Régulateur"</th>
                                    <th scope="col">"Adresse électronique"</th>
                                    <th scope="col">"SAS"</th>
                                    <th scope="col">"Invité le"</th>
                                    <th scope="col">"État"</th>
                                    <th scope="col">"Actions"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {lines.into_iter().map(|line| view! {
                                    <RegulatorRow line resend revoke disable />
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
        </LoadedList>
    }
}

#[component]
fn RegulatorRow(
    line: RegulatorLine,
    resend: ServerAction<ResendInvitation>,
    revoke: ServerAction<RevokeInvitation>,
    disable: ServerAction<DisableAccount>,
) -> impl IntoView {
    let id = line.id;
    let [resend_title, revoke_title, disable_title] = [
        "Renvoyer l'invitation de",
        "Révoquer l'invitation de",
        "Désactiver le compte de",
    ]
    .map(|action| format!("{action} {}", line.name));
    view! {
        <tr>
            <th scope="row">{line.name}</th>
            <td>
                {line.email}
                {line.account_email.map(|e| view! { <br /><span class="fr-text--sm">"Connexion : " {e}</span> })}
            </td>
            <td>{line.departement}</td>
            <td>{line.invited_on}</td>
            <td><span class="fr-badge fr-badge--sm">{line.state.label()}</span></td>
            <td>
                <ul class="fr-btns-group fr-btns-group--sm fr-btns-group--inline">
                    {line.state.pending().then(|| view! {
                        <li>
                            <ActionForm action=resend>
                                <input type="hidden" name="id" value=id.to_string() />
                                <button type="submit" class="fr-btn fr-btn--secondary fr-btn--sm"
                                    title=resend_title>"Renvoyer l'invitation"</button>
                            </ActionForm>
                        </li>
                        <li>
                            <ActionForm action=revoke>
                                <input type="hidden" name="id" value=id.to_string() />
                                <button type="submit" class="fr-btn fr-btn--tertiary fr-btn--sm"
                                    title=revoke_title>"Révoquer l'invitation"</button>
                            </ActionForm>
                        </li>
                    })}
                    {line.state.can_disable().then(|| view! {
                        <li>
                            <ActionForm action=disable>
                                <input type="hidden" name="id" value=id.to_string() />
                                <button type="submit" class="fr-btn fr-btn--tertiary fr-btn--sm"
                                    title=disable_title>"Désactiver le compte"</button>
                            </ActionForm>
                        </li>
                    })}
                </ul>
            </td>
        </tr>
    }
}

#[component]
fn InviteForm(invite: ServerAction<InviteRegulator>) -> impl IntoView {
    let fields: [RwSignal<String>; 4] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let [first_name, last_name, email, departement] = fields;
    let error = move |field: &'static str| {
        Signal::derive(move || {
            invite
                .value()
                .get()
                .and_then(|r| r.err()?.field_message(field))
        })
    };
    let civility_error = error("civility");
    let sent = move || invite.value().get().and_then(Result::ok);
    let server_error = Signal::derive(move || {
        invite
            .value()
            .get()
            .and_then(Result::err)
            .filter(|e| !matches!(e, AppError::Invalid(_)))
    });
    // A new regulator starts from an empty form.
    Effect::new(move || {
        if sent().is_some() {
            fields.iter().for_each(|f| f.set(String::new()));
        }
    });
    view! {
        <h2>"Inviter un régulateur"</h2>
        <p>
            "Le régulateur reçoit un courriel avec un lien sécurisé, valable 7 jours et utilisable une "
            "seule fois, pour créer son compte."
        </p>
        <div role="status">
            {move || sent().map(|message| view! {
                <div class="fr-alert fr-alert--success fr-alert--sm fr-mb-2w"><p>{message}</p></div>
            })}
        </div>
        <ErrorAlert error=server_error />
        <ActionForm action=invite>
            <fieldset class="fr-fieldset" id="civility" aria-labelledby="civility-legend civility-error">
                <legend class="fr-fieldset__legend--regular fr-fieldset__legend" id="civility-legend">
                    "Civilité" <span class="required-mark" aria-hidden="true">" *"</span>
                </legend>
                {CIVILITIES.iter().map(|c| {
                    let id = format!("civility-{}", if *c == "Mme" { "mme" } else { "m" });
                    view! {
                        <div class="fr-fieldset__element fr-fieldset__element--inline">
                            <div class="fr-radio-group">
                                <input type="radio" id=id.clone() name="civility" value=*c required />
                                <label class="fr-label" for=id>{*c}</label>
                            </div>
                        </div>
                    }
                }).collect_view()}
                <p id="civility-error" class="fr-error-text" hidden=move || civility_error.get().is_none()>
                    {move || civility_error.get()}
                </p>
            </fieldset>
            <div class="fr-grid-row fr-grid-row--gutters">
                <div class="fr-col-12 fr-col-md-6">
                    <Field id="first_name" name="first_name" label="Prénom" autocomplete="off" required=true
                        value=first_name error=error("first_name") />
                </div>
                <div class="fr-col-12 fr-col-md-6">
                    <Field id="last_name" name="last_name" label="Nom" autocomplete="off" required=true
                        value=last_name error=error("last_name") />
                </div>
                <div class="fr-col-12 fr-col-md-6">
                    <Field id="email" name="email" label="Adresse électronique" hint="Format attendu : nom@domaine.fr"
                        kind="email" autocomplete="off" required=true value=email error=error("email") />
                </div>
                <div class="fr-col-12 fr-col-md-6">
                    <Field id="departement" name="departement" label="Département du SAS" hint="Par exemple : 75, 2A, 974"
                        autocomplete="off" required=true value=departement error=error("departement") />
                </div>
            </div>
            <button type="submit" class="fr-btn fr-mt-2w" disabled=move || invite.pending().get()>"Inviter le régulateur"</button>
        </ActionForm>
    }
}

#[component]
pub fn OutboxPage() -> impl IntoView {
    let outbox = Resource::new(|| (), |_| sent_mails());
    view! {
        <Title text="Courriels envoyés" />
        <h1>"Courriels envoyés"</h1>
        <Loaded resource=outbox let:outbox>
                    <p>
                        {if outbox.smtp {
                            "Un serveur de courriel est configuré : les courriels partent par SMTP et ne sont pas conservés ici."
                        } else {
                            "Aucun serveur de courriel n'est configuré (SMTP_URL) : les courriels de la plateforme sont conservés ici, du plus récent au plus ancien."
                        }}
                    </p>
                    {outbox.mails.into_iter().map(|m| view! {
                        <article class="fr-card fr-card--no-arrow fr-mb-3w mail">
                            <div class="fr-card__body">
                                <div class="fr-card__content">
                                    <h2 class="fr-card__title fr-h6">{m.subject}</h2>
                                    <p class="fr-card__detail">{format!("À {} — le {}", m.to, m.sent_at)}</p>
                                    <pre class="fr-card__desc mail-body">{m.body}</pre>
                                </div>
                            </div>
                        </article>
                    }).collect_view()}
        </Loaded>
    }
}

/// The audit log, filtered by a plain GET form (the filters live in the address, so paging and
/// the CSV export keep them, and it all works without JavaScript).
#[component]
pub fn AuditPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        JournalQuery::from_pairs(
            query_map
                .read()
                .latest_values()
                .map(|(k, v)| (k.as_ref(), v)),
        )
    });
    // Checked here first (the same rule as the server's): a refused filter is not sent.
    let errors = Memo::new(move |_| query.get().parse().err().unwrap_or_default());
    let entries = Resource::new(
        move || query.get(),
        |q| async move {
            match q.parse() {
                Ok(_) => audit_entries(q).await,
                Err(errors) => Err(AppError::Invalid(errors)),
            }
        },
    );
    view! {
        <Title text="Journal d'audit" />
        <h1>"Journal d'audit"</h1>
        <JournalFilters query errors />
        <Loaded resource=entries let:found>
            <JournalTable query=query.get_untracked() found />
        </Loaded>
    }
}

#[component]
fn JournalFilters(query: Memo<JournalQuery>, errors: Memo<Vec<FieldError>>) -> impl IntoView {
    let error = move |field: &'static str| {
        Signal::derive(move || {
            errors
                .read()
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone())
        })
    };
    let action = move || query.read().action.clone();
    view! {
        <form method="get" action=JOURNAL_PATH novalidate class="fr-mb-3w" aria-labelledby="filtres-titre">
            <h2 id="filtres-titre" class="fr-h5">"Filtrer le journal"</h2>
            <div class="fr-grid-row fr-grid-row--gutters">
                <div class="fr-col-12 fr-col-md-6">
                    <fieldset class="fr-fieldset fr-mb-0" aria-labelledby="periode-legende">
                        <legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="periode-legende">
                            "Période" <span class="fr-hint-text">"Jours inclus, heure de Paris"</span>
                        </legend>
                        <div class="fr-fieldset__element fr-fieldset__element--inline">
                            <FilterInput id="du" label="Du" kind="date"
                                value=Signal::derive(move || query.read().du.clone()) error=error("du") />
                        </div>
                        <div class="fr-fieldset__element fr-fieldset__element--inline">
                            <FilterInput id="au" label="Au" kind="date"
                                value=Signal::derive(move || query.read().au.clone()) error=error("au") />
                        </div>
                    </fieldset>
                </div>
                <div class="fr-col-12 fr-col-md-6">
                    <FilterInput id="compte" label="Compte" hint="Adresse électronique du compte, par exemple nom@domaine.fr"
                        kind="email" value=Signal::derive(move || query.read().compte.clone()) error=error("compte") />
                </div>
                <div class="fr-col-12 fr-col-md-6">
                    <div class="fr-select-group" class:fr-select-group--error=move || error("action").get().is_some()>
                        <label class="fr-label" for="action">"Événement"</label>
                        <select class="fr-select" id="action" name="action" aria-describedby="action-error"
                            aria-invalid=move || error("action").get().is_some().then_some("true")>
                            <option value="" selected=move || action().is_empty()>"Tous les événements"</option>
                            {AUDIT_ACTIONS.iter().map(|(code, label)| view! {
                                <option value=*code selected=move || action() == *code>{*label}</option>
                            }).collect_view()}
                        </select>
                        <ErrorText id="action" error=error("action") />
                    </div>
                </div>
                <div class="fr-col-12 fr-col-md-6">
                    <FilterInput id="rdv" label="Rendez-vous" hint="Numéro du rendez-vous, par exemple 42"
                        inputmode="numeric" value=Signal::derive(move || query.read().rdv.clone()) error=error("rdv") />
                </div>
            </div>
            <ul class="fr-btns-group fr-btns-group--inline fr-mt-2w">
                <li><button type="submit" class="fr-btn">"Filtrer"</button></li>
                <li><A href=JOURNAL_PATH attr:class="fr-btn fr-btn--secondary">"Effacer les filtres"</A></li>
            </ul>
        </form>
    }
}

#[component]
fn JournalTable(query: JournalQuery, found: JournalPage) -> impl IntoView {
    let (page, pages) = (found.page, found.pages);
    let caption =
        format!("Journal d'audit, du plus récent au plus ancien : page {page} sur {pages}");
    view! {
        <div class="journal-summary fr-mb-2w">
            <p class="fr-mb-1w" role="status"><strong>{found.count_label()}</strong></p>
            {(found.total > 0).then(|| view! {
                <p class="fr-mb-0">
                    <a class="fr-link fr-link--download" href=query.csv_url() download="journal-audit.csv">
                        "Exporter en CSV"
                        <span class="fr-link__detail">"CSV, toutes les entrées filtrées"</span>
                    </a>
                </p>
            })}
            {(found.total > JOURNAL_EXPORT_MAX).then(|| view! {
                <p class="fr-text--sm">
                    {format!("L'export est limité à {JOURNAL_EXPORT_MAX} entrées : resserrez les filtres (la période, par exemple).")}
                </p>
            })}
        </div>
        {(!found.lines.is_empty()).then(|| view! {
            <div class="fr-table">
                <table>
                    <caption>{caption}</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Date"</th>
                            <th scope="col">"Compte"</th>
                            <th scope="col">"Événement"</th>
                            <th scope="col">"Objet"</th>
                            <th scope="col">"Adresse IP"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {found.lines.into_iter().map(|l| view! {
                            <tr><td>{l.at}</td><td>{l.who}</td><td>{l.action}</td><td>{l.subject}</td><td>{l.from}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })}
        <JournalPager query page pages />
    }
}

/// « Page précédente » / « Page suivante »: plain links carrying the filters.
#[component]
fn JournalPager(query: JournalQuery, page: u32, pages: u32) -> impl IntoView {
    let link = |to: u32, label: &'static str, class: &'static str| {
        let class = format!("fr-pagination__link fr-pagination__link--lg-label {class}");
        view! { <A href=query.page_url(to) attr:class=class>{label}</A> }.into_any()
    };
    let disabled = |label: &'static str, class: &'static str| {
        let class = format!("fr-pagination__link fr-pagination__link--lg-label {class}");
        view! { <a class=class aria-disabled="true" role="link">{label}</a> }.into_any()
    };
    let (prev, next) = ("fr-pagination__link--prev", "fr-pagination__link--next");
    (pages > 1).then(|| view! {
        <nav role="navigation" class="fr-pagination" aria-label="Pages du journal">
            <ul class="fr-pagination__list">
                <li>{if page > 1 { link(page - 1, "Page précédente", prev) } else { disabled("Page précédente", prev) }}</li>
                <li><a class="fr-pagination__link" aria-current="page" title=format!("Page {page}")>{format!("{page} / {pages}")}</a></li>
                <li>{if page < pages { link(page + 1, "Page suivante", next) } else { disabled("Page suivante", next) }}</li>
            </ul>
        </nav>
    })
}
