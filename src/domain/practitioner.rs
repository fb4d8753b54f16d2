//! What a médecin effecteur types about themselves: registration, settings, reasons (motifs)
//! and the extra requirements of their bookings.

use super::account::check_password;
use super::field::{FieldError, REQUIRED, text, too_long};
use super::identity::{Departement, Email, InseeCode, PersonName, PhoneFr, Rpps};
use super::ids::{QuestionId, ReasonId, UnknownCode};
use super::participation::ParticipationView;
use super::specialty::Specialty;
use serde::{Deserialize, Serialize};

/// (code stored, label shown)
pub const CIVILITIES: [(&str, &str); 2] = [("Mme", "Madame"), ("M.", "Monsieur")];

/// The name of the built-in reason that opens a range to the SAS.
pub const SNP_NAME: &str = "Soins non programmés";

/// The registration form as typed. The commune is chosen in the commune list (the search's
/// place field): `insee_code` is the chosen one's, and the server takes the position from it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegistrationInput {
    pub email: String,
    pub password: String,
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    pub rpps: String,
    pub specialty: String,
    pub address: String,
    pub postcode: String,
    pub insee_code: String,
    #[serde(default)]
    pub phone: String,
}

/// A checked registration.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub email: Email,
    pub password: String,
    pub civility: &'static str,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub rpps: Rpps,
    pub specialty: Specialty,
    pub address: String,
    pub postcode: String,
    pub insee_code: InseeCode,
    pub departement: Departement,
    pub phone: Option<PhoneFr>,
}

/// The message of a commune not chosen in the list, or unknown to it.
pub const CHOOSE_COMMUNE: &str =
    "Choisissez la commune du cabinet dans la liste proposée (saisissez au moins 2 caractères).";

/// The chosen commune's INSEE code: a commune typed but not chosen has none.
pub fn chosen_commune(insee_code: &str) -> Result<InseeCode, String> {
    if insee_code.trim().is_empty() {
        return Err(CHOOSE_COMMUNE.into());
    }
    InseeCode::parse(insee_code).map_err(|_| CHOOSE_COMMUNE.to_string())
}

/// The same rules as the regulators' passwords, the person's names and address as context.
fn password(input: &RegistrationInput) -> Result<String, String> {
    let local_part = input.email.trim().split('@').next().unwrap_or_default();
    let context = [input.first_name.as_str(), &input.last_name, local_part];
    check_password(&input.password, &context).map(|()| input.password.clone())
}

fn postcode(input: &str) -> Result<String, String> {
    let code = input.trim();
    if code.is_empty() {
        Err(REQUIRED.into())
    } else if code.len() == 5 && code.chars().all(|c| c.is_ascii_digit()) {
        Ok(code.to_string())
    } else {
        Err("Code postal invalide : 5 chiffres, par exemple 75004.".into())
    }
}

impl RegistrationInput {
    /// Checks every field; all errors at once. The phone is optional.
    pub fn validate(&self) -> Result<Registration, Vec<FieldError>> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let email = FieldError::check(e, "email", Email::parse(&self.email));
        let password = FieldError::check(e, "password", password(self));
        let civility = FieldError::check(
            e,
            "civility",
            CIVILITIES
                .iter()
                .find(|(code, _)| *code == self.civility)
                .map(|(code, _)| *code)
                .ok_or_else(|| "Choisissez une civilité.".to_string()),
        );
        let first_name = FieldError::check(e, "first_name", PersonName::parse(&self.first_name));
        let last_name = FieldError::check(e, "last_name", PersonName::parse(&self.last_name));
        let rpps = FieldError::check(e, "rpps", Rpps::parse(&self.rpps));
        let specialty = FieldError::check(
            e,
            "specialty",
            Specialty::from_label(&self.specialty)
                .ok_or_else(|| "Choisissez une spécialité dans la liste.".to_string()),
        );
        let address = FieldError::check(e, "address", text(&self.address, 200));
        let postcode = FieldError::check(e, "postcode", postcode(&self.postcode));
        let insee_code = FieldError::check(e, "commune", chosen_commune(&self.insee_code));
        let phone = match self.phone.trim() {
            "" => Some(None),
            phone => FieldError::check(e, "phone", PhoneFr::parse(phone).map(Some)),
        };
        match (
            email, password, civility, first_name, last_name, rpps, specialty, address, postcode,
            insee_code, phone,
        ) {
            (
                Some(email),
                Some(password),
                Some(civility),
                Some(first_name),
                Some(last_name),
                Some(rpps),
                Some(specialty),
                Some(address),
                Some(postcode),
                Some(insee_code),
                Some(phone),
            ) if errors.is_empty() => Ok(Registration {
                departement: insee_code.departement(),
                email,
                password,
                civility,
                first_name,
                last_name,
                rpps,
                specialty,
                address,
                postcode,
                insee_code,
                phone,
            }),
            _ => Err(errors),
        }
    }
}

