//! The national search on both backends: communes, distance, filters, rotation, eligibility.

use super::*;
use crate::domain::place::{PositionSource, distance_km};
use crate::domain::specialty::Specialty;

use crate::domain::search::{SearchParams, SearchResults};
use crate::error::AppError;
use crate::server::communes;
use crate::server::services::search::run_search;
use crate::tools::national;
use std::path::Path;

conformance!(
    communes_load_once_and_complete_names_and_postcodes,
    a_commune_search_keeps_eligible_slots_in_distance_order,
    filters_and_bookings_narrow_the_results,
    a_departement_search_rotates_fairly_and_pages_stably,
    bad_places_get_a_french_message,
    the_national_seed_loads_and_is_searchable,
    grid_cells_stay_exact_through_holds_bookings_and_agenda_changes,
    simultaneous_holds_in_one_cell_keep_it_exact,
    the_whole_commune_list_loads,
    a_practice_is_placed_by_its_commune_or_departement,
    every_specialty_is_searchable_and_an_approximate_position_said,
    a_changed_practice_moves_in_the_grid,
);

/// The real list (built by .ci/setup), three communes in four without coordinates: it once
/// failed to load on PostgreSQL.
async fn the_whole_commune_list_loads(store: Arc<Store>) {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/communes"));
    let loaded = communes::ensure_loaded(store.as_ref(), dir).await.unwrap();
    assert!(loaded > 34_000, "{loaded}");
    let rennes = store.find_communes("rennes", 1).await.unwrap();
    assert_eq!(rennes[0].insee_code, "35238");
    let affoux = store.find_communes("affoux", 1).await.unwrap();
    assert_eq!((affoux[0].latitude, affoux[0].longitude), (None, None));
}

/// Registration places a practice by its chosen commune: its coordinates, or the centre of its
/// département's communes when it has none (Affoux), and nowhere for a commune not listed.
async fn a_practice_is_placed_by_its_commune_or_departement(store: Arc<Store>) {
    with_communes(store.as_ref()).await;
    let lyon = store.locate_commune("69123").await.unwrap().expect("Lyon");
    assert_eq!(
        (lyon.latitude, lyon.longitude, lyon.source),
        (LYON.0, LYON.1, PositionSource::Commune)
    );
    let affoux = store
        .locate_commune("69001")
        .await
        .unwrap()
        .expect("Affoux");
    assert_eq!(affoux.source, PositionSource::Departement);
    assert_eq!(affoux.commune.name, "Affoux");
    // The mean of the fixture's eight Rhône communes that have coordinates.
    let rhone = [
        (45.79462, 4.84640),
        (45.74906, 4.84789),
        (45.69706, 4.88593),
        (45.98967, 4.71961),
        (45.76601, 4.87950),
        (45.76758, 4.83450),
        (45.76124, 4.85184),
        (45.74525, 4.84197),
    ];
    let mean = |f: fn(&(f64, f64)) -> f64| rhone.iter().map(f).sum::<f64>() / 8.0;
    assert!((affoux.latitude - mean(|p| p.0)).abs() < 1e-9, "{affoux:?}");
    assert!(
        (affoux.longitude - mean(|p| p.1)).abs() < 1e-9,
        "{affoux:?}"
    );
    assert_eq!(store.locate_commune("99999").await.unwrap(), None);
}

