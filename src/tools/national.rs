//! `seed national`: a national data set for the benchmark. Practitioners are spread over the
//! communes with known coordinates in proportion to their population (so over every
//! département), with agendas mixing every case of the eligibility rule. Reproducible: the
//! same sizes give the same data.

use crate::domain::agenda::{Mode, RangeTimes, Recurrence, paris_today};
use crate::domain::eligibility::ReasonFlags;
use crate::domain::identity::{PhoneFr, Rpps};
use crate::domain::ids::ReasonId;
use crate::domain::participation::SasStatus;
use crate::domain::specialty::Specialty;
use crate::server::store::CommuneRecord;
use crate::server::store::{NewPractitioner, NewRange, NewReason, Store, StoreError};
use chrono::{Duration, NaiveTime, Weekday};
use indicatif::{ProgressBar, ProgressStyle};
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;

const FIRST_NAMES: [(&str, &str); 16] = [
    ("Mme", "Sophie"),
    ("M.", "Thomas"),
    ("Mme", "Camille"),
    ("M.", "Nicolas"),
    ("Mme", "Julie"),
    ("M.", "Pierre"),
    ("Mme", "Claire"),
    ("M.", "Julien"),
    ("Mme", "Isabelle"),
    ("M.", "Karim"),
    ("Mme", "Nathalie"),
    ("M.", "Antoine"),
    ("Mme", "Émilie"),
    ("M.", "Olivier"),
    ("Mme", "Inès"),
    ("M.", "Erwan"),
];
const LAST_NAMES: [&str; 20] = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Le Gall",
];
const STREETS: [&str; 6] = [
    "rue de la République",
    "avenue Jean Jaurès",
    "place de la Mairie",
    "rue Victor Hugo",
    "boulevard Gambetta",
    "rue du Général de Gaulle",
];

/// The cases of the eligibility rule, with their share of practitioners (per cent).
#[derive(Clone, Copy, PartialEq)]
enum Case {
    NotRegistered,
    NewPatientsOnline,
    SnpOnly,
    OfflineWithSnp,
    Both,
    Closed,
}
const CASES: [(Case, u32); 6] = [
    (Case::NotRegistered, 15),
    (Case::NewPatientsOnline, 30),
    (Case::SnpOnly, 20),
    (Case::OfflineWithSnp, 10),
    (Case::Both, 15),
    (Case::Closed, 10),
];