/// The practice as the settings form types it; the commune is chosen in the commune list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeInput {
    pub specialty: String,
    pub address: String,
    pub postcode: String,
    pub insee_code: String,
    /// The chosen commune's name, as the field shows it.
    #[serde(default)]
    pub commune: String,
}

/// A checked practice; the server places it by its commune.
#[derive(Debug, Clone, PartialEq)]
pub struct Practice {
    pub specialty: Specialty,
    pub address: String,
    pub postcode: String,
    pub insee_code: InseeCode,
}

impl PracticeInput {
    /// The same rules as at registration; all errors at once.
    pub fn validate(&self) -> Result<Practice, Vec<FieldError>> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let specialty = FieldError::check(
            e,
            "specialty",
            Specialty::from_label(&self.specialty)
                .ok_or_else(|| "Choisissez une spécialité dans la liste.".to_string()),
        );
        let address = FieldError::check(e, "address", text(&self.address, 200));
        let insee_code = FieldError::check(e, "commune", chosen_commune(&self.insee_code));
        let postcode = FieldError::check(e, "postcode", postcode(&self.postcode));
        match (specialty, address, insee_code, postcode) {
            (Some(specialty), Some(address), Some(insee_code), Some(postcode)) => Ok(Practice {
                specialty,
                address,
                postcode,
                insee_code,
            }),
            _ => Err(errors),
        }
    }
}

/// Patient fields a practitioner may require beyond the default five.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExtraField {
    Email,
    Address,
    SocialSecurityNumber,
    BirthPlace,
}

impl ExtraField {
    pub const ALL: [ExtraField; 4] = [
        ExtraField::Email,
        ExtraField::Address,
        ExtraField::SocialSecurityNumber,
        ExtraField::BirthPlace,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ExtraField::Email => "email",
            ExtraField::Address => "address",
            ExtraField::SocialSecurityNumber => "nir",
            ExtraField::BirthPlace => "birth_place",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            ExtraField::Email => "Email du patient",
            ExtraField::Address => "Adresse postale du patient",
            ExtraField::SocialSecurityNumber => "Numéro de sécurité sociale du patient",
            ExtraField::BirthPlace => "Lieu de naissance du patient",
        }
    }

    /// As stored: comma-separated codes.
    pub fn join(fields: &[ExtraField]) -> String {
        fields
            .iter()
            .map(|f| f.code())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The extra patient fields of a practitioner, stored as comma-separated codes
/// ([`ExtraField::join`]) and read back once at the store's edge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraFields(pub Vec<ExtraField>);

impl TryFrom<String> for ExtraFields {
    type Error = UnknownCode;

    fn try_from(stored: String) -> Result<Self, UnknownCode> {
        stored
            .split(',')
            .filter(|code| !code.trim().is_empty())
            .map(|code| ExtraField::from_code(code).ok_or_else(|| UnknownCode(code.into())))
            .collect::<Result<_, _>>()
            .map(ExtraFields)
    }
}

/// The settings form as typed. Checkboxes send `true` when ticked and nothing otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsInput {
    /// "J'accepte de nouveaux patients".
    #[serde(default)]
    pub accepts_new_patients: bool,
    /// "À lire avant de prendre un rendez-vous".
    #[serde(default)]
    pub booking_notice: String,
    #[serde(default)]
    pub extra_fields: Vec<String>,
}

/// Checked settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub accepts_new_patients: bool,
    pub booking_notice: String,
    pub extra_fields: Vec<ExtraField>,
}

impl SettingsInput {
    pub const NOTICE_MAX: usize = 2000;

    pub fn validate(&self) -> Result<Settings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let notice = self.booking_notice.trim().to_string();
        if notice.chars().count() > Self::NOTICE_MAX {
            errors.push(FieldError {
                field: "booking_notice".into(),
                message: too_long(Self::NOTICE_MAX),
            });
        }
        let mut extra_fields = Vec::new();
        for code in &self.extra_fields {
            match ExtraField::from_code(code) {
                Some(f) if !extra_fields.contains(&f) => extra_fields.push(f),
                Some(_) => {}
                None => errors.push(FieldError {
                    field: "extra_fields".into(),
                    message: format!("Information inconnue : « {code} »."),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        extra_fields.sort_by_key(|f| ExtraField::ALL.iter().position(|a| a == f));
        Ok(Settings {
            accepts_new_patients: self.accepts_new_patients,
            booking_notice: notice,
            extra_fields,
        })
    }
}

/// The reason (motif) form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonInput {
    #[serde(default)]
    pub name: String,
    pub duration_minutes: String,
    #[serde(default)]
    pub open_to_new_patients: bool,
    #[serde(default)]
    pub bookable_online: bool,
    /// « À lire avant de prendre un rendez-vous » for this reason; empty: the general notice.
    #[serde(default)]
    pub notice: String,
}

/// A checked reason; `name` is `None` for "Soins non programmés", whose name is fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonForm {
    pub name: Option<String>,
    pub duration_minutes: u32,
    pub open_to_new_patients: bool,
    pub bookable_online: bool,
    pub notice: String,
}

impl ReasonInput {
    pub const NAME_MAX: usize = 100;
    pub const DURATION_MAX: u32 = 240;

