//! Generated inputs (proptest) against every parser and form check of the domain, the
//! eligibility rule and slot generation: no input makes them panic, and the rules keep their
//! invariants. The test command runs 256 cases a property; the long pass, documented in the
//! README, runs 72,000 a property (14 properties: 1,008,000 inputs, about 6 minutes):
//! `PROPTEST_CASES=72000 cargo test --features ssr domain::properties`.

use super::account::{AccountInput, RegulatorInput, check_new_password};
use super::admin::mask_tokens;
use super::agenda::{AbsenceInput, RangeInput, RangeTimes, Recurrence, parse_date, parse_time};
use super::booking::{Answer, ChoicesInput, Offer, OfferedReason, Question};
use super::eligibility::{ReasonFlags, SlotFacts, SlotState, range_visibility, sas_visibility};
use super::identity::{self, BirthDate, Departement, Email, Nir, PersonName, Phone, PhoneFr, Rpps};
use super::ids::{QuestionId, ReasonId};
use super::patient::PatientInput;
use super::place::{self, normalise};
use super::practitioner::{ExtraField, QuestionInput, ReasonInput, RegistrationInput};
use super::search::SearchParams;
use chrono::{Duration, NaiveDate, NaiveTime, Weekday};
use proptest::prelude::*;
use serde::de::DeserializeOwned;

/// Text as users and attackers type it: any Unicode, plausible characters, digits.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9A-Za-zéÉèçàÀœ' ’.,:/@+()-]{0,24}",
        "[0-9 ]{0,18}",
        "[0-9]{1,2}[/-][0-9]{1,2}[/-][0-9]{2,4}",
        "[0-9]{1,2}:[0-9]{1,2}",
    ]
}

fn texts(n: usize) -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(text(), n)
}