/// A cardiologist is found by a cardiology search, and only by it; placed at their
/// département's centre, their card says the position is approximate.
async fn every_specialty_is_searchable_and_an_approximate_position_said(store: Arc<Store>) {
    with_communes(store.as_ref()).await;
    let affoux = store.locate_commune("69001").await.unwrap().unwrap();
    let doctor_at = |n: usize, at: (f64, f64)| Doctor {
        rpps: rpps(n),
        at,
        departement: "69",
        sas: true,
        accepts_new: false,
        flags: SNP,
        mode: Mode::Cabinet,
    };
    let at = (affoux.latitude, affoux.longitude);
    let cardiologist = doctor_as(
        store.as_ref(),
        doctor_at(1, at),
        Specialty::Cardiology,
        affoux.source,
    )
    .await;
    let generalist = doctor(store.as_ref(), doctor_at(2, LYON)).await;
    let today = paris_today(Utc::now());
    store
        .materialize_slots(today, today + Duration::days(2))
        .await
        .unwrap();
    let around = |specialty: &'static str| {
        let store = store.clone();
        async move {
            let pairs = [
                ("inseecode", "69123"),
                ("rayon", "30"),
                ("speciality", specialty),
            ];
            search(store.as_ref(), &pairs).await.unwrap()
        }
    };
    let found = around("cardiologie").await;
    assert_eq!(ids(&found), [cardiologist]);
    assert!(found.cards[0].approximate_position);
    assert_eq!(found.cards[0].specialty, "Cardiologie");
    assert!(listed_slots(&found) > 0);
    let found = around("medecine-generale").await;
    assert_eq!(ids(&found), [generalist]);
    assert!(!found.cards[0].approximate_position);
    // A whole-département search and the grid find them too.
    let found = search(
        store.as_ref(),
        &[("departement", "69"), ("speciality", "Cardiologie")],
    )
    .await
    .unwrap();
    assert_eq!(ids(&found), [cardiologist]);
    assert!(around("neurologie").await.cards.is_empty());
}

/// A practice that changes commune, then specialty, leaves its old cells: the grid stays
/// exact and the searches follow it.
async fn a_changed_practice_moves_in_the_grid(store: Arc<Store>) {
    let [a, ..] = lyon(store.as_ref()).await;
    assert_cells_exact(store.as_ref(), "seeded").await;
    let villefranche = store.locate_commune("69264").await.unwrap().unwrap();
    let mut change = PracticeChange {
        specialty: Specialty::GeneralPractice.label(),
        address: "1 place des Arts",
        postcode: "69400",
        city: &villefranche.commune.name,
        insee_code: "69264",
        departement: "69",
        latitude: villefranche.latitude,
        longitude: villefranche.longitude,
        position_source: villefranche.source,
    };
    store.update_practice(a, &change).await.unwrap();
    assert_cells_exact(store.as_ref(), "moved").await;
    let around = |insee: &'static str, specialty: &'static str| {
        let store = store.clone();
        async move {
            let pairs = [
                ("inseecode", insee),
                ("rayon", "5"),
                ("speciality", specialty),
            ];
            ids(&search(store.as_ref(), &pairs).await.unwrap())
        }
    };
    assert!(!around("69123", "medecine-generale").await.contains(&a));
    assert!(around("69264", "medecine-generale").await.contains(&a));
    change.specialty = Specialty::Cardiology.label();
    store.update_practice(a, &change).await.unwrap();
    assert_cells_exact(store.as_ref(), "now a cardiologist").await;
    assert!(!around("69264", "medecine-generale").await.contains(&a));
    assert_eq!(around("69264", "cardiologie").await, [a]);
    let card = search(
        store.as_ref(),
        &[("inseecode", "69264"), ("speciality", "cardiologie")],
    )
    .await
    .unwrap();
    assert_eq!(
        card.cards[0].address,
        "1 place des Arts, 69400 Villefranche-sur-Saône"
    );
    assert!(matches!(
        store
            .update_practice(PractitionerId(999_999), &change)
            .await,
        Err(StoreError::NotFound)
    ));
}

fn fixture() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/communes/fixture"
    ))
}

async fn with_communes(store: &Store) {
    communes::ensure_loaded(store, fixture())
        .await
        .expect("fixture communes");
}

const LYON: (f64, f64) = (45.74906, 4.84789);
const CLOSED: ReasonFlags = ReasonFlags {
    is_snp: false,
    open_to_new_patients: false,
    bookable_online: true,
};
const NEW_ONLINE: ReasonFlags = ReasonFlags {
    is_snp: false,
    open_to_new_patients: true,
    bookable_online: true,
};

