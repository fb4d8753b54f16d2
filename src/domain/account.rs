//! Accounts: the regulator the SAS platform invites, the profession chosen at account creation,
//! the password policy and the sign-in throttling rule.

use super::Role;
use super::field::{FieldError, REQUIRED, too_long};
use super::identity::{Departement, Email, PersonName};
use serde::{Deserialize, Serialize};

/// How long an invitation link stays valid.
pub const INVITATION_DAYS: i64 = 7;
/// How long a password reset link stays valid.
pub const RESET_HOURS: i64 = 1;
/// How long the link confirming a new account's e-mail address stays usable.
pub const CONFIRM_HOURS: i64 = 24;

/// The professions of the account creation form, "Régulateur" last as in the guide.
pub const PROFESSIONS: [&str; 9] = [
    "Médecin",
    "Chirurgien-dentiste",
    "Sage-femme",
    "Infirmier / Infirmière",
    "Masseur-kinésithérapeute",
    "Pharmacien / Pharmacienne",
    "Secrétaire médical(e)",
    "Autre profession",
    REGULATOR_PROFESSION,
];
pub const REGULATOR_PROFESSION: &str = "Régulateur";

/// The guide's warning, shown next to the profession list.
pub const PROFESSION_WARNING: &str = "Vous devez sélectionner la profession « Régulateur » (en bas de la liste), sinon vous n'aurez pas accès à toutes les fonctionnalités.";

/// Only "Régulateur" gives the regulator features; another profession gets an account without them.
pub fn role_for_profession(profession: &str) -> Option<Role> {
    match profession {
        REGULATOR_PROFESSION => Some(Role::Regulator),
        p if PROFESSIONS.contains(&p) => Some(Role::Other),
        _ => None,
    }
}

/// Civilité of a regulator.
pub const CIVILITIES: [&str; 2] = ["Mme", "M."];

/// The regulator form of the SAS platform, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegulatorInput {
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub departement: String,
}

/// A checked regulator to invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegulatorValue {
    pub civility: Option<String>,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Email,
    pub departement: Departement,
}