#[derive(Debug, Default)]
pub struct NationalReport {
    pub practitioners: usize,
    pub slots_created: u64,
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{what} [{{bar:40}}] {{pos}}/{{len}} ({{elapsed}}, reste {{eta}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Adds `practitioners` practitioners with agendas, then materialises `days` days of slots.
pub async fn seed_national(
    store: Arc<Store>,
    communes: &[CommuneRecord],
    practitioners: usize,
    days: i64,
) -> Result<NationalReport, StoreError> {
    let located: Vec<&CommuneRecord> = communes
        .iter()
        .filter(|c| c.latitude.is_some() && c.longitude.is_some() && c.population > 0)
        .collect();
    let weights = WeightedIndex::new(located.iter().map(|c| c.population as f64))
        .map_err(|_| StoreError::Migration("aucune commune avec coordonnées".into()))?;
    let today = paris_today(crate::server::now_utc());
    let progress = bar(practitioners as u64, "Praticiens");
    let mut rng = StdRng::seed_from_u64(2026);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..practitioners {
        let commune = located[weights.sample(&mut rng)].clone();
        let plan = Plan::draw(&mut rng, i, commune);
        let store = store.clone();
        tasks.spawn(async move { plan.insert(store.as_ref(), today).await });
        // A few practitioners in flight at once keep PostgreSQL busy; SQLite serialises them.
        while tasks.len() >= 8 {
            if let Some(done) = tasks.join_next().await {
                done.map_err(|e| StoreError::Migration(e.to_string()))??;
                progress.inc(1);
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| StoreError::Migration(e.to_string()))??;
        progress.inc(1);
    }
    progress.finish();
    let progress = bar(days as u64, "Jours de créneaux");
    let mut slots_created = 0;
    for day in 0..days {
        let day = today + Duration::days(day);
        slots_created += store.materialize_slots(day, day).await?;
        progress.inc(1);
    }
    progress.finish();
    store.analyze().await?;
    Ok(NationalReport {
        practitioners,
        slots_created,
    })
}

/// One practitioner, drawn before being inserted.
struct Plan {
    index: usize,
    commune: CommuneRecord,
    case: Case,
    specialty: Specialty,
    jitter: (f64, f64),
    phone: bool,
    /// (weekday, morning?) half-days open, SNP on it?
    half_days: Vec<(Weekday, bool, bool)>,
    slot_minutes: u32,
    video: bool,
}

impl Plan {
    fn draw(rng: &mut StdRng, index: usize, commune: CommuneRecord) -> Self {
        let mut roll = rng.gen_range(0..100);
        let case = CASES
            .iter()
            .find(|(_, share)| {
                let hit = roll < *share;
                roll = roll.saturating_sub(*share);
                hit
            })
            .map_or(Case::NewPatientsOnline, |(c, _)| *c);
        use Weekday::*;
        let all: Vec<(Weekday, bool)> = [Mon, Tue, Wed, Thu, Fri, Sat]
            .into_iter()
            .flat_map(|d| [(d, true), (d, false)])
            .filter(|(d, morning)| *d != Sat || *morning)
            .collect();
        let count = rng.gen_range(2..=6);
        let mut half_days: Vec<(Weekday, bool, bool)> = Vec::new();
        while half_days.len() < count {
            let (day, morning) = all[rng.gen_range(0..all.len())];
            if !half_days.iter().any(|h| h.0 == day && h.1 == morning) {
                let snp = match case {
                    Case::Both => true,
                    Case::SnpOnly | Case::OfflineWithSnp | Case::NotRegistered => rng.gen_bool(0.5),
                    _ => false,
                };
                half_days.push((day, morning, snp));
            }
        }
        Self {
            index,
            commune,
            case,
            specialty: if rng.gen_bool(0.88) {
                Specialty::ALL[0]
            } else {
                Specialty::ALL[rng.gen_range(1..Specialty::ALL.len())]
            },
            jitter: (rng.gen_range(-0.02..0.02), rng.gen_range(-0.02..0.02)),
            phone: rng.gen_bool(0.85),
            half_days,
            slot_minutes: [15, 20, 20, 30][rng.gen_range(0..4)],
            video: rng.gen_bool(0.15),
        }
    }

    async fn insert(self, store: &Store, today: chrono::NaiveDate) -> Result<(), StoreError> {
        let i = self.index;
        let (civility, first) = FIRST_NAMES[i % FIRST_NAMES.len()];
        let last = LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()];
        let rpps = Rpps::with_check_digit(&format!("2{:09}", i)).expect("a check digit exists");
        let phone = self.phone.then(|| {
            PhoneFr::parse(&format!(
                "0{} {:02} {:02} {:02} {:02}",
                1 + i % 5,
                10 + i % 90,
                (i / 90) % 100,
                (i / 9000) % 100,
                i % 97
            ))
            .expect("generated numbers are valid")
        });
        let address = format!("{} {}", 1 + i % 120, STREETS[i % STREETS.len()]);
        let postcode = self
            .commune
            .postcodes
            .split_whitespace()
            .next()
            .unwrap_or("");
        let id = store
            .insert_practitioner(&NewPractitioner {
                rpps: rpps.as_str(),
                civility,
                first_name: first,
                last_name: last,
                specialty: self.specialty.label(),
                address: &address,
                postcode,
                city: &self.commune.name,
                insee_code: &self.commune.insee_code,
                departement: &self.commune.departement,
                latitude: self.commune.latitude.unwrap_or_default() + self.jitter.0,
                longitude: self.commune.longitude.unwrap_or_default() + self.jitter.1,
                position_source: crate::domain::place::PositionSource::Commune,
                phone: phone.as_ref().map(PhoneFr::e164),
                sas_status: if self.case == Case::NotRegistered {
                    SasStatus::None
                } else {
                    SasStatus::Approved
                },
                accepts_new_patients: matches!(
                    self.case,
                    Case::NewPatientsOnline
                        | Case::OfflineWithSnp
                        | Case::Both
                        | Case::NotRegistered
                ),
                booking_notice: "",
            })
            .await?;
        let reason = |name, new, online, snp| NewReason {
            name,
            duration_minutes: i64::from(self.slot_minutes),
            flags: ReasonFlags {
                is_snp: snp,
                open_to_new_patients: new,
                bookable_online: online,
            },
            notice: "",
        };
        let online = self.case != Case::OfflineWithSnp;
        let consult = store
            .insert_reason(id, &reason("Consultation", true, online, false))
            .await?;
        let follow_up = store
            .insert_reason(id, &reason("Suivi patient habituel", false, true, false))
            .await?;
        let snp = if self.half_days.iter().any(|h| h.2) {
            Some(
                store
                    .insert_reason(id, &reason("Soins non programmés", false, false, true))
                    .await?,
            )
        } else {
            None
        };
        let weekly = |weekday, start: u32, end: u32| RangeTimes {
            recurrence: Recurrence::Weekly {
                weekday,
                valid_from: today,
                valid_until: None,
            },
            start: NaiveTime::from_hms_opt(start / 60, start % 60, 0).expect("valid time"),
            end: NaiveTime::from_hms_opt(end / 60, end % 60, 0).expect("valid time"),
            slot_minutes: self.slot_minutes,
        };
        for &(day, morning, with_snp) in &self.half_days {
            let reasons: Vec<ReasonId> = [consult, follow_up]
                .into_iter()
                .chain(snp.filter(|_| with_snp))
                .collect();
            let (start, end) = if morning {
                (8 * 60 + 30, 12 * 60)
            } else {
                (14 * 60, 17 * 60 + 30)
            };
            store
                .insert_range(
                    id,
                    &NewRange {
                        times: weekly(day, start, end),
                        mode: Mode::Cabinet,
                        reason_ids: &reasons,
                    },
                )
                .await?;
        }
        if self.video {
            let reasons: Vec<ReasonId> = [consult].into_iter().chain(snp).collect();
            store
                .insert_range(
                    id,
                    &NewRange {
                        times: weekly(Weekday::Tue, 18 * 60, 19 * 60),
                        mode: Mode::Video,
                        reason_ids: &reasons,
                    },
                )
                .await?;
        }
        Ok(())
    }
}
