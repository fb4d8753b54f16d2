//! « Les informations du patient »: the patient form of the booking funnel and of a surnuméraire
//! request, as typed (signals) and shown with each field's message.

use crate::components::Field;
use crate::components::form::{ErrorText, Errors, Radios};
use crate::components::place::PlaceField;
use crate::domain::patient::{CIVILITIES, PatientInput};
use crate::domain::place::CommuneOption;
use crate::domain::practitioner::ExtraField;
use leptos::prelude::*;

/// Every patient field as typed.
#[derive(Clone, Copy)]
pub struct PatientSignals {
    pub civility: RwSignal<String>,
    pub first_name: RwSignal<String>,
    pub last_name: RwSignal<String>,
    pub birth_name: RwSignal<String>,
    pub birth_date: RwSignal<String>,
    pub birth_place: RwSignal<String>,
    pub birth_insee: RwSignal<String>,
    pub birth_city: RwSignal<String>,
    pub birth_country: RwSignal<String>,
    pub phone: RwSignal<String>,
    pub email: RwSignal<String>,
    pub address: RwSignal<String>,
    pub nir: RwSignal<String>,
}

/// Empty fields.
impl Default for PatientSignals {
    fn default() -> Self {
        Self::from_input(&PatientInput::default())
    }
}

impl PatientSignals {
    /// Signals holding what `typed` holds (a form filled again).
    pub fn from_input(typed: &PatientInput) -> Self {
        let s = |v: &String| RwSignal::new(v.clone());
        Self {
            civility: s(&typed.civility),
            first_name: s(&typed.first_name),
            last_name: s(&typed.last_name),
            birth_name: s(&typed.birth_name),
            birth_date: s(&typed.birth_date),
            birth_place: s(&typed.birth_place),
            birth_insee: s(&typed.birth_insee),
            birth_city: s(&typed.birth_city),
            birth_country: s(&typed.birth_country),
            phone: s(&typed.phone),
            email: s(&typed.email),
            address: s(&typed.address),
            nir: s(&typed.nir),
        }
    }

    pub fn read(&self) -> PatientInput {
        PatientInput {
            civility: self.civility.get_untracked(),
            first_name: self.first_name.get_untracked(),
            last_name: self.last_name.get_untracked(),
            birth_name: self.birth_name.get_untracked(),
            birth_date: self.birth_date.get_untracked(),
            birth_place: self.birth_place.get_untracked(),
            birth_insee: self.birth_insee.get_untracked(),
            birth_city: self.birth_city.get_untracked(),
            birth_country: self.birth_country.get_untracked(),
            phone: self.phone.get_untracked(),
            email: self.email.get_untracked(),
            address: self.address.get_untracked(),
            nir: self.nir.get_untracked(),
        }
    }
}