struct Doctor {
    rpps: &'static str,
    at: (f64, f64),
    departement: &'static str,
    sas: bool,
    accepts_new: bool,
    flags: ReasonFlags,
    mode: Mode,
}

/// A general practitioner with hourly slots 08:00–20:00 over the next 3 days.
async fn doctor(store: &Store, d: Doctor) -> PractitionerId {
    doctor_as(
        store,
        d,
        Specialty::GeneralPractice,
        PositionSource::Commune,
    )
    .await
}

async fn doctor_as(
    store: &Store,
    d: Doctor,
    specialty: Specialty,
    position_source: PositionSource,
) -> PractitionerId {
    let id = store
        .insert_practitioner(&NewPractitioner {
            latitude: d.at.0,
            longitude: d.at.1,
            specialty: specialty.label(),
            position_source,
            ..practitioner(d.rpps, d.departement, d.sas, d.accepts_new)
        })
        .await
        .expect("practitioner");
    let reason = store
        .insert_reason(
            id,
            &NewReason {
                name: "Motif",
                duration_minutes: 60,
                flags: d.flags,
                notice: "",
            },
        )
        .await
        .expect("reason");
    let today = paris_today(Utc::now());
    for day in 0..3 {
        let times = RangeTimes {
            recurrence: Recurrence::Once(today + Duration::days(day)),
            start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
            slot_minutes: 60,
        };
        let range = NewRange {
            times,
            mode: d.mode,
            reason_ids: &[reason],
        };
        store.insert_range(id, &range).await.expect("range");
    }
    id
}

fn rpps(n: usize) -> &'static str {
    let rpps = crate::domain::identity::Rpps::with_check_digit(&format!("30{n:08}")).unwrap();
    Box::leak(rpps.as_str().to_string().into_boxed_str())
}

/// Lyon's neighbourhood: A SNP at 1 km, B new patients at 5 km, C registered with nothing open
/// at 3 km, D not registered at 2 km, E video SNP at 30 km, F SNP at 30 km.
async fn lyon(store: &Store) -> [PractitionerId; 6] {
    with_communes(store).await;
    let east = |km: f64| (LYON.0, LYON.1 + km / 77.59);
    let cases = [
        (east(1.0), true, false, SNP, Mode::Cabinet),
        (
            (LYON.0 + 5.0 / 111.2, LYON.1),
            true,
            true,
            NEW_ONLINE,
            Mode::Cabinet,
        ),
        (east(3.0), true, true, CLOSED, Mode::Cabinet),
        (east(2.0), false, true, SNP, Mode::Cabinet),
        (east(30.0), true, false, SNP, Mode::Video),
        (east(-30.0), true, false, SNP, Mode::Cabinet),
    ];
    let mut ids = [PractitionerId(0); 6];
    for (i, (at, sas, accepts_new, flags, mode)) in cases.into_iter().enumerate() {
        ids[i] = doctor(
            store,
            Doctor {
                rpps: rpps(i),
                at,
                departement: "69",
                sas,
                accepts_new,
                flags,
                mode,
            },
        )
        .await;
    }
    let today = paris_today(Utc::now());
    store
        .materialize_slots(today, today + Duration::days(2))
        .await
        .expect("slots");
    ids
}

async fn search(store: &Store, pairs: &[(&str, &str)]) -> Result<SearchResults, AppError> {
    search_at(store, pairs, Utc::now()).await
}

/// The search as of `now`: searches that must see the same "tomorrow" share one instant.
async fn search_at(
    store: &Store,
    pairs: &[(&str, &str)],
    now: chrono::DateTime<Utc>,
) -> Result<SearchResults, AppError> {
    let params = SearchParams::from_pairs(pairs.iter().copied());
    let query = params.parse().map_err(AppError::Invalid)?;
    run_search(store, &params, &query, now).await
}