fn collect<T>(
    errors: Vec<(&str, Result<(), String>)>,
    ok: impl FnOnce() -> T,
) -> Result<T, Vec<FieldError>> {
    let errors: Vec<FieldError> = errors
        .into_iter()
        .filter_map(|(field, r)| {
            r.err().map(|message| FieldError {
                field: field.into(),
                message,
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(ok())
    } else {
        Err(errors)
    }
}

impl RegulatorInput {
    /// Checks every field; `civility` may be empty only when `civility_required` is false (CLI).
    pub fn validate(&self, civility_required: bool) -> Result<NewRegulatorValue, Vec<FieldError>> {
        let civility = self.civility.trim();
        let civility_check = if civility.is_empty() {
            if civility_required {
                Err(REQUIRED.to_string())
            } else {
                Ok(())
            }
        } else if CIVILITIES.contains(&civility) {
            Ok(())
        } else {
            Err("Choisissez « Mme » ou « M. ».".to_string())
        };
        let first_name = PersonName::parse(&self.first_name);
        let last_name = PersonName::parse(&self.last_name);
        let email = Email::parse(&self.email);
        let departement = Departement::parse(&self.departement);
        collect(
            vec![
                ("civility", civility_check),
                ("first_name", first_name.clone().map(drop)),
                ("last_name", last_name.clone().map(drop)),
                ("email", email.clone().map(drop)),
                ("departement", departement.clone().map(drop)),
            ],
            || NewRegulatorValue {
                civility: (!civility.is_empty()).then(|| civility.to_string()),
                first_name: first_name.expect("checked"),
                last_name: last_name.expect("checked"),
                email: email.expect("checked"),
                departement: departement.expect("checked"),
            },
        )
    }
}

/// The account creation form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInput {
    pub profession: String,
    pub email: String,
    pub password: String,
    pub confirmation: String,
}

/// A checked account creation form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountValue {
    pub profession: String,
    pub role: Role,
    pub email: Email,
}

impl AccountInput {
    /// Checks every field; `names` are the person's names, which the password must not contain.
    pub fn validate(&self, names: &[&str]) -> Result<AccountValue, Vec<FieldError>> {
        let role = role_for_profession(&self.profession);
        let email = Email::parse(&self.email);
        let mut context: Vec<&str> = names.to_vec();
        if let Ok(email) = &email {
            context.push(email.as_str().split('@').next().unwrap_or_default());
        }
        collect(
            vec![
                (
                    "profession",
                    role.map(drop)
                        .ok_or_else(|| "Choisissez votre profession dans la liste.".to_string()),
                ),
                ("email", email.clone().map(drop)),
                ("password", check_password(&self.password, &context)),
                (
                    "confirmation",
                    check_confirmation(&self.password, &self.confirmation),
                ),
            ],
            || AccountValue {
                profession: self.profession.clone(),
                role: role.expect("checked"),
                email: email.expect("checked"),
            },
        )
    }
}

pub fn check_confirmation(password: &str, confirmation: &str) -> Result<(), String> {
    if confirmation.is_empty() {
        Err(REQUIRED.into())
    } else if confirmation != password {
        Err("Les deux mots de passe ne sont pas identiques.".into())
    } else {
        Ok(())
    }
}

/// A new password and its confirmation (password reset): both errors at once.
pub fn check_new_password(password: &str, confirmation: &str) -> Result<(), Vec<FieldError>> {
    collect(
        vec![
            ("password", check_password(password, &[])),
            ("confirmation", check_confirmation(password, confirmation)),
        ],
        || (),
    )
}

/// ANSSI's guidance: length rather than composition rules. At least 12 characters of any kind,
/// no common password, nothing built on the person's own names.
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Words that make a password guessable whatever digits or signs surround them.
const COMMON_WORDS: [&str; 40] = [
    "password",
    "motdepasse",
    "azerty",
    "azertyuiop",
    "qwerty",
    "qwertyuiop",
    "abcdef",
    "abcdefgh",
    "abcdefghijkl",
    "soleil",
    "bonjour",
    "bonjours",
    "doudou",
    "loulou",
    "chouchou",
    "marseille",
    "paris",
    "chocolat",
    "iloveyou",
    "jetaime",
    "admin",
    "administrateur",
    "welcome",
    "bienvenue",
    "letmein",
    "secret",
    "sesame",
    "sas",
    "samu",
    "regulateur",
    "regulation",
    "doctolib",
    "medecin",
    "docteur",
    "hopital",
    "sante",
    "princesse",
    "football",
    "portugal",
    "nicolas",
];

/// Keeps letters only, lower case and without accents, to compare with common words.
fn letters(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = c.to_lowercase().next().unwrap_or(c);
            let plain = match c {
                'à' | 'â' | 'ä' => 'a',
                'é' | 'è' | 'ê' | 'ë' => 'e',
                'î' | 'ï' => 'i',
                'ô' | 'ö' => 'o',
                'ù' | 'û' | 'ü' => 'u',
                'ç' => 'c',
                c => c,
            };
            plain.is_alphabetic().then_some(plain)
        })
        .collect()
}