    /// `is_snp`: the reason edited is "Soins non programmés" (its name is ignored).
    pub fn validate(&self, is_snp: bool) -> Result<ReasonForm, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = if is_snp {
            Some(None)
        } else {
            FieldError::check(
                &mut errors,
                "name",
                text(&self.name, Self::NAME_MAX).and_then(|name| {
                    if name.to_lowercase() == SNP_NAME.to_lowercase() {
                        Err(format!(
                            "Ce nom est réservé au motif « {SNP_NAME} » : ajoutez-le avec le bouton dédié."
                        ))
                    } else {
                        Ok(Some(name))
                    }
                }),
            )
        };
        let duration = FieldError::check(
            &mut errors,
            "duration_minutes",
            self.duration_minutes
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|d| (5..=Self::DURATION_MAX).contains(d))
                .ok_or_else(|| {
                    format!(
                        "Saisissez une durée entre 5 et {} minutes.",
                        Self::DURATION_MAX
                    )
                }),
        );
        let notice = self.notice.trim().to_string();
        if notice.chars().count() > SettingsInput::NOTICE_MAX {
            errors.push(FieldError {
                field: "reason_notice".into(),
                message: too_long(SettingsInput::NOTICE_MAX),
            });
        }
        match (name, duration) {
            (Some(name), Some(duration_minutes)) if errors.is_empty() => Ok(ReasonForm {
                name,
                duration_minutes,
                open_to_new_patients: self.open_to_new_patients,
                bookable_online: self.bookable_online,
                notice,
            }),
            _ => Err(errors),
        }
    }
}

/// A question the regulator answers when booking, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionInput {
    pub label: String,
    #[serde(default)]
    pub required: bool,
}

impl QuestionInput {
    pub const LABEL_MAX: usize = 300;

    pub fn validate(&self) -> Result<(String, bool), Vec<FieldError>> {
        text(&self.label, Self::LABEL_MAX)
            .map(|label| (label, self.required))
            .map_err(|message| {
                vec![FieldError {
                    field: "question_label".into(),
                    message,
                }]
            })
    }
}

/// A reason as the practitioner's reasons page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReasonView {
    pub id: ReasonId,
    pub name: String,
    pub duration_minutes: i64,
    pub open_to_new_patients: bool,
    pub bookable_online: bool,
    pub is_snp: bool,
    pub archived: bool,
    pub notice: String,
}