fn ids(results: &SearchResults) -> Vec<PractitionerId> {
    results.cards.iter().map(|c| c.id).collect()
}

fn listed_slots(results: &SearchResults) -> i64 {
    results
        .cards
        .iter()
        .flat_map(|c| &c.days)
        .map(|d| d.slots.len() as i64)
        .sum()
}

async fn communes_load_once_and_complete_names_and_postcodes(store: Arc<Store>) {
    let loaded = communes::ensure_loaded(store.as_ref(), fixture())
        .await
        .unwrap();
    assert!(loaded > 20);
    assert_eq!(
        communes::ensure_loaded(store.as_ref(), fixture())
            .await
            .unwrap(),
        0,
        "up to date"
    );
    let names =
        |found: Vec<CommuneRecord>| found.into_iter().map(|c| c.insee_code).collect::<Vec<_>>();
    // Most populated first; accents, case and hyphens do not matter.
    assert_eq!(
        names(store.find_communes("LYON", 3).await.unwrap()),
        ["69123", "69383", "69387"]
    );
    assert_eq!(
        names(store.find_communes("cesson-sev", 5).await.unwrap()),
        ["35051"]
    );
    assert_eq!(
        names(store.find_communes("saint denis", 5).await.unwrap()),
        ["97411", "93066"]
    );
    // A postcode prefix finds the communes it serves, each once.
    assert_eq!(
        names(store.find_communes("6900", 5).await.unwrap()),
        ["69123", "69383", "69387", "69381"]
    );
    assert_eq!(
        names(store.find_communes("35000", 5).await.unwrap()),
        ["35238"]
    );
    assert!(store.find_communes("zz", 5).await.unwrap().is_empty());
    assert!(store.find_communes(" - ", 5).await.unwrap().is_empty());
    let affoux = store.commune("69001").await.unwrap().expect("Affoux");
    assert_eq!((affoux.latitude, affoux.longitude), (None, None));
    let rhone = store.departement("69").await.unwrap().expect("Rhône");
    assert_eq!((rhone.name.as_str(), rhone.radius_km), ("Rhône", Some(10)));
    assert_eq!(
        store.departement("35").await.unwrap().unwrap().radius_km,
        None
    );
}

async fn a_commune_search_keeps_eligible_slots_in_distance_order(store: Arc<Store>) {
    let [a, b, c, _d, e, f] = lyon(store.as_ref()).await;
    let r = search(store.as_ref(), &[("inseecode", "69123")])
        .await
        .unwrap();
    // Rhône's default radius is 10 km; E is 30 km away but offers video slots.
    assert!(r.scope.contains("10 km"), "{}", r.scope);
    assert_eq!(ids(&r), [a, b, e]);
    assert_eq!((r.practitioner_count, r.slot_count), (3, listed_slots(&r)));
    assert!(r.slot_count > 0 && r.notice.is_none() && r.pages == 1);
    let card = |id| r.cards.iter().find(|c| c.id == id).unwrap();
    assert!(card(a).snp && !card(a).new_patients);
    assert!(!card(b).snp && card(b).new_patients);
    assert!(
        card(e).video_only
            && card(e)
                .days
                .iter()
                .flat_map(|d| &d.slots)
                .all(|s| s.mode == "En vidéo")
    );
    assert_eq!(card(a).distance.as_deref(), Some("1,0 km"));
    assert_eq!(
        card(a).phone.as_ref().map(|p| p.0.as_str()),
        Some("tel:+33142000000")
    );
    // Every listed slot is one the eligibility rule shows.
    for slot in r.cards.iter().flat_map(|c| &c.days).flat_map(|d| &d.slots) {
        let candidate = store.candidate_slot(slot.id).await.unwrap().unwrap();
        assert!(visible(&candidate), "slot {}", slot.id);
    }
    // A wider radius reaches F; E is then within it.
    let wide = search(store.as_ref(), &[("inseecode", "69123"), ("rayon", "50")])
        .await
        .unwrap();
    assert_eq!(ids(&wide), [a, b, e, f]);
    assert!(!wide.cards[2].video_only);
    // Switched off, the filter also lists registered practitioners without slots, never D.
    let all = search(store.as_ref(), &[("inseecode", "69123"), ("tous", "1")])
        .await
        .unwrap();
    assert_eq!(ids(&all), [a, c, b, e]);
    assert!(all.cards[1].days.is_empty());
}

