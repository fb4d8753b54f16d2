//! "Créer mon compte de médecin effecteur": a practitioner registers, confirms their address
//! by the link mailed to it, then asks to participate in the SAS and sets up their agenda.

use crate::components::form::{Errors, Radios, Select, general_error};
use crate::components::place::PlaceField;
use crate::components::{ErrorAlert, Field};
use crate::domain::place::CommuneOption;
use crate::domain::practitioner::{CIVILITIES, RegistrationInput};
use crate::domain::specialty::Specialty;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{services::accounts, with_status};
use leptos::prelude::*;
use leptos_meta::Title;

/// Open to everyone: anyone may register as a practitioner; the RPPS (checksum, uniqueness, the
/// national directory when imported) and the email (unused, not a regulator's) are checked.
/// The account signs in once its address is confirmed by the link mailed to it.
#[server(endpoint = "agenda/register")]
pub async fn register(registration: RegistrationInput) -> Result<(), AppError> {
    with_status(async {
        let registration = registration.validate().map_err(AppError::Invalid)?;
        accounts::register_practitioner(&registration).await
    })
    .await
}

/// (field, label, hint, input type, autocomplete)
const TEXT_FIELDS: [(&str, &str, &str, &str, &str); 8] = [
    ("first_name", "Prénom", "", "text", "given-name"),
    ("last_name", "Nom", "", "text", "family-name"),
    ("rpps", "Numéro RPPS", "11 chiffres", "text", "off"),
    (
        "address",
        "Adresse du cabinet",
        "Numéro et voie, par exemple : 12 rue de Rivoli",
        "text",
        "street-address",
    ),
    (
        "postcode",
        "Code postal",
        "5 chiffres",
        "text",
        "postal-code",
    ),
    (
        "phone",
        "Téléphone du cabinet",
        "Facultatif. Sans numéro, la recherche affiche « N° de téléphone non renseigné ».",
        "tel",
        "tel",
    ),
    (
        "email",
        "Adresse électronique",
        "Format attendu : nom@domaine.fr. Elle ne doit pas être celle d'un compte régulateur.",
        "email",
        "email",
    ),
    (
        "password",
        "Mot de passe",
        "12 caractères au minimum, sans vos nom et prénom. Une phrase de passe de plusieurs mots est facile à retenir.",
        "password",
        "new-password",
    ),
];

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let values: Vec<RwSignal<String>> = TEXT_FIELDS
        .iter()
        .map(|_| RwSignal::new(String::new()))
        .collect();
    let civility = RwSignal::new(String::new());
    let specialty = RwSignal::new(Specialty::ALL[0].label().to_string());
    let (commune, insee) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let errors = Errors::new();
    Effect::new(move || {
        if let Some(Err(e)) = action.value().get() {
            errors.show_server(&e);
        }
    });
    let registered = move || matches!(action.value().get(), Some(Ok(())));
    let email = values[6];
    let postcode = values[4];
    // The commune's postcode, when it has one only or the one typed is not among its own.
    let choose = Callback::new(move |c: CommuneOption| {
        let typed = postcode.get_untracked();
        if !c.postcodes.split_whitespace().any(|p| p == typed.trim()) {
            postcode.set(
                c.postcodes
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string(),
            );
        }
    });
    let read = {
        let values = values.clone();
        move || {
            let v = |i: usize| values[i].get_untracked();
            RegistrationInput {
                first_name: v(0),
                last_name: v(1),
                rpps: v(2),
                address: v(3),
                postcode: v(4),
                insee_code: insee.get_untracked(),
                phone: v(5),
                email: v(6),
                password: v(7),
                civility: civility.get_untracked(),
                specialty: specialty.get_untracked(),
            }
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let registration = read();
        match registration.validate() {
            Ok(_) => {
                errors.clear();
                action.dispatch(Register { registration });
            }
            Err(found) => errors.show(found),
        }
    };
    let field = move |i: usize| {
        let (id, label, hint, kind, autocomplete) = TEXT_FIELDS[i];
        let required = id != "phone";
        view! {
            <div class="fr-fieldset__element">
                <Field id=id name=id label=label hint=hint kind=kind autocomplete=autocomplete required
                    value=values[i] error=errors.of(id) />
            </div>
        }
        .into_any()
    };
    // Three parts, each type-erased: one nested view type would be too deep for the compiler.
    let identity = view! {
        <fieldset class="fr-fieldset">
            <legend class="fr-fieldset__legend"><h2 class="fr-h4 fr-mb-0">"Identité"</h2></legend>
            <div class="fr-fieldset__element">
                <Radios id="civility" legend="Civilité" options=CIVILITIES.to_vec() value=civility
                    error=errors.of("civility") />
            </div>
            {field(0)}
            {field(1)}
            {field(2)}
            <div class="fr-fieldset__element">
                <Select id="specialty" label="Spécialité"
                    options=Specialty::ALL.iter().map(|s| (s.label().to_string(), s.label().to_string())).collect()
                    value=specialty error=errors.of("specialty") />
            </div>
        </fieldset>
    }
    .into_any();
    let place = view! {
        <fieldset class="fr-fieldset">
            <legend class="fr-fieldset__legend"><h2 class="fr-h4 fr-mb-0">"Lieu d'exercice"</h2></legend>
            {field(3)}
            <div class="fr-fieldset__element">
                <PlaceField text=commune insee choose id="commune" name="commune" label="Commune du cabinet"
                    error=errors.of("commune") />
            </div>
            {field(4)}
            {field(5)}
        </fieldset>
    }
    .into_any();
    let login = view! {
        <fieldset class="fr-fieldset">
            <legend class="fr-fieldset__legend"><h2 class="fr-h4 fr-mb-0">"Connexion"</h2></legend>
            {field(6)}
            {field(7)}
            <div class="fr-fieldset__element">
                <button type="submit" class="fr-btn" disabled=move || action.pending().get()>"Créer mon compte"</button>
            </div>
        </fieldset>
    }
    .into_any();
    view! {
        <Title text="Créer mon compte de médecin effecteur" />
        <div class="fr-grid-row fr-grid-row--center">
            <div class="fr-col-12 fr-col-md-10 fr-col-lg-8">
                <h1>"Créer mon compte de médecin effecteur"</h1>
                <p>
                    "Votre compte vous permet de demander votre participation au SAS, puis de paramétrer vos motifs "
                    "de consultation et les plages de votre agenda. Une fois votre participation validée par "
                    "l'administration du SAS de votre département, les régulateurs voient les créneaux que vous leur ouvrez."
                </p>
                {move || registered().then(|| view! {
                    <div class="fr-alert fr-alert--success" role="status">
                        <h2 class="fr-alert__title">"Votre compte est créé"</h2>
                        <p>
                            {format!("Un lien de confirmation vient d'être envoyé à {}. ", email.get_untracked())}
                            "Ouvrez-le pour activer votre compte (il expire dans 24 heures), puis connectez-vous "
                            "pour demander votre participation au SAS."
                        </p>
                    </div>
                })}
                <div hidden=registered>
                    <p class="fr-hint-text">"Sauf mention contraire, tous les champs sont obligatoires."</p>
                    <ErrorAlert error=general_error(action.value()) />
                    <form on:submit=on_submit novalidate>
                        {identity}
                        {place}
                        {login}
                    </form>
                </div>
            </div>
        </div>
    }
}