/// A form built from its field names and generated values, as the browser sends it.
fn form<T: DeserializeOwned>(fields: &[&str], values: &[String]) -> T {
    let map: serde_json::Map<String, serde_json::Value> = fields
        .iter()
        .zip(values)
        .map(|(f, v)| (f.to_string(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::from_value(serde_json::Value::Object(map)).expect("every field is a string")
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).expect("date")
}

proptest! {
    // A failure is shown with its smallest input; it becomes a named test where it is fixed
    // (no regression file outside `src/`).
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn identity_parsers_never_panic(s in text()) {
        let _ = PersonName::parse(&s);
        let _ = BirthDate::parse(&s, today());
        let _ = PhoneFr::parse(&s);
        let _ = Phone::parse(&s);
        let _ = Rpps::parse(&s);
        let _ = Nir::parse(&s);
        let _ = Departement::parse(&s);
        let _ = identity::InseeCode::parse(&s);
        let _ = place::InseeCode::parse(&s);
        if let Ok(email) = Email::parse(&s) {
            prop_assert!(!email.as_str().chars().any(char::is_whitespace));
            prop_assert_eq!(email.as_str(), email.as_str().to_lowercase());
        }
    }

    #[test]
    fn a_commune_code_accepted_is_five_characters(s in text()) {
        if let Ok(code) = place::InseeCode::parse(&s) {
            prop_assert_eq!(code.as_str().chars().count(), 5);
            prop_assert!(code.as_str().is_ascii());
        }
    }

    #[test]
    fn dates_and_times_never_panic(s in text()) {
        if let Ok(date) = parse_date(&s) {
            prop_assert_eq!(parse_date(&date.format("%d/%m/%Y").to_string()), Ok(date));
        }
        let _ = parse_time(&s);
    }

    #[test]
    fn name_folding_is_stable(s in text()) {
        let folded = normalise(&s);
        prop_assert_eq!(normalise(&folded), folded.clone());
        prop_assert!(!folded.contains("  ") && !folded.starts_with(' '));
    }

    #[test]
    fn outbox_tokens_are_masked(prefix in text(), token in "[A-Za-z0-9_-]{5,43}") {
        let body = format!("{prefix} https://sas.example/lien?jeton={token} merci");
        let masked = mask_tokens(&body);
        prop_assert!(!masked.contains(&token));
    }

    #[test]
    fn range_forms_never_panic(v in texts(9), days in texts(3), reasons in texts(2)) {
        let mut range: RangeInput = form(
            &["kind", "date", "valid_from", "valid_until", "start", "end", "slot_minutes", "mode"],
            &v,
        );
        range.days = days;
        range.reason_ids = reasons;
        let _ = range.validate(today());
        range.kind = "weekly".into();
        let _ = range.validate(today());
        range.kind = "once".into();
        let _ = range.validate(today());
    }

    #[test]
    fn absence_forms_never_panic(v in texts(5)) {
        let absence: AbsenceInput =
            form(&["start_date", "start_time", "end_date", "end_time", "label"], &v);
        if let Ok(checked) = absence.validate() {
            prop_assert!(checked.start < checked.end);
        }
    }

    #[test]
    fn searches_never_panic(v in texts(13)) {
        let keys = [
            "inseecode", "city", "departement", "rayon", "perimetre", "speciality", "fenetre",
            "sous", "mode", "tous", "page", "ordre", "origin",
        ];
        let params = SearchParams::from_pairs(keys.iter().copied().zip(v.iter().map(String::as_str)));
        let _ = params.parse();
    }

    #[test]
    fn patient_forms_never_panic(v in texts(13)) {
        let patient: PatientInput = form(
            &[
                "civility", "first_name", "last_name", "birth_name", "birth_date", "birth_place",
                "birth_insee", "birth_city", "birth_country", "phone", "email", "address", "nir",
            ],
            &v,
        );
        let _ = patient.validate(today(), &ExtraField::ALL);
        let _ = patient.validate(today(), &[]);
    }

    #[test]
    fn booking_choices_never_panic(v in texts(4), answer in text(), question in any::<i64>()) {
        let mut choices: ChoicesInput = form(&["mode", "known_patient", "reason_id", "message"], &v);
        choices.answers = vec![Answer { question_id: QuestionId(question), text: answer }];
        let offer = Offer {
            mode: super::agenda::Mode::Cabinet,
            reasons: vec![OfferedReason { id: ReasonId(7), name: "Soins non programmés".into(), is_snp: true, duration_minutes: 20, notice: String::new() }],
            questions: vec![Question { id: QuestionId(3), label: "Allergies ?".into(), required: true }],
        };
        let _ = choices.validate(&offer);
    }

    #[test]
    fn account_forms_never_panic(v in texts(5), w in texts(4)) {
        let regulator: RegulatorInput =
            form(&["civility", "first_name", "last_name", "email", "departement"], &v);
        let _ = regulator.validate(true);
        let _ = regulator.validate(false);
        let account: AccountInput = form(&["profession", "email", "password", "confirmation"], &w);
        let _ = account.validate(&["Claire", "Morel"]);
        let _ = check_new_password(&w[2], &w[3]);
    }

    #[test]
    fn practitioner_forms_never_panic(v in texts(12), name in text(), minutes in text(), label in text(), flags in any::<(bool, bool, bool)>()) {
        let registration: RegistrationInput = form(
            &[
                "email", "password", "civility", "first_name", "last_name", "rpps", "specialty",
                "address", "postcode", "insee_code", "phone",
            ],
            &v,
        );
        let _ = registration.validate();
        let reason = ReasonInput {
            name,
            duration_minutes: minutes,
            open_to_new_patients: flags.0,
            bookable_online: flags.1,
            notice: v[11].clone(),
        };
        let _ = reason.validate(flags.2);
        let _ = QuestionInput { label, required: flags.0 }.validate();
    }

    /// The guide's rule: shown only when registered, free, ahead, and either SNP on the range
    /// or new patients accepted with a reason open to them and bookable online.
    #[test]
    fn the_eligibility_rule_holds(
        registered in any::<bool>(),
        accepts_new in any::<bool>(),
        reasons in proptest::collection::vec(any::<(bool, bool, bool)>(), 0..4),
        state in prop_oneof![Just(SlotState::Free), Just(SlotState::Booked), Just(SlotState::Held)],
        ahead in any::<bool>(),
    ) {
        let reasons: Vec<ReasonFlags> = reasons
            .into_iter()
            .map(|(is_snp, open_to_new_patients, bookable_online)| ReasonFlags {
                is_snp,
                open_to_new_patients,
                bookable_online,
            })
            .collect();
        let facts = SlotFacts {
            sas_registered: registered,
            accepts_new_patients: accepts_new,
            reasons: &reasons,
            state,
            starts_in_future: ahead,
        };
        let snp = reasons.iter().any(|r| r.is_snp);
        let new_patients =
            accepts_new && reasons.iter().any(|r| r.open_to_new_patients && r.bookable_online);
        let shown = registered && state == SlotState::Free && ahead && (snp || new_patients);
        let verdict = sas_visibility(&facts);
        prop_assert_eq!(verdict.is_some(), shown);
        if let Some(why) = verdict {
            prop_assert_eq!((why.snp, why.new_patients), (snp, new_patients));
            prop_assert_eq!(range_visibility(registered, accepts_new, &reasons), Some(why));
        }
    }

    /// Slots of any weekly range, over any fortnight (DST changes included): in order, each
    /// ending after it starts, none overlapping, on the range's weekday, no more than fit.
    #[test]
    fn generated_slots_are_ordered_and_disjoint(
        weekday in 0u8..7,
        start in 0u32..(24 * 60 - 5),
        length in 5u32..(12 * 60),
        slot_minutes in 5u32..240,
        first in 0i64..(366 * 10),
        days in 0i64..14,
    ) {
        let start_time = NaiveTime::from_num_seconds_from_midnight_opt(start * 60, 0).unwrap();
        let end_minute = (start + length).min(24 * 60 - 1);
        let end_time = NaiveTime::from_num_seconds_from_midnight_opt(end_minute * 60, 0).unwrap();
        let weekday = Weekday::try_from(weekday).unwrap();
        let from = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + Duration::days(first);
        let range = RangeTimes {
            recurrence: Recurrence::Weekly { weekday, valid_from: from, valid_until: None },
            start: start_time,
            end: end_time,
            slot_minutes,
        };
        let slots = range.slots(from, from + Duration::days(days));
        let per_day = i64::from((end_minute - start) / slot_minutes);
        prop_assert!(slots.len() as i64 <= per_day * (days / 7 + 1));
        for (a, b) in slots.iter().zip(slots.iter().skip(1)) {
            prop_assert!(a.1 <= b.0, "{a:?} then {b:?}");
        }
        for (s, e) in &slots {
            prop_assert_eq!(*e - *s, Duration::minutes(i64::from(slot_minutes)));
            let local = s.with_timezone(&chrono_tz::Europe::Paris);
            prop_assert_eq!(chrono::Datelike::weekday(&local), weekday);
        }
    }
}