async fn filters_and_bookings_narrow_the_results(store: Arc<Store>) {
    let [a, b, _, _, e, _] = lyon(store.as_ref()).await;
    let base = [("inseecode", "69123")];
    let cabinet = search(store.as_ref(), &[base[0], ("mode", "cabinet")])
        .await
        .unwrap();
    assert_eq!(ids(&cabinet), [a, b]);
    let video = search(store.as_ref(), &[base[0], ("mode", "video")])
        .await
        .unwrap();
    assert_eq!(ids(&video), [e]);
    // "Disponible sous" and the days keep only the slots in their hours. The day searches share
    // one instant: midnight passing in between would make "tomorrow" another day.
    let at = Utc::now();
    let now = at.timestamp();
    let soon = search(store.as_ref(), &[base[0], ("sous", "0-4,24-48")])
        .await
        .unwrap();
    let all = search(store.as_ref(), &base).await.unwrap();
    assert!(soon.slot_count < all.slot_count);
    let tomorrow = search_at(store.as_ref(), &[base[0], ("fenetre", "j1")], at)
        .await
        .unwrap();
    // Each of A, B, E has 12 hourly slots tomorrow (E only in video).
    assert_eq!((tomorrow.practitioner_count, tomorrow.slot_count), (3, 36));
    for slot in soon
        .cards
        .iter()
        .flat_map(|c| &c.days)
        .flat_map(|d| &d.slots)
    {
        let starts = store
            .candidate_slot(slot.id)
            .await
            .unwrap()
            .unwrap()
            .starts_at;
        let hours = (starts - now) as f64 / 3600.0;
        assert!(
            (0.0..4.0).contains(&hours) || (24.0..48.0).contains(&hours),
            "{hours}"
        );
    }
    // Another specialty has nobody here.
    let pediatrics = search(store.as_ref(), &[base[0], ("speciality", "pediatrie")])
        .await
        .unwrap();
    assert_eq!(pediatrics.practitioner_count, 0);
    // A booked slot disappears from the next search.
    let regulator = user(store.as_ref(), "r@demo.test", Role::Regulator, None).await;
    let first = tomorrow.cards[0].days[0].slots[0].id;
    hold_and_book(
        store.as_ref(),
        first,
        regulator,
        "k",
        Utc::now().timestamp(),
    )
    .await
    .unwrap();
    let after = search_at(store.as_ref(), &[base[0], ("fenetre", "j1")], at)
        .await
        .unwrap();
    assert_eq!(after.slot_count, 35);
    assert!(
        after
            .cards
            .iter()
            .flat_map(|c| &c.days)
            .flat_map(|d| &d.slots)
            .all(|s| s.id != first)
    );
    // The verdict stored with the slots follows a re-evaluation, which changes nothing here.
    store.refresh_visibility(a).await.unwrap();
    let again = search_at(store.as_ref(), &[base[0], ("fenetre", "j1")], at)
        .await
        .unwrap();
    assert_eq!(again.slot_count, 35);
}

