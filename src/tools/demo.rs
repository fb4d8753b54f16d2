//! Demo data: practitioners in Paris (75), Rhône (69) and Ille-et-Vilaine (35) whose agendas
//! cover every case of the eligibility rule, plus the demo accounts. Idempotent.

use crate::domain::Role;
use crate::domain::agenda::{Mode, RangeTimes, Recurrence, paris_today};
use crate::domain::booking::{Choices, OfferedReason};
use crate::domain::eligibility::ReasonFlags;
use crate::domain::identity::{PhoneFr, Rpps};
use crate::domain::ids::{PractitionerId, ReasonId, UserId};
use crate::domain::participation::SasStatus;
use crate::domain::patient::PatientInput;
use crate::server::auth::hash_password;
use crate::server::store::{
    NewBooking, NewPractitioner, NewRange, NewReason, NewRegulator, NewUser, Store, StoreError,
};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc, Weekday};

pub const DEMO_PASSWORD: &str = "Demo-SAS-2026";
pub const ADMIN_EMAIL: &str = "admin.sas@demo.test";
pub const REGULATOR_EMAIL: &str = "regulateur@demo.test";
/// The demo regulator's SAS.
pub const REGULATOR_DEPARTEMENT: &str = "75";
/// Days of agenda kept ahead of today.
pub const HORIZON_DAYS: i64 = 14;