/// Refuses passwords that are short, common or built on `context` (names, e-mail local part).
pub fn check_password(password: &str, context: &[&str]) -> Result<(), String> {
    let chars = password.chars().count();
    if chars == 0 {
        return Err(REQUIRED.into());
    }
    if chars < PASSWORD_MIN_CHARS {
        return Err(format!(
            "{PASSWORD_MIN_CHARS} caractères au minimum ({chars} saisis). Une phrase de passe de plusieurs mots est facile à retenir."
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(too_long(PASSWORD_MAX_CHARS));
    }
    let base = letters(password);
    let distinct: std::collections::HashSet<char> = password.chars().collect();
    if base.len() < 4
        || distinct.len() < 5
        || COMMON_WORDS.contains(&base.as_str())
        || is_sequence(password)
    {
        return Err(
            "Ce mot de passe est trop courant ou trop facile à deviner : choisissez-en un autre."
                .into(),
        );
    }
    let personal = context
        .iter()
        .map(|c| letters(c))
        .any(|c| c.len() >= 3 && base.contains(&c));
    if personal {
        return Err(
            "Le mot de passe ne doit pas contenir votre nom ni votre adresse électronique.".into(),
        );
    }
    Ok(())
}

/// "123456789012", "abcdefghijkl": each character follows the previous one.
fn is_sequence(password: &str) -> bool {
    let codes: Vec<u32> = password.chars().map(u32::from).collect();
    codes.windows(2).all(|w| w[1] == w[0] + 1) || codes.windows(2).all(|w| w[0] == w[1] + 1)
}

/// The strength meter next to the password field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    TooWeak,
    Weak,
    Medium,
    Strong,
}

impl Strength {
    pub fn label(self) -> &'static str {
        match self {
            Strength::TooWeak => "insuffisante",
            Strength::Weak => "faible",
            Strength::Medium => "moyenne",
            Strength::Strong => "forte",
        }
    }

    /// 0 to 3, for the meter.
    pub fn level(self) -> u8 {
        self as u8
    }
}

/// Estimated entropy in bits: length times log2 of the alphabets used (ANSSI's method).
pub fn entropy_bits(password: &str) -> f64 {
    let classes = [
        (password.chars().any(|c| c.is_ascii_lowercase()), 26),
        (password.chars().any(|c| c.is_ascii_uppercase()), 26),
        (password.chars().any(|c| c.is_ascii_digit()), 10),
        (
            password
                .chars()
                .any(|c| c.is_ascii_punctuation() || c == ' '),
            33,
        ),
        (!password.is_ascii(), 40),
    ];
    let alphabet: u32 = classes
        .iter()
        .filter(|(used, _)| *used)
        .map(|(_, n)| n)
        .sum();
    password.chars().count() as f64 * f64::from(alphabet.max(1)).log2()
}

/// Too weak when refused by the policy; then ANSSI's scale: under 80 bits weak, 100 and more strong.
pub fn strength(password: &str, context: &[&str]) -> Strength {
    if check_password(password, context).is_err() {
        return Strength::TooWeak;
    }
    match entropy_bits(password) {
        bits if bits >= 100.0 => Strength::Strong,
        bits if bits >= 80.0 => Strength::Medium,
        _ => Strength::Weak,
    }
}

/// Where a regulator created by the SAS platform stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegulatorState {
    /// Invitation sent, link still valid.
    Invited,
    /// Invitation sent, link expired: to be sent again.
    Expired,
    Revoked,
    /// Account created with the profession "Régulateur".
    Active,
    /// Account created with another profession: no regulator features.
    ActiveOtherProfession,
    Disabled,
}

impl RegulatorState {
    pub fn of(
        revoked: bool,
        account: Option<(Role, bool)>,
        invitation_expires_at: Option<i64>,
        now: i64,
    ) -> Self {
        match account {
            Some((_, true)) => Self::Disabled,
            Some((Role::Regulator, false)) => Self::Active,
            Some(_) => Self::ActiveOtherProfession,
            None if revoked => Self::Revoked,
            None if invitation_expires_at.is_some_and(|at| at > now) => Self::Invited,
            None => Self::Expired,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Invited => "Invité",
            Self::Expired => "Invitation expirée",
            Self::Revoked => "Invitation révoquée",
            Self::Active => "Actif",
            Self::ActiveOtherProfession => "Actif, sans profession « Régulateur »",
            Self::Disabled => "Désactivé",
        }
    }

    /// An invitation can be sent again or revoked until the account exists.
    pub fn pending(self) -> bool {
        matches!(self, Self::Invited | Self::Expired)
    }

    pub fn can_disable(self) -> bool {
        matches!(self, Self::Active | Self::ActiveOtherProfession)
    }
}