async fn a_departement_search_rotates_fairly_and_pages_stably(store: Arc<Store>) {
    with_communes(store.as_ref()).await;
    let rennes = (48.11109, -1.67431);
    let mut everyone = Vec::new();
    for i in 0..12 {
        everyone.push(
            doctor(
                store.as_ref(),
                Doctor {
                    rpps: rpps(100 + i),
                    at: (rennes.0 + i as f64 * 0.01, rennes.1),
                    departement: "35",
                    sas: true,
                    accepts_new: false,
                    flags: SNP,
                    mode: Mode::Cabinet,
                },
            )
            .await,
        );
    }
    let today = paris_today(Utc::now());
    // A range added later: the first practitioner's ranges are no longer next to each other.
    let late = NewRange {
        times: RangeTimes {
            recurrence: Recurrence::Once(today + Duration::days(1)),
            start: NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(21, 0, 0).unwrap(),
            slot_minutes: 60,
        },
        mode: Mode::Video,
        reason_ids: &[],
    };
    store.insert_range(everyone[0], &late).await.unwrap();
    store
        .materialize_slots(today, today + Duration::days(2))
        .await
        .unwrap();
    let page = |seed: &'static str, page: &'static str| {
        let store = store.clone();
        async move {
            search(
                store.as_ref(),
                &[("departement", "35"), ("ordre", seed), ("page", page)],
            )
            .await
            .unwrap()
        }
    };
    let pages = [
        page("7", "1").await,
        page("7", "2").await,
        page("7", "3").await,
    ];
    assert_eq!(pages.each_ref().map(|p| p.cards.len()), [5, 5, 2]);
    assert!(
        pages
            .iter()
            .all(|p| p.pages == 3 && p.practitioner_count == 12)
    );
    let mut seen: Vec<PractitionerId> = pages.iter().flat_map(ids).collect();
    assert!(
        pages
            .iter()
            .all(|p| p.cards.iter().all(|c| c.distance.is_none()))
    );
    seen.sort_unstable();
    assert_eq!(seen, everyone, "each practitioner once over the pages");
    assert_eq!(
        ids(&page("7", "1").await),
        ids(&pages[0]),
        "stable for one search"
    );
    assert_ne!(
        [ids(&page("8", "1").await), ids(&page("9", "1").await)],
        [ids(&pages[0]), ids(&pages[0])],
        "another search, another order"
    );
    // Without a seed the server draws one and returns it for the next pages.
    let fresh = search(store.as_ref(), &[("departement", "35")])
        .await
        .unwrap();
    assert!(!fresh.params.ordre.is_empty());
    // A whole-département search around a commune, and a commune without coordinates.
    let around = search(
        store.as_ref(),
        &[("inseecode", "35238"), ("perimetre", "departement")],
    )
    .await
    .unwrap();
    assert_eq!(around.practitioner_count, 12);
    assert!(around.notice.is_none());
    let far = doctor(
        store.as_ref(),
        Doctor {
            rpps: rpps(200),
            at: LYON,
            departement: "69",
            sas: true,
            accepts_new: false,
            flags: SNP,
            mode: Mode::Cabinet,
        },
    )
    .await;
    store
        .materialize_slots(today, today + Duration::days(2))
        .await
        .unwrap();
    let affoux = search(store.as_ref(), &[("inseecode", "69001")])
        .await
        .unwrap();
    assert_eq!(ids(&affoux), [far]);
    assert!(
        affoux
            .notice
            .as_deref()
            .unwrap()
            .contains("tout le département Rhône (69)")
    );
}

async fn bad_places_get_a_french_message(store: Arc<Store>) {
    with_communes(store.as_ref()).await;
    for (pairs, expected) in [
        (&[("inseecode", "99999")][..], "Commune inconnue"),
        (&[("city", "Zzyzx")][..], "Aucune commune ne correspond"),
        (&[("departement", "976")][..], "Département inconnu"),
    ] {
        match search(store.as_ref(), pairs).await {
            Err(AppError::Invalid(errors)) => {
                assert_eq!(errors[0].field, "lieu");
                assert!(
                    errors[0].message.contains(expected),
                    "{}",
                    errors[0].message
                );
            }
            other => panic!("{pairs:?}: {other:?}"),
        }
    }
    // A name typed without choosing in the list takes the best match.
    let typed = search(store.as_ref(), &[("city", "lyon"), ("rayon", "50")])
        .await
        .unwrap();
    assert!(typed.scope.contains("50 km"), "{}", typed.scope);
    assert_eq!(
        (typed.params.inseecode.as_str(), typed.place.as_str()),
        ("69123", "Lyon (69)")
    );
}

