//! Identity values parsed from user input: once built, they are valid.
//! Error messages are French because they are shown as typed by the user.

use super::field::{REQUIRED, too_long};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A first name, last name or birth name (INS traits): letters, spaces, hyphens, apostrophes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(input: &str) -> Result<Self, String> {
        let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err(REQUIRED.into());
        }
        if name.chars().count() > Self::MAX_LEN {
            return Err(too_long(Self::MAX_LEN));
        }
        let allowed = |c: char| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’');
        if !name.chars().all(allowed) || !name.chars().any(char::is_alphabetic) {
            return Err(
                "Utilisez uniquement des lettres, des espaces, des tirets ou des apostrophes."
                    .into(),
            );
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A birth date: not in the future, not more than 130 years ago.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BirthDate(NaiveDate);

impl BirthDate {
    pub const MAX_AGE_YEARS: i32 = 130;

    /// Accepts `JJ/MM/AAAA` (as typed) and `AAAA-MM-JJ` (as sent by a date input).
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, String> {
        let input = input.trim();
        if input.is_empty() {
            return Err(REQUIRED.into());
        }
        let date = NaiveDate::parse_from_str(input, "%d/%m/%Y")
            .or_else(|_| NaiveDate::parse_from_str(input, "%Y-%m-%d"))
            .map_err(|_| {
                "Date invalide : utilisez le format JJ/MM/AAAA, par exemple 21/11/1952.".to_string()
            })?;
        if date > today {
            return Err("La date de naissance ne peut pas être dans le futur.".into());
        }
        let oldest = today
            .checked_sub_months(chrono::Months::new(12 * Self::MAX_AGE_YEARS as u32))
            .unwrap_or(NaiveDate::MIN);
        if date < oldest {
            return Err(format!(
                "La date de naissance ne peut pas remonter à plus de {} ans.",
                Self::MAX_AGE_YEARS
            ));
        }
        Ok(Self(date))
    }

    pub fn date(&self) -> NaiveDate {
        self.0
    }

    /// `JJ/MM/AAAA`, as French users read it.
    pub fn display_fr(&self) -> String {
        self.0.format("%d/%m/%Y").to_string()
    }
}

/// A phone number reachable from France, stored in E.164 (`+33612345678`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneFr(String);

impl PhoneFr {
    pub fn parse(input: &str) -> Result<Self, String> {
        let compact: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        if compact.is_empty() {
            return Err(REQUIRED.into());
        }
        let national = if let Some(rest) = compact.strip_prefix("+33") {
            rest.strip_prefix('0').unwrap_or(rest).to_string()
        } else if let Some(rest) = compact.strip_prefix("0033") {
            rest.to_string()
        } else if let Some(rest) = compact.strip_prefix('0') {
            rest.to_string()
        } else {
            String::new()
        };
        let valid = national.len() == 9
            && national.chars().all(|c| c.is_ascii_digit())
            && national.starts_with(|c: char| ('1'..='9').contains(&c));
        if !valid {
            return Err(
                "Numéro de téléphone invalide : saisissez 10 chiffres, par exemple 06 45 37 26 53."
                    .into(),
            );
        }
        Ok(Self(format!("+33{national}")))
    }

    /// Rebuilds a number read back from storage (already E.164).
    pub fn from_e164(stored: &str) -> Result<Self, String> {
        Self::parse(stored)
    }

    pub fn e164(&self) -> &str {
        &self.0
    }

    /// `06 45 37 26 53`
    pub fn display_fr(&self) -> String {
        let digits = format!("0{}", &self.0[3..]);
        digits
            .as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8_lossy(pair).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The 11-digit national practitioner identifier, with its Luhn check digit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rpps(String);

impl Rpps {
    pub fn parse(input: &str) -> Result<Self, String> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.is_empty() {
            return Err(REQUIRED.into());
        }
        if digits.len() != 11 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err("Le numéro RPPS comporte 11 chiffres.".into());
        }
        if !luhn_valid(&digits) {
            return Err("Ce numéro RPPS n'est pas valide (clé de contrôle incorrecte).".into());
        }
        Ok(Self(digits))
    }

    /// Completes 10 digits with their Luhn check digit (used to build demo data).
    pub fn with_check_digit(first_ten: &str) -> Option<Self> {
        (0..10)
            .map(|d| format!("{first_ten}{d}"))
            .find_map(|candidate| Self::parse(&candidate).ok())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| match (i % 2 == 1, d * 2) {
            (true, doubled) if doubled > 9 => doubled - 9,
            (true, doubled) => doubled,
            (false, _) => d,
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A patient's phone number, French or international, checked against libphonenumber's
/// metadata and stored in E.164. Numbers without a country code are read as French.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Self, String> {
        use phonenumber::{Mode, country::Id};
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(REQUIRED.into());
        }
        // "00" is the international prefix dialled from France.
        let normalised = match trimmed.strip_prefix("00") {
            Some(rest) => format!("+{rest}"),
            None => trimmed.to_string(),
        };
        match phonenumber::parse(Some(Id::FR), &normalised) {
            Ok(number) if number.is_valid() => {
                Ok(Self(number.format().mode(Mode::E164).to_string()))
            }
            _ => Err(
                "Numéro de téléphone invalide : saisissez un numéro français (06 45 37 26 53) \
                 ou international avec son indicatif (+32 470 12 34 56)."
                    .into(),
            ),
        }
    }

    pub fn e164(&self) -> &str {
        &self.0
    }

    /// `06 45 37 26 53` for a French number, the international format otherwise.
    pub fn display(&self) -> String {
        match PhoneFr::parse(&self.0) {
            Ok(french) => french.display_fr(),
            Err(_) => phonenumber::parse(None, &self.0)
                .map(|n| {
                    n.format()
                        .mode(phonenumber::Mode::International)
                        .to_string()
                })
                .unwrap_or_else(|_| self.0.clone()),
        }
    }
}

/// A French social security number (NIR): 13 characters and a 2-digit key, 97 − (number mod 97);
/// Corsica's 2A / 2B count as 19 / 18 in the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nir(String);

impl Nir {
    pub fn parse(input: &str) -> Result<Self, String> {
        let nir: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if nir.is_empty() {
            return Err(REQUIRED.into());
        }
        let invalid =
            || "Numéro de sécurité sociale invalide : 15 caractères, clé comprise.".to_string();
        if nir.len() != 15 || !nir.is_ascii() || !matches!(&nir[..1], "1" | "2") {
            return Err(invalid());
        }
        let body = match &nir[5..7] {
            "2A" => format!("{}19{}", &nir[..5], &nir[7..13]),
            "2B" => format!("{}18{}", &nir[..5], &nir[7..13]),
            _ => nir[..13].to_string(),
        };
        let (Ok(number), Ok(key)) = (body.parse::<u64>(), nir[13..].parse::<u64>()) else {
            return Err(invalid());
        };
        if 97 - number % 97 != key {
            return Err("Numéro de sécurité sociale invalide : la clé ne correspond pas.".into());
        }
        Ok(Self(nir))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, lower-cased; a light check, the real proof is the link sent to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, String> {
        let email = input.trim().to_lowercase();
        if email.is_empty() {
            return Err(REQUIRED.into());
        }
        let valid = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
                    && !domain.ends_with('.') && !domain.contains('@'));
        if !valid {
            return Err("Adresse électronique invalide, par exemple : nom@exemple.fr".into());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A département code: 01–95 (2A / 2B for Corsica) or an overseas 971–976.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Departement(String);

impl Departement {
    pub fn parse(input: &str) -> Result<Self, String> {
        let code = input.trim().to_uppercase();
        let valid = match code.as_str() {
            "2A" | "2B" => true,
            c if c.len() == 2 => c
                .parse::<u8>()
                .is_ok_and(|n| (1..=95).contains(&n) && n != 20),
            c if c.len() == 3 => c.parse::<u16>().is_ok_and(|n| (971..=976).contains(&n)),
            _ => false,
        };
        if valid {
            Ok(Self(code))
        } else {
            Err(format!("Département inconnu : « {} ».", input.trim()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A commune's INSEE code: 5 characters, the département first (`2A`/`2B` in Corsica,
/// `971`–`976` overseas), e.g. `75104` for Paris 4e.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InseeCode(String);

impl InseeCode {
    pub fn parse(input: &str) -> Result<Self, String> {
        let code = input.trim().to_uppercase();
        if code.is_empty() {
            return Err(REQUIRED.into());
        }
        let valid = code.len() == 5
            && code.is_ascii()
            && code[2..].chars().all(|c| c.is_ascii_digit())
            && Departement::parse(Self::departement_part(&code)).is_ok();
        if valid {
            Ok(Self(code))
        } else {
            Err("Code INSEE invalide : 5 caractères, par exemple 75104 ou 2A004.".into())
        }
    }

    fn departement_part(code: &str) -> &str {
        if code.starts_with("97") {
            &code[..3]
        } else {
            &code[..2]
        }
    }

    pub fn departement(&self) -> Departement {
        Departement::parse(Self::departement_part(&self.0)).expect("checked by parse")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    #[test]
    fn names() {
        for (input, expected) in [
            ("  Marie  ", Ok("Marie")),
            ("Jean-Pierre", Ok("Jean-Pierre")),
            (
                "D'Artagnan  de   Castelmore",
                Ok("D'Artagnan de Castelmore"),
            ),
            ("Éloïse", Ok("Éloïse")),
            ("", Err(REQUIRED)),
            ("   ", Err(REQUIRED)),
            (
                "R2D2",
                Err("Utilisez uniquement des lettres, des espaces, des tirets ou des apostrophes."),
            ),
            (
                "--",
                Err("Utilisez uniquement des lettres, des espaces, des tirets ou des apostrophes."),
            ),
        ] {
            let got = PersonName::parse(input);
            assert_eq!(
                got.as_ref().map(PersonName::as_str).map_err(String::as_str),
                expected,
                "{input:?}"
            );
        }
        assert!(PersonName::parse(&"a".repeat(101)).is_err());
    }

    #[test]
    fn birth_dates() {
        let ok = |s: &str| BirthDate::parse(s, today()).map(|d| d.display_fr());
        assert_eq!(ok("21/11/1952"), Ok("21/11/1952".into()));
        assert_eq!(ok("1952-11-21"), Ok("21/11/1952".into()));
        assert_eq!(ok("26/11/2026"), Ok("26/11/2026".into()));
        assert!(ok("27/11/2026").unwrap_err().contains("futur"));
        assert!(ok("01/01/1890").unwrap_err().contains("130 ans"));
        // Exactly 130 years is accepted; a day more is not (today is 26/11/2026).
        assert_eq!(ok("26/11/1896"), Ok("26/11/1896".into()));
        assert!(ok("25/11/1896").unwrap_err().contains("130 ans"));
        assert!(ok("31/02/2000").unwrap_err().contains("JJ/MM/AAAA"));
        assert!(ok("hier").unwrap_err().contains("JJ/MM/AAAA"));
        assert_eq!(ok(""), Err(REQUIRED.into()));
    }

    #[test]
    fn phones() {
        for (input, expected) in [
            ("06 45 37 26 53", Some("+33645372653")),
            ("06.45.37.26.53", Some("+33645372653")),
            ("+33 6 45 37 26 53", Some("+33645372653")),
            ("+33 (0)6 45 37 26 53", Some("+33645372653")),
            ("0033145372653", Some("+33145372653")),
            ("0645372653", Some("+33645372653")),
            ("06453726", None),
            ("00 45 37 26 53", None),
            ("06 45 37 26 5a", None),
        ] {
            assert_eq!(
                PhoneFr::parse(input).ok().as_ref().map(PhoneFr::e164),
                expected,
                "{input:?}"
            );
        }
        assert_eq!(
            PhoneFr::parse("+33645372653").unwrap().display_fr(),
            "06 45 37 26 53"
        );
    }

    #[test]
    fn patient_phones_french_or_international() {
        for (input, expected) in [
            ("06 45 37 26 53", Some("+33645372653")),
            ("+33 6 45 37 26 53", Some("+33645372653")),
            ("0033 1 45 37 26 53", Some("+33145372653")),
            ("+32 470 12 34 56", Some("+32470123456")),
            ("+44 20 7946 0958", Some("+442079460958")),
            ("06453726", None),
            ("+32 12", None),
            ("bonjour", None),
        ] {
            assert_eq!(
                Phone::parse(input).ok().as_ref().map(Phone::e164),
                expected,
                "{input:?}"
            );
        }
        assert_eq!(Phone::parse("").unwrap_err(), REQUIRED);
        assert_eq!(
            Phone::parse("+33645372653").unwrap().display(),
            "06 45 37 26 53"
        );
        assert_eq!(
            Phone::parse("+32470123456").unwrap().display(),
            "+32 470 12 34 56"
        );
    }

    #[test]
    fn social_security_numbers() {
        // 1 85 05 78 006 084 → key 97 − (1850578006084 mod 97).
        let body = 1_850_578_006_084_u64;
        let nir = format!("{body}{:02}", 97 - body % 97);
        assert!(Nir::parse(&nir).is_ok());
        let spaced = format!("{} {}", &nir[..7], &nir[7..]);
        assert_eq!(Nir::parse(&spaced).unwrap().as_str(), nir);
        let wrong_key = format!("{body}{:02}", (97 - body % 97 + 1) % 97);
        assert!(Nir::parse(&wrong_key).unwrap_err().contains("clé"));
        // Corsica: 2A counts as 19 in the key.
        let corsica_key = 97 - 2_850_519_006_084_u64 % 97;
        assert!(Nir::parse(&format!("285052A006084{corsica_key:02}")).is_ok());
        for bad in ["123", "385057800608412", "1850578006084AB"] {
            assert!(Nir::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rpps_luhn() {
        let rpps = Rpps::with_check_digit("1000000000").unwrap();
        assert_eq!(rpps.as_str().len(), 11);
        assert!(Rpps::parse(rpps.as_str()).is_ok());
        let last = rpps.as_str().chars().last().unwrap().to_digit(10).unwrap();
        let wrong = format!("{}{}", &rpps.as_str()[..10], (last + 1) % 10);
        assert!(Rpps::parse(&wrong).unwrap_err().contains("clé de contrôle"));
        assert!(Rpps::parse("123").unwrap_err().contains("11 chiffres"));
        // Worked by hand: 9 + 1 = 10.
        assert_eq!(rpps.as_str(), "10000000009");
    }

    #[test]
    fn emails_and_departements() {
        assert_eq!(
            Email::parse(" Regulateur@Demo.TEST ").unwrap().as_str(),
            "regulateur@demo.test"
        );
        for bad in ["", "a@b", "@b.fr", "a b@c.fr", "a@.fr", "a@b.fr."] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        for good in ["75", "69", "35", "2A", "2b", "01", "974"] {
            assert!(Departement::parse(good).is_ok(), "{good}");
        }
        for bad in ["20", "00", "96", "977", "7", "Paris"] {
            assert!(Departement::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn insee_codes() {
        for (code, departement) in [
            ("75104", "75"),
            ("2a004", "2A"),
            ("97411", "974"),
            ("35238", "35"),
        ] {
            let insee = InseeCode::parse(code).unwrap();
            assert_eq!(insee.departement().as_str(), departement, "{code}");
        }
        for bad in ["aé12", "7510", "751044", "20004", "97711", "7510A", "ABCDE"] {
            assert!(InseeCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(InseeCode::parse(" "), Err(REQUIRED.into()));
    }
}