struct Commune {
    insee: &'static str,
    postcode: &'static str,
    city: &'static str,
    departement: &'static str,
    lat: f64,
    lon: f64,
    streets: [&'static str; 2],
    phone_prefix: &'static str,
}

const COMMUNES: [Commune; 18] = [
    Commune {
        insee: "75104",
        postcode: "75004",
        city: "Paris 4e",
        departement: "75",
        lat: 48.8543,
        lon: 2.3576,
        streets: ["rue de Rivoli", "rue Saint-Antoine"],
        phone_prefix: "01 42",
    },
    Commune {
        insee: "75111",
        postcode: "75011",
        city: "Paris 11e",
        departement: "75",
        lat: 48.8590,
        lon: 2.3797,
        streets: ["boulevard Voltaire", "rue de la Roquette"],
        phone_prefix: "01 43",
    },
    Commune {
        insee: "75112",
        postcode: "75012",
        city: "Paris 12e",
        departement: "75",
        lat: 48.8396,
        lon: 2.3958,
        streets: ["avenue Daumesnil", "rue de Charenton"],
        phone_prefix: "01 43",
    },
    Commune {
        insee: "75115",
        postcode: "75015",
        city: "Paris 15e",
        departement: "75",
        lat: 48.8401,
        lon: 2.2928,
        streets: ["rue de Vaugirard", "rue de la Convention"],
        phone_prefix: "01 45",
    },
    Commune {
        insee: "75118",
        postcode: "75018",
        city: "Paris 18e",
        departement: "75",
        lat: 48.8925,
        lon: 2.3484,
        streets: ["rue Ordener", "rue Marcadet"],
        phone_prefix: "01 46",
    },
    Commune {
        insee: "75120",
        postcode: "75020",
        city: "Paris 20e",
        departement: "75",
        lat: 48.8634,
        lon: 2.4011,
        streets: ["rue des Pyrénées", "avenue Gambetta"],
        phone_prefix: "01 43",
    },
    Commune {
        insee: "69383",
        postcode: "69003",
        city: "Lyon 3e",
        departement: "69",
        lat: 45.7597,
        lon: 4.8510,
        streets: ["cours Gambetta", "rue Paul Bert"],
        phone_prefix: "04 78",
    },
    Commune {
        insee: "69387",
        postcode: "69007",
        city: "Lyon 7e",
        departement: "69",
        lat: 45.7452,
        lon: 4.8416,
        streets: ["avenue Jean Jaurès", "rue de Marseille"],
        phone_prefix: "04 78",
    },
    Commune {
        insee: "69266",
        postcode: "69100",
        city: "Villeurbanne",
        departement: "69",
        lat: 45.7719,
        lon: 4.8902,
        streets: ["cours Émile Zola", "rue Francis de Pressensé"],
        phone_prefix: "04 72",
    },
    Commune {
        insee: "69259",
        postcode: "69200",
        city: "Vénissieux",
        departement: "69",
        lat: 45.6975,
        lon: 4.8867,
        streets: ["avenue Jean Cagne", "boulevard Ambroise Croizat"],
        phone_prefix: "04 78",
    },
    Commune {
        insee: "69034",
        postcode: "69300",
        city: "Caluire-et-Cuire",
        departement: "69",
        lat: 45.7953,
        lon: 4.8466,
        streets: ["montée des Soldats", "avenue de la Libération"],
        phone_prefix: "04 78",
    },
    Commune {
        insee: "69264",
        postcode: "69400",
        city: "Villefranche-sur-Saône",
        departement: "69",
        lat: 45.9894,
        lon: 4.7187,
        streets: ["rue Nationale", "boulevard Gambetta"],
        phone_prefix: "04 74",
    },
    Commune {
        insee: "35238",
        postcode: "35000",
        city: "Rennes",
        departement: "35",
        lat: 48.1113,
        lon: -1.6800,
        streets: ["boulevard de la Liberté", "rue de Saint-Malo"],
        phone_prefix: "02 99",
    },
    Commune {
        insee: "35288",
        postcode: "35400",
        city: "Saint-Malo",
        departement: "35",
        lat: 48.6493,
        lon: -2.0257,
        streets: ["boulevard de Rochebonne", "rue Georges Clemenceau"],
        phone_prefix: "02 99",
    },
    Commune {
        insee: "35115",
        postcode: "35300",
        city: "Fougères",
        departement: "35",
        lat: 48.3525,
        lon: -1.1986,
        streets: ["rue Nationale", "boulevard Jean Jaurès"],
        phone_prefix: "02 99",
    },
    Commune {
        insee: "35360",
        postcode: "35500",
        city: "Vitré",
        departement: "35",
        lat: 48.1238,
        lon: -1.2094,
        streets: ["rue Poterie", "boulevard de Laval"],
        phone_prefix: "02 99",
    },
    Commune {
        insee: "35051",
        postcode: "35510",
        city: "Cesson-Sévigné",
        departement: "35",
        lat: 48.1214,
        lon: -1.6031,
        streets: ["rue de Rennes", "cours de la Vilaine"],
        phone_prefix: "02 99",
    },
    Commune {
        insee: "35047",
        postcode: "35170",
        city: "Bruz",
        departement: "35",
        lat: 48.0247,
        lon: -1.7458,
        streets: ["avenue Alphonse Legault", "rue du Stade"],
        phone_prefix: "02 99",
    },
];

/// (civilité, prénom, nom)
const NAMES: [(&str, &str, &str); 48] = [
    ("Mme", "Sophie", "Martin"),
    ("M.", "Thomas", "Bernard"),
    ("Mme", "Camille", "Dubois"),
    ("M.", "Nicolas", "Thomas"),
    ("Mme", "Julie", "Robert"),
    ("M.", "Pierre", "Richard"),
    ("Mme", "Claire", "Petit"),
    ("M.", "Julien", "Durand"),
    ("Mme", "Isabelle", "Leroy"),
    ("M.", "François", "Moreau"),
    ("Mme", "Nathalie", "Simon"),
    ("M.", "Antoine", "Laurent"),
    ("Mme", "Émilie", "Lefèvre"),
    ("M.", "Olivier", "Michel"),
    ("Mme", "Céline", "Garcia"),
    ("M.", "Philippe", "David"),
    ("Mme", "Aurélie", "Bertrand"),
    ("M.", "Mathieu", "Roux"),
    ("Mme", "Sandrine", "Vincent"),
    ("M.", "Sébastien", "Fournier"),
    ("Mme", "Hélène", "Morel"),
    ("M.", "Guillaume", "Girard"),
    ("Mme", "Anne", "André"),
    ("M.", "Christophe", "Lefebvre"),
    ("Mme", "Laure", "Mercier"),
    ("M.", "Vincent", "Dupont"),
    ("Mme", "Marion", "Lambert"),
    ("M.", "Alexandre", "Bonnet"),
    ("Mme", "Élodie", "François"),
    ("M.", "Laurent", "Martinez"),
    ("Mme", "Caroline", "Legrand"),
    ("M.", "Jérôme", "Garnier"),
    ("Mme", "Valérie", "Faure"),
    ("M.", "Benoît", "Rousseau"),
    ("Mme", "Agnès", "Blanc"),
    ("M.", "Yann", "Le Gall"),
    ("Mme", "Gwenaëlle", "Le Goff"),
    ("M.", "Erwan", "Guillou"),
    ("Mme", "Maëlle", "Le Roux"),
    ("M.", "Loïc", "Tanguy"),
    ("Mme", "Nolwenn", "Hamon"),
    ("M.", "Ronan", "Le Bihan"),
    ("Mme", "Inès", "Benali"),
    ("M.", "Karim", "Haddad"),
    ("Mme", "Léa", "Chevalier"),
    ("M.", "Hugo", "Fontaine"),
    ("Mme", "Chloé", "Gauthier"),
    ("M.", "Bruno", "Perrin"),
];

/// Which case of the eligibility rule a demo practitioner illustrates.
#[derive(Clone, Copy, PartialEq)]
enum Case {
    /// SAS, accepts new patients, consultations open online: visible ("Nouveaux patients").
    NewPatients,
    /// SAS, no new patients, "Soins non programmés" on Tuesday and Thursday mornings only.
    SnpSomeRanges,
    /// SAS, new patients accepted but not online; SNP on Wednesday morning.
    OfflineWithSnp,
    /// Not registered on the SAS: never visible, whatever the agenda.
    NotRegistered,
    /// SAS, new patients online and SNP sharing every morning range: both badges.
    Both,
    /// SAS, no new patients, no SNP: registered but nothing reaches the search.
    Closed,
}

const CASES: [Case; 6] = [
    Case::NewPatients,
    Case::SnpSomeRanges,
    Case::OfflineWithSnp,
    Case::NotRegistered,
    Case::Both,
    Case::Closed,
];

/// Lower-case ASCII, for demo email addresses.
fn ascii_slug(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' | 'É' => Some('e'),
            'à' | 'â' => Some('a'),
            'ï' | 'î' => Some('i'),
            'ô' => Some('o'),
            'ç' => Some('c'),
            ' ' | '\'' => Some('-'),
            c if c.is_ascii_alphanumeric() || c == '-' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

pub fn practitioner_email(first: &str, last: &str) -> String {
    format!("{}.{}@demo.test", ascii_slug(first), ascii_slug(last))
}

/// Loads the demo unless it is there already, then tops up slots to the horizon.
pub async fn seed_demo(store: &Store) -> Result<SeedReport, StoreError> {
    seed_demo_at(store, crate::server::now_utc()).await
}

/// [`seed_demo`] as of `now`: agendas from that day, a few bookings in the 3 days after it.
pub async fn seed_demo_at(store: &Store, now: DateTime<Utc>) -> Result<SeedReport, StoreError> {
    let today = paris_today(now);
    let mut report = SeedReport::default();
    if store.user_by_email(ADMIN_EMAIL).await?.is_none() {
        // Each account gets its own salt, as real ones do.
        let hash = || hash_password(DEMO_PASSWORD).expect("argon2id with default parameters");
        for (i, name) in NAMES.iter().enumerate() {
            insert_practitioner(store, i, *name, today, &hash()).await?;
            report.practitioners += 1;
        }
        let regulator = insert_account(
            store,
            REGULATOR_EMAIL,
            Role::Regulator,
            ("Claire", "Morel"),
            &hash(),
        )
        .await?;
        // The SAS of Paris, whose indicators the demo regulator sees.
        let regulator_row = NewRegulator {
            civility: Some("Mme"),
            first_name: "Claire",
            last_name: "Morel",
            email: REGULATOR_EMAIL,
            departement: REGULATOR_DEPARTEMENT,
            invited_by: None,
            invited_at: crate::server::now(),
        };
        store
            .insert_account_regulator(&regulator_row, regulator)
            .await?;
        insert_account(store, ADMIN_EMAIL, Role::Admin, ("Paul", "Admin"), &hash()).await?;
        report.loaded = true;
    }
    report.slots_created = store
        .materialize_slots(today, today + Duration::days(HORIZON_DAYS - 1))
        .await?;
    if report.loaded {
        report.booked = book_a_few(store, now).await?;
    }
    Ok(report)
}

#[derive(Debug, Default)]
pub struct SeedReport {
    pub loaded: bool,
    pub practitioners: usize,
    pub slots_created: u64,
    pub booked: usize,
}

async fn insert_account(
    store: &Store,
    email: &str,
    role: Role,
    (first_name, last_name): (&str, &str),
    hash: &str,
) -> Result<UserId, StoreError> {
    store
        .insert_user(&NewUser {
            email,
            password_hash: hash,
            role,
            first_name,
            last_name,
            practitioner_id: None,
            created_at: crate::server::now(),
            email_verified_at: Some(0),
            // The demo regulator answers calls of Paris; the demo administrator is national.
            departement: (role == Role::Regulator).then_some(REGULATOR_DEPARTEMENT),
        })
        .await
}

async fn insert_practitioner(
    store: &Store,
    i: usize,
    (civility, first, last): (&str, &str, &str),
    today: NaiveDate,
    hash: &str,
) -> Result<(), StoreError> {
    // Paris, Rhône and Ille-et-Vilaine in turn; each département gets every case in several communes.
    let case = CASES[(i / 3) % CASES.len()];
    let commune = &COMMUNES[(i % 3) * 6 + (i / 3 + i / 18) % 6];
    let rpps = Rpps::with_check_digit(&format!("10{:08}", 1_000_000 + i * 7919))
        .expect("a check digit exists");
    let phone = (i % 7 != 5).then(|| {
        PhoneFr::parse(&format!(
            "{} {:02} {:02} {:02}",
            commune.phone_prefix,
            10 + i,
            (i * 37) % 100,
            (i * 53) % 100
        ))
        .expect("demo numbers are valid")
    });
    let jitter = |k: usize| ((i * k) % 21) as f64 / 1000.0 - 0.01;
    let address = format!("{} {}", 1 + (i * 13) % 120, commune.streets[i % 2]);
    let practitioner_id = store
        .insert_practitioner(&NewPractitioner {
            rpps: rpps.as_str(),
            civility,
            first_name: first,
            last_name: last,
            specialty: "Médecine générale",
            address: &address,
            postcode: commune.postcode,
            city: commune.city,
            insee_code: commune.insee,
            departement: commune.departement,
            latitude: commune.lat + jitter(7),
            longitude: commune.lon + jitter(11),
            position_source: crate::domain::place::PositionSource::Commune,
            phone: phone.as_ref().map(PhoneFr::e164),
            sas_status: if case == Case::NotRegistered {
                SasStatus::None
            } else {
                SasStatus::Approved
            },
            accepts_new_patients: matches!(case, Case::NewPatients | Case::OfflineWithSnp | Case::Both | Case::NotRegistered),
            booking_notice: "Merci d'arriver 5 minutes avant l'heure du rendez-vous avec la carte Vitale.",
        })
        .await?;
    insert_agenda(store, practitioner_id, case, today).await?;
    let email = practitioner_email(first, last);
    store
        .insert_user(&NewUser {
            email: &email,
            password_hash: hash,
            role: Role::Practitioner,
            first_name: first,
            last_name: last,
            practitioner_id: Some(practitioner_id),
            created_at: crate::server::now(),
            email_verified_at: Some(0),
            departement: None,
        })
        .await?;
    Ok(())
}

async fn insert_agenda(
    store: &Store,
    practitioner_id: PractitionerId,
    case: Case,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let online = !matches!(case, Case::OfflineWithSnp);
    let consult = store
        .insert_reason(
            practitioner_id,
            &NewReason {
                name: "Consultation de médecine générale",
                duration_minutes: 20,
                flags: ReasonFlags {
                    is_snp: false,
                    open_to_new_patients: true,
                    bookable_online: online,
                },
                notice: "",
            },
        )
        .await?;
    let follow_up = store
        .insert_reason(
            practitioner_id,
            &NewReason {
                name: "Suivi patient habituel",
                duration_minutes: 20,
                flags: ReasonFlags {
                    is_snp: false,
                    open_to_new_patients: false,
                    bookable_online: true,
                },
                notice: "",
            },
        )
        .await?;
    let snp = match case {
        Case::SnpSomeRanges | Case::OfflineWithSnp | Case::Both => Some(
            store
                .insert_reason(
                    practitioner_id,
                    &NewReason {
                        name: "Soins non programmés",
                        duration_minutes: 20,
                        flags: ReasonFlags {
                            is_snp: true,
                            open_to_new_patients: false,
                            bookable_online: false,
                        },
                        notice: "",
                    },
                )
                .await?,
        ),
        _ => None,
    };
    let snp_on = |day: Weekday| match case {
        Case::SnpSomeRanges => matches!(day, Weekday::Tue | Weekday::Thu),
        Case::OfflineWithSnp => day == Weekday::Wed,
        Case::Both => true,
        _ => false,
    };
    let plain = [consult, follow_up];
    let with_snp: Vec<ReasonId> = plain.iter().copied().chain(snp).collect();
    let weekly = |weekday, start: (u32, u32), end: (u32, u32)| RangeTimes {
        recurrence: Recurrence::Weekly {
            weekday,
            valid_from: today,
            valid_until: None,
        },
        start: NaiveTime::from_hms_opt(start.0, start.1, 0).expect("valid time"),
        end: NaiveTime::from_hms_opt(end.0, end.1, 0).expect("valid time"),
        slot_minutes: 20,
    };
    use Weekday::*;
    for day in [Mon, Tue, Wed, Thu, Fri, Sat] {
        let reasons = if snp_on(day) {
            &with_snp[..]
        } else {
            &plain[..]
        };
        let times = weekly(day, (9, 0), (12, 0));
        store
            .insert_range(
                practitioner_id,
                &NewRange {
                    times,
                    mode: Mode::Cabinet,
                    reason_ids: reasons,
                },
            )
            .await?;
        if day != Sat && day != Wed {
            let times = weekly(day, (14, 0), (18, 0));
            store
                .insert_range(
                    practitioner_id,
                    &NewRange {
                        times,
                        mode: Mode::Cabinet,
                        reason_ids: &plain,
                    },
                )
                .await?;
        }
    }
    if matches!(case, Case::NewPatients | Case::Both) {
        let times = weekly(Wed, (18, 0), (20, 0));
        store
            .insert_range(
                practitioner_id,
                &NewRange {
                    times,
                    mode: Mode::Video,
                    reason_ids: &with_snp,
                },
            )
            .await?;
    }
    Ok(())
}

/// Books a few visible slots for the demo regulator, so booked slots exist from the start.
async fn book_a_few(store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let Some(regulator) = store.user_by_email(REGULATOR_EMAIL).await? else {
        return Ok(0);
    };
    let today = paris_today(now);
    let patient = PatientInput {
        civility: "Monsieur".into(),
        first_name: "Jean".into(),
        last_name: "Dupuis".into(),
        birth_name: "Dupuis".into(),
        birth_date: "14/03/1961".into(),
        phone: "06 12 34 56 78".into(),
        ..PatientInput::default()
    }
    .validate(today, &[])
    .expect("demo patient is valid");
    let mut booked = 0;
    for departement in ["75", "69", "35"] {
        let slots = store
            .candidate_slots(
                departement,
                now.timestamp(),
                (now + Duration::days(3)).timestamp(),
            )
            .await?;
        for slot in slots
            .iter()
            .filter(|s| s.reasons.iter().any(|r| r.is_snp))
            .step_by(40)
            .take(3)
        {
            let reasons = store.slot_reasons(slot.slot_id).await?;
            let Some(snp) = reasons.into_iter().find(|r| r.is_snp) else {
                continue;
            };
            let choices = Choices {
                mode: slot.mode,
                known_patient: false,
                reason: OfferedReason {
                    id: snp.id,
                    name: snp.name,
                    is_snp: true,
                    duration_minutes: snp.duration_minutes,
                    notice: snp.notice,
                },
                answers: Vec::new(),
                message: None,
            };
            let (at, key) = (now.timestamp(), format!("demo-{}", slot.slot_id));
            store
                .hold_slot(slot.slot_id, regulator.id, at, at + 60)
                .await?;
            let booking = NewBooking {
                slot_id: slot.slot_id,
                regulator_id: regulator.id,
                idempotency_key: &key,
                choices: &choices,
                patient: &patient,
                attachment: None,
                now: at,
                ip: None,
            };
            store.book(&booking).await?;
            booked += 1;
        }
    }
    Ok(booked)
}