async fn the_national_seed_loads_and_is_searchable(store: Arc<Store>) {
    with_communes(store.as_ref()).await;
    let text = std::fs::read_to_string(fixture().join("communes.tsv")).unwrap();
    let list = communes::parse_communes(&text).unwrap();
    let report = national::seed_national(store.clone(), &list, 200, 3)
        .await
        .unwrap();
    assert_eq!(report.practitioners, 200);
    assert!(report.slots_created > 200, "{}", report.slots_created);
    let bench = crate::tools::bench::bench_search(store.clone(), &list, 40, 4)
        .await
        .unwrap();
    assert_eq!(bench.searches, 40);
    assert!(bench.practitioners_found > 0);
    // Paris gets the most practitioners of the fixture; some are visible, some not.
    let paris = search(store.as_ref(), &[("inseecode", "75056"), ("rayon", "20")])
        .await
        .unwrap();
    let everyone = search(
        store.as_ref(),
        &[("inseecode", "75056"), ("rayon", "20"), ("tous", "1")],
    )
    .await
    .unwrap();
    assert!(
        paris.practitioner_count > 10,
        "{}",
        paris.practitioner_count
    );
    assert!(everyone.practitioner_count > paris.practitioner_count);
}

/// The grid cells give, for circles around Lyon and for its département, exactly what one row
/// per practitioner gives.
async fn assert_cells_exact(store: &Store, step: &str) {
    let specialty = practitioner("", "69", true, true).specialty;
    let circle = |radius_km| SearchArea::Circle {
        center: LYON,
        radius_km,
    };
    let areas = [
        circle(2.0),
        circle(10.0),
        circle(50.0),
        SearchArea::Departement("69".into()),
        SearchArea::VideoInDepartement("69".into()),
    ];
    for area in &areas {
        for with_empty in [false, true] {
            let within = |p: &AreaPractitioner| match area {
                SearchArea::Circle { center, radius_km } => {
                    distance_km(*center, (p.latitude, p.longitude)) <= *radius_km
                }
                _ => true,
            };
            let mut rows: Vec<AreaPractitioner> =
                area_practitioners(store, area, specialty, with_empty)
                    .await
                    .into_iter()
                    .filter(within)
                    .collect();
            let mut cells = store
                .grid_practitioners(area, specialty, with_empty)
                .await
                .unwrap();
            rows.sort_by_key(|p| p.id);
            cells.sort_by_key(|p| p.id);
            assert_eq!(cells, rows, "{step}: {area:?}, with_empty {with_empty}");
        }
    }
}