/// Sign-in throttling: attempts are counted, before the password is checked, over this
/// window…
pub const THROTTLE_WINDOW_SECONDS: i64 = 15 * 60;
/// …per address typed (by browsers that never signed in to it), or per browser that did
/// (the « device cookie »: an attack from elsewhere does not lock its owner out)…
pub const MAX_ATTEMPTS_PER_ACCOUNT: i64 = 5;
/// …and per client address, sized for a call centre whose regulators share one address: a
/// few hundred sign-ins a quarter of an hour, while a flood of guesses over many accounts stops.
pub const MAX_ATTEMPTS_PER_IP: i64 = 300;

/// Practitioner registrations accepted per client address and per hour.
pub const MAX_REGISTRATIONS_PER_HOUR: i64 = 10;

/// Whether an attempt, counted as the `account`-th for its key and the `ip`-th for its client
/// address, is refused before its password is even checked.
pub fn sign_in_throttled(account: i64, ip: i64) -> bool {
    account > MAX_ATTEMPTS_PER_ACCOUNT || ip > MAX_ATTEMPTS_PER_IP
}

/// How long the `attempt`-th failure of a window waits before its answer: nothing for the
/// first (a typo), then a quarter of a second doubling each time, at most 4 seconds.
pub fn failure_delay_ms(attempt: i64) -> u64 {
    match attempt {
        ..=1 => 0,
        n => 250 << (n - 2).min(4),
    }
}

/// The invitation behind a link, as the account creation page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub departement: String,
}

/// The message of the guide's rule on a practitioner's (Pro) address.
pub const PRO_EMAIL_MESSAGE: &str = "Cette adresse est celle d'un compte Pro de professionnel de santé : créez votre compte régulateur avec une autre adresse électronique (celle de votre compte Patient est acceptée).";

/// The sign-in page's address that brings the visitor back to `here` (a path with its query)
/// once signed in.
pub fn sign_in_path(here: &str) -> String {
    match return_path(here) {
        Some(path) => {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("retour", path)
                .finish();
            format!("/connexion?{query}")
        }
        None => "/connexion".to_string(),
    }
}