/// The practitioner's settings page: the settings as the form shows them, and the questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    /// « Je participe au SAS »: a request the SAS administration decides on.
    pub participation: ParticipationView,
    pub practice: PracticeInput,
    /// The commune has no coordinates: the search places the practice at the département's centre.
    pub approximate_position: bool,
    pub settings: SettingsInput,
    pub questions: Vec<QuestionView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionView {
    pub id: QuestionId,
    pub label: String,
    pub required: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration() -> RegistrationInput {
        RegistrationInput {
            email: "Jeanne.Rolland@exemple.fr".into(),
            password: "un mot de passe long".into(),
            civility: "Mme".into(),
            first_name: "Jeanne".into(),
            last_name: "Rolland".into(),
            rpps: "10000000009".into(),
            specialty: "Médecine générale".into(),
            address: " 3  rue des Lilas ".into(),
            postcode: "35000".into(),
            insee_code: "35238".into(),
            phone: String::new(),
        }
    }

    #[test]
    fn a_complete_registration() {
        let r = registration().validate().unwrap();
        assert_eq!(r.email.as_str(), "jeanne.rolland@exemple.fr");
        assert_eq!(r.departement.as_str(), "35");
        assert_eq!(r.address, "3 rue des Lilas");
        assert_eq!(r.insee_code.as_str(), "35238");
        assert_eq!(r.specialty, Specialty::GeneralPractice);
        assert_eq!(r.phone, None);
        let with_phone = RegistrationInput {
            phone: "02 99 00 00 00".into(),
            ..registration()
        };
        assert_eq!(
            with_phone.validate().unwrap().phone.unwrap().e164(),
            "+33299000000"
        );
    }

    #[test]
    fn each_bad_registration_field_is_reported() {
        let fields = |input: RegistrationInput| -> Vec<String> {
            input
                .validate()
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        for (input, field) in [
            (
                RegistrationInput {
                    rpps: "10000000008".into(),
                    ..registration()
                },
                "rpps",
            ),
            (
                RegistrationInput {
                    password: "court".into(),
                    ..registration()
                },
                "password",
            ),
            // The regulators' rules: nothing built on the person's own names.
            (
                RegistrationInput {
                    password: "Rolland Jeanne 2026!".into(),
                    ..registration()
                },
                "password",
            ),
            (
                RegistrationInput {
                    civility: "Dr".into(),
                    ..registration()
                },
                "civility",
            ),
            (
                RegistrationInput {
                    specialty: "Astrologie".into(),
                    ..registration()
                },
                "specialty",
            ),
            (
                RegistrationInput {
                    insee_code: "3523".into(),
                    ..registration()
                },
                "commune",
            ),
            // A commune typed but not chosen in the list.
            (
                RegistrationInput {
                    insee_code: " ".into(),
                    ..registration()
                },
                "commune",
            ),
            (
                RegistrationInput {
                    postcode: "3500".into(),
                    ..registration()
                },
                "postcode",
            ),
            (
                RegistrationInput {
                    phone: "123".into(),
                    ..registration()
                },
                "phone",
            ),
        ] {
            assert_eq!(fields(input), [field]);
        }
        assert_eq!(
            RegistrationInput::default().validate().unwrap_err().len(),
            10
        );
    }

    #[test]
    fn a_practice_is_checked_like_a_registration() {
        let practice = PracticeInput {
            specialty: "Cardiologie".into(),
            address: " 3 rue des Lilas ".into(),
            postcode: "35000".into(),
            insee_code: "35238".into(),
            commune: "Rennes".into(),
        };
        let checked = practice.validate().unwrap();
        assert_eq!(checked.specialty, Specialty::Cardiology);
        assert_eq!(checked.address, "3 rue des Lilas");
        let typed_only = PracticeInput {
            insee_code: String::new(),
            specialty: "Astrologie".into(),
            ..practice
        };
        let fields: Vec<String> = typed_only
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["specialty", "commune"]);
    }

    #[test]
    fn settings_and_extra_fields() {
        let settings = SettingsInput {
            accepts_new_patients: false,
            booking_notice: "  Apportez la carte Vitale. ".into(),
            extra_fields: vec!["nir".into(), "email".into(), "nir".into()],
        }
        .validate()
        .unwrap();
        assert_eq!(settings.booking_notice, "Apportez la carte Vitale.");
        assert_eq!(
            settings.extra_fields,
            [ExtraField::Email, ExtraField::SocialSecurityNumber]
        );
        let stored = ExtraField::join(&settings.extra_fields);
        assert_eq!(stored, "email,nir");
        assert_eq!(
            ExtraFields::try_from(stored),
            Ok(ExtraFields(settings.extra_fields))
        );
        assert_eq!(
            ExtraFields::try_from(String::new()),
            Ok(ExtraFields::default())
        );
        assert!(ExtraFields::try_from("email,?".to_string()).is_err());
        let bad = SettingsInput {
            extra_fields: vec!["groupe sanguin".into()],
            ..SettingsInput::default()
        };
        assert_eq!(bad.validate().unwrap_err()[0].field, "extra_fields");
    }

    #[test]
    fn reasons() {
        let input = ReasonInput {
            name: "Vaccination".into(),
            duration_minutes: "15".into(),
            open_to_new_patients: true,
            bookable_online: false,
            notice: " Venez à jeun. ".into(),
        };
        assert_eq!(
            input.validate(false).unwrap(),
            ReasonForm {
                name: Some("Vaccination".into()),
                duration_minutes: 15,
                open_to_new_patients: true,
                bookable_online: false,
                notice: "Venez à jeun.".into(),
            }
        );
        let long = ReasonInput {
            notice: "x".repeat(SettingsInput::NOTICE_MAX + 1),
            ..input.clone()
        };
        assert_eq!(long.validate(false).unwrap_err()[0].field, "reason_notice");
        let snp_name = ReasonInput {
            name: "soins non programmés".into(),
            ..input.clone()
        };
        assert_eq!(snp_name.validate(false).unwrap_err()[0].field, "name");
        // The built-in reason keeps its name whatever is sent.
        assert_eq!(snp_name.validate(true).unwrap().name, None);
        for bad in ["0", "4", "241", "quinze", ""] {
            let input = ReasonInput {
                duration_minutes: bad.into(),
                ..input.clone()
            };
            assert_eq!(
                input.validate(false).unwrap_err()[0].field,
                "duration_minutes",
                "{bad}"
            );
        }
        assert!(
            QuestionInput {
                label: " ".into(),
                required: true
            }
            .validate()
            .is_err()
        );
    }
}