async fn grid_cells_stay_exact_through_holds_bookings_and_agenda_changes(store: Arc<Store>) {
    let store = store.as_ref();
    let [a, b, c, _, e, _] = lyon(store).await;
    assert_cells_exact(store, "seeded").await;
    let regulator = user(store, "r@demo.test", Role::Regulator, None).await;
    let now = Utc::now().timestamp();
    let free = |p: PractitionerId| async move {
        let slots = store
            .candidate_slots("69", now, now + 3 * 86_400)
            .await
            .unwrap();
        let mine: Vec<SlotId> = slots
            .iter()
            .filter(|s| s.practitioner_id == p && !s.booked && s.held_by.is_none())
            .map(|s| s.slot_id)
            .collect();
        mine
    };
    let (a1, a2) = (free(a).await[0], free(a).await[1]);
    store
        .hold_slot(a1, regulator, now, now + 600)
        .await
        .unwrap();
    assert_cells_exact(store, "held").await;
    // Opening another slot gives the first one back.
    store
        .hold_slot(a2, regulator, now, now + 600)
        .await
        .unwrap();
    assert_cells_exact(store, "held another").await;
    store.release_hold(a2, regulator).await.unwrap();
    assert_cells_exact(store, "released").await;
    store
        .hold_slot(a1, regulator, now - 700, now - 100)
        .await
        .unwrap();
    store.release_expired_holds(now).await.unwrap();
    assert_cells_exact(store, "expired").await;
    let booked = hold_and_book(store, free(b).await[0], regulator, "k", now)
        .await
        .unwrap();
    assert_cells_exact(store, "booked").await;
    store
        .cancel_appointment(booked.id, &cancellation("Annulé", now, regulator, None))
        .await
        .unwrap();
    assert_cells_exact(store, "cancelled").await;
    let today = paris_today(Utc::now());
    let horizon = Horizon {
        from: today,
        to: today + Duration::days(2),
        now,
    };
    let absence = crate::domain::agenda::Absence {
        start: chrono::DateTime::from_timestamp(now, 0).unwrap(),
        end: chrono::DateTime::from_timestamp(now + 86_400, 0).unwrap(),
        label: "Formation".into(),
    };
    store
        .insert_absence(a, &absence, &horizon, None, None)
        .await
        .unwrap();
    assert_cells_exact(store, "absence").await;
    let range = store.ranges(e).await.unwrap()[0].id;
    store.delete_range(e, range, &horizon).await.unwrap();
    assert_cells_exact(store, "range deleted").await;
    let left = store
        .set_participation(c, &[SasStatus::Approved], SasStatus::None, None, 0)
        .await
        .unwrap();
    assert!(left);
    assert_cells_exact(store, "left the SAS").await;
    // A new practitioner without slots is listed when practitioners without slots are.
    store
        .insert_practitioner(&NewPractitioner {
            latitude: LYON.0,
            longitude: LYON.1,
            ..practitioner(rpps(9), "69", true, false)
        })
        .await
        .unwrap();
    assert_cells_exact(store, "new practitioner").await;
    let near = SearchArea::Circle {
        center: LYON,
        radius_km: 2.0,
    };
    let with_empty = store
        .grid_practitioners(&near, practitioner("", "69", true, true).specialty, true)
        .await
        .unwrap();
    assert!(with_empty.iter().any(|p| p.sas_slots.is_none()));
}

/// Holds of eight practitioners of one cell at once: each transaction patches the cell after the
/// previous one committed (the upsert locks its row), so no hold is lost from the cell.
async fn simultaneous_holds_in_one_cell_keep_it_exact(store: Arc<Store>) {
    with_communes(store.as_ref()).await;
    let mut doctors = Vec::new();
    for i in 0..8 {
        let at = (LYON.0, LYON.1 + f64::from(i) * 0.001);
        let d = Doctor {
            rpps: rpps(20 + i as usize),
            at,
            departement: "69",
            sas: true,
            accepts_new: false,
            flags: SNP,
            mode: Mode::Cabinet,
        };
        doctors.push(doctor(store.as_ref(), d).await);
    }
    let today = paris_today(Utc::now());
    store
        .materialize_slots(today, today + Duration::days(2))
        .await
        .unwrap();
    let now = Utc::now().timestamp();
    let slots = store
        .candidate_slots("69", now, now + 3 * 86_400)
        .await
        .unwrap();
    let mut holds = tokio::task::JoinSet::new();
    for (i, p) in doctors.into_iter().enumerate() {
        let slot = slots
            .iter()
            .find(|s| s.practitioner_id == p)
            .unwrap()
            .slot_id;
        let email = format!("r{i}@demo.test");
        let regulator = user(store.as_ref(), &email, Role::Regulator, None).await;
        let store = store.clone();
        holds.spawn(async move { store.hold_slot(slot, regulator, now, now + 600).await });
    }
    while let Some(held) = holds.join_next().await {
        held.unwrap().unwrap();
    }
    assert_cells_exact(store.as_ref(), "simultaneous holds").await;
}