/// Where a visitor may be sent back after signing in: a path of this site only (`/…`, never
/// `//host` or `/\host`, no control character, not the sign-in page itself); `None` otherwise.
pub fn return_path(raw: &str) -> Option<&str> {
    let same_site = raw.starts_with('/')
        && !raw.starts_with("//")
        && raw.len() <= 2_000
        && !raw.chars().any(|c| c.is_control() || c == '\\');
    let sign_in = raw == "/connexion" || raw.starts_with("/connexion?");
    (same_site && !sign_in).then_some(raw)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_paths_of_this_site_are_returned_to() {
        use super::{return_path, sign_in_path};
        let prefilled = "/recherche?inseecode=35238&city=Rennes&speciality=SM54&origin=crra";
        assert_eq!(return_path(prefilled), Some(prefilled));
        assert_eq!(return_path("/adressages/12"), Some("/adressages/12"));
        for foreign in [
            "https://evil.example/",
            "//evil.example/recherche",
            "/\\evil.example",
            "/\tevil",
            "recherche",
            "",
            "javascript:alert(1)",
            "/connexion?retour=/recherche",
        ] {
            assert_eq!(return_path(foreign), None, "{foreign:?}");
        }
        assert_eq!(
            sign_in_path(prefilled),
            "/connexion?retour=%2Frecherche%3Finseecode%3D35238%26city%3DRennes%26speciality%3DSM54%26origin%3Dcrra"
        );
        assert_eq!(sign_in_path("//evil.example"), "/connexion");
    }

    use super::*;

    #[test]
    fn regulator_is_last_and_the_only_profession_with_the_regulator_role() {
        assert_eq!(PROFESSIONS.last(), Some(&REGULATOR_PROFESSION));
        for (profession, role) in [
            ("Régulateur", Some(Role::Regulator)),
            ("Médecin", Some(Role::Other)),
            ("Autre profession", Some(Role::Other)),
            ("Pilote", None),
            ("", None),
        ] {
            assert_eq!(role_for_profession(profession), role, "{profession}");
        }
    }

    #[test]
    fn password_policy() {
        let names = ["Claire", "Morel", "claire.morel"];
        for (password, ok) in [
            ("", false),
            ("Court-1!", false),
            ("onzecaract", false),
            ("motdepasse123", false),
            ("MotDePasse2024!", false),
            ("Azertyuiop123", false),
            ("123456789012", false),
            ("abcdefghijkl", false),
            ("aaaaaaaaaaaaaaaa", false),
            ("Claire-Morel-1975", false),
            ("cheval batterie agrafe", true),
            ("Demo-SAS-2026", true),
            ("un chat dans la régulation", true),
            (&"x".repeat(129), false),
        ] {
            assert_eq!(check_password(password, &names).is_ok(), ok, "{password}");
        }
    }

    #[test]
    fn strength_grows_with_length_not_composition() {
        assert_eq!(strength("motdepasse123", &[]), Strength::TooWeak);
        assert_eq!(strength("tulipe-rouge", &[]), Strength::Weak);
        assert_eq!(strength("Tulipe-rouge-7", &[]), Strength::Medium);
        assert_eq!(
            strength("cheval batterie agrafe correcte", &[]),
            Strength::Strong
        );
        assert!(Strength::Strong.level() > Strength::Weak.level());
    }

    #[test]
    fn account_form_reports_each_field() {
        let input = AccountInput {
            profession: "Pilote".into(),
            email: "pas-une-adresse".into(),
            password: "court".into(),
            confirmation: "autre".into(),
        };
        let errors = input.validate(&[]).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["profession", "email", "password", "confirmation"]);
        let good = AccountInput {
            profession: "Médecin".into(),
            email: " Claire@SAS.fr ".into(),
            password: "cheval batterie agrafe".into(),
            confirmation: "cheval batterie agrafe".into(),
        };
        let value = good.validate(&["Claire"]).unwrap();
        assert_eq!(value.role, Role::Other);
        assert_eq!(value.email.as_str(), "claire@sas.fr");
    }

    #[test]
    fn regulator_form() {
        let input = RegulatorInput {
            civility: String::new(),
            first_name: "Claire".into(),
            last_name: "Morel".into(),
            email: "claire@sas.fr".into(),
            departement: "75".into(),
        };
        assert!(input.validate(false).unwrap().civility.is_none());
        assert_eq!(input.validate(true).unwrap_err()[0].field, "civility");
        let bad = RegulatorInput {
            civility: "Dr".into(),
            departement: "20".into(),
            ..input
        };
        let fields: Vec<_> = bad
            .validate(true)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["civility", "departement"]);
    }

    #[test]
    fn regulator_states() {
        use RegulatorState::*;
        for (revoked, account, expires, state) in [
            (false, None, Some(200), Invited),
            (false, None, Some(100), Expired),
            (false, None, None, Expired),
            (true, None, None, Revoked),
            (false, Some((Role::Regulator, false)), None, Active),
            (
                false,
                Some((Role::Other, false)),
                None,
                ActiveOtherProfession,
            ),
            (false, Some((Role::Regulator, true)), None, Disabled),
        ] {
            assert_eq!(RegulatorState::of(revoked, account, expires, 100), state);
        }
        assert!(
            Expired.pending()
                && !Active.pending()
                && Active.can_disable()
                && !Disabled.can_disable()
        );
    }

    #[test]
    fn throttling() {
        for (account, ip, refused) in [(1, 1, false), (5, 300, false), (6, 1, true), (1, 301, true)]
        {
            assert_eq!(sign_in_throttled(account, ip), refused, "{account} {ip}");
        }
        let delays: Vec<u64> = (0..8).map(failure_delay_ms).collect();
        assert_eq!(delays, [0, 0, 250, 500, 1000, 2000, 4000, 4000]);
    }
}