/// « Les informations du patient », with the fields the practitioner requires (`needed`).
#[component]
pub fn PatientFields(
    needed: Signal<Vec<ExtraField>>,
    patient: PatientSignals,
    errors: Errors,
    check: impl Fn(&str) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let needs = move |f: ExtraField| needed.read().contains(&f);
    let on_blur = move |field: &'static str| Callback::new(move |()| check(field));
    let pick_city = Callback::new(move |c: CommuneOption| {
        patient.birth_city.set(c.name.clone());
        check("birth_insee");
    });
    let place_error = errors.of("birth_place");
    let has_place_error = move || place_error.get().is_some();
    view! {
        <fieldset class="fr-fieldset fr-mt-3w">
            <legend class="fr-fieldset__legend"><h2 class="fr-h4 fr-mb-0">"Les informations du patient"</h2></legend>
            <p class="fr-fieldset__element fr-hint-text">
                "Par défaut les informations obligatoires sont : nom, prénom, nom de naissance, date de naissance, téléphone. "
                "Certains médecins effecteurs demandent plus d'informations."
            </p>
            <div class="fr-fieldset__element">
                <Radios id="civility" legend="Civilité"
                    options=CIVILITIES.iter().map(|c| (*c, *c)).collect()
                    value=patient.civility error=errors.of("civility") />
            </div>
            <div class="fr-fieldset__element">
                <Field id="first_name" name="request[patient][first_name]" label="Prénom du patient" autocomplete="off"
                    required=true value=patient.first_name error=errors.of("first_name") on_blur=on_blur("first_name") />
            </div>
            <div class="fr-fieldset__element">
                <Field id="last_name" name="request[patient][last_name]" label="Nom du patient" autocomplete="off"
                    required=true value=patient.last_name error=errors.of("last_name") on_blur=on_blur("last_name") />
            </div>
            <div class="fr-fieldset__element">
                <Field id="birth_name" name="request[patient][birth_name]" label="Nom de naissance du patient" autocomplete="off"
                    required=true value=patient.birth_name error=errors.of("birth_name") on_blur=on_blur("birth_name") />
            </div>
            <div class="fr-fieldset__element">
                <Field id="birth_date" name="request[patient][birth_date]" label="Date de naissance du patient"
                    hint="Format attendu : JJ/MM/AAAA" autocomplete="off" required=true value=patient.birth_date
                    error=errors.of("birth_date") on_blur=on_blur("birth_date") />
            </div>
            <div class="fr-fieldset__element">
                <div class="fr-select-group" class:fr-select-group--error=has_place_error>
                    <label class="fr-label" for="birth_place">"Lieu de naissance du patient"
                        {move || needs(ExtraField::BirthPlace).then(|| view! { <span class="required-mark" aria-hidden="true">" *"</span> })}
                    </label>
                    <select class="fr-select" id="birth_place" name="request[patient][birth_place]"
                        aria-describedby="birth_place-error" aria-invalid=move || has_place_error().then_some("true")
                        required=move || needs(ExtraField::BirthPlace)
                        prop:value=move || patient.birth_place.get()
                        on:change=move |ev| { patient.birth_place.set(event_target_value(&ev)); check("birth_place"); }>
                        <option value="">"Non renseigné"</option>
                        <option value="france">"Né(e) en France"</option>
                        <option value="etranger">"Né(e) à l'étranger"</option>
                    </select>
                    <ErrorText id="birth_place" error=place_error />
                </div>
            </div>
            <Show when=move || patient.birth_place.get() == "france">
                <div class="fr-fieldset__element">
                    <PlaceField id="birth_insee" name="request[patient][birth_city]" label="Ville de naissance"
                        text=patient.birth_city insee=patient.birth_insee choose=pick_city
                        error=errors.of("birth_insee") />
                </div>
            </Show>
            <Show when=move || patient.birth_place.get() == "etranger">
                <div class="fr-fieldset__element">
                    <Field id="birth_country" name="request[patient][birth_country]" label="Pays de naissance"
                        required=true value=patient.birth_country error=errors.of("birth_country")
                        on_blur=on_blur("birth_country") />
                </div>
            </Show>
            <div class="fr-fieldset__element">
                <Field id="phone" name="request[patient][phone]" label="Téléphone du patient" kind="tel" autocomplete="off"
                    hint="Numéro français, ou étranger avec son indicatif (+32 …)"
                    required=true value=patient.phone error=errors.of("phone") on_blur=on_blur("phone") />
                <p class="fr-text--sm">
                    "Un numéro de téléphone valide est nécessaire afin que l'établissement puisse contacter "
                    "le patient en cas de changement lié au rendez-vous."
                </p>
            </div>
            {move || {
                let (email, address, nir) = (needs(ExtraField::Email), needs(ExtraField::Address), needs(ExtraField::SocialSecurityNumber));
                view! {
                    <div class="fr-fieldset__element">
                        <Field id="email" name="request[patient][email]" label="Email du patient" kind="email" autocomplete="off"
                            hint="Le patient y reçoit la confirmation du rendez-vous, et un courriel s'il est annulé."
                            required=email value=patient.email error=errors.of("email") on_blur=on_blur("email") />
                    </div>
                    {address.then(|| view! {
                        <div class="fr-fieldset__element">
                            <Field id="address" name="request[patient][address]" label="Adresse postale du patient" autocomplete="off"
                                required=true value=patient.address error=errors.of("address") on_blur=on_blur("address") />
                        </div>
                    })}
                    {nir.then(|| view! {
                        <div class="fr-fieldset__element">
                            <Field id="nir" name="request[patient][nir]" label="Numéro de sécurité sociale du patient"
                                hint="15 caractères, clé comprise" autocomplete="off"
                                required=true value=patient.nir error=errors.of("nir") on_blur=on_blur("nir") />
                        </div>
                    })}
                }
            }}
        </fieldset>
    }
}
