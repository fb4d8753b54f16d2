//! Runs a search on the store: resolves the place, finds the practitioners of the area with
//! their matching slot counts, orders them (distance or rotation) and builds one page of cards.
//! The server function and the benchmark both call `run_search`. Also the communes the place
//! field proposes.

use crate::domain::agenda::{Mode, day_label_fr, time_label};
use crate::domain::eligibility::SasVisibility;
use crate::domain::identity::PhoneFr;
use crate::domain::ids::PractitionerId;
use crate::domain::place::{CommuneOption, PositionSource, distance_km, distance_label};
use crate::domain::practitioner::CHOOSE_COMMUNE;
use crate::domain::search::{
    DEFAULT_RADIUS_KM, DaySlots, PAGE_SIZE, Place, PractitionerCard, SearchParams, SearchQuery,
    SearchResults, SlotLink, count_packed, rotation_key,
};
use crate::error::AppError;
use crate::server::store::{
    AreaPractitioner, CommuneRecord, DepartementRecord, LocatedCommune, SearchArea, SlotFilter,
    Store,
};
use chrono::{DateTime, Utc};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

/// Where the search looks, once the place is resolved.
enum Scope {
    Radius {
        center: (f64, f64),
        radius_km: u32,
        departement: String,
    },
    Departement {
        code: String,
        seed: u64,
    },
}

/// A practitioner of the results and how many of their slots match.
struct Found {
    id: PractitionerId,
    slots: i64,
    distance_km: Option<f64>,
    video_only: bool,
}

/// The practitioners of `area` with their matching slots counted (those with none kept when
/// `with_empty`), each with its distance to `center` if any.
async fn found_in(
    store: &Store,
    area: &SearchArea,
    filter: &SlotFilter<'_>,
    with_empty: bool,
    center: Option<(f64, f64)>,
) -> Result<Vec<Found>, AppError> {
    let practitioners: Vec<AreaPractitioner> = store
        .grid_practitioners(area, filter.specialty, with_empty)
        .await?;
    Ok(practitioners
        .into_iter()
        .filter_map(|p| {
            let slots = p.sas_slots.as_deref().map_or(0, |packed| {
                count_packed(packed, filter.intervals, filter.modes)
            });
            (slots > 0 || with_empty).then(|| Found {
                id: p.id,
                slots,
                distance_km: center.map(|c| distance_km(c, (p.latitude, p.longitude))),
                video_only: false,
            })
        })
        .collect())
}

pub async fn run_search(
    store: &Store,
    params: &SearchParams,
    query: &SearchQuery,
    now: DateTime<Utc>,
) -> Result<SearchResults, AppError> {
    let mut params = params.clone();
    let (commune, departement) = resolve_place(store, &query.place).await?;
    let coordinates = commune
        .as_ref()
        .and_then(|c| Some((c.latitude?, c.longitude?)));
    let whole = query.whole_departement || matches!(query.place, Place::Departement(_));
    let mut notice = None;
    let scope = match (coordinates, whole) {
        (Some(center), false) => Scope::Radius {
            center,
            radius_km: query.radius_km.unwrap_or_else(|| {
                departement
                    .radius_km
                    .and_then(|r| u32::try_from(r).ok())
                    .unwrap_or(DEFAULT_RADIUS_KM)
            }),
            departement: departement.code.clone(),
        },
        _ => {
            if let (Some(c), None, false) = (&commune, coordinates, whole) {
                notice = Some(format!(
                    "La position de {} n'est pas connue : la recherche porte sur tout le département \
                     {} ({}), dans un ordre de rotation.",
                    c.name, departement.name, departement.code
                ));
            }
            Scope::Departement {
                code: departement.code.clone(),
                seed: query
                    .rotation
                    .unwrap_or_else(|| u64::from(rand::random::<u32>())),
            }
        }
    };
    if let Some(c) = &commune {
        params.inseecode = c.insee_code.clone();
        params.city = c.name.clone();
    }
    let intervals = query.intervals(now);
    let filter = SlotFilter {
        specialty: query.specialty.label(),
        intervals: &intervals,
        modes: &query.modes,
    };
    let with_empty = !query.only_with_slots;
    // Only the practitioners up to the requested page need an order.
    let shown_up_to = query.page.max(1).saturating_mul(PAGE_SIZE);
    let mut found: Vec<Found> =
        match &scope {
            Scope::Radius {
                center,
                radius_km,
                departement,
            } => {
                let radius = f64::from(*radius_km);
                let area = SearchArea::Circle {
                    center: *center,
                    radius_km: radius,
                };
                let mut found = found_in(store, &area, &filter, with_empty, Some(*center)).await?;
                found.retain(|f| f.distance_km.is_some_and(|d| d <= radius));
                // Video consultations are not limited by distance: the département's count too.
                if query.modes.contains(&Mode::Video) {
                    let near: HashSet<PractitionerId> = found.iter().map(|f| f.id).collect();
                    let video = SlotFilter {
                        modes: &[Mode::Video],
                        ..filter
                    };
                    let area = SearchArea::VideoInDepartement(departement.clone());
                    let far = found_in(store, &area, &video, false, Some(*center)).await?;
                    found.extend(far.into_iter().filter(|f| !near.contains(&f.id)).map(|f| {
                        Found {
                            video_only: true,
                            ..f
                        }
                    }));
                }
                order_first(&mut found, shown_up_to, |a, b| {
                    a.distance_km
                        .partial_cmp(&b.distance_km)
                        .unwrap_or(Ordering::Equal)
                        .then(a.id.cmp(&b.id))
                });
                found
            }
            Scope::Departement { code, seed } => {
                params.ordre = seed.to_string();
                let area = SearchArea::Departement(code.clone());
                let mut found = found_in(store, &area, &filter, with_empty, None).await?;
                // Practitioners with slots first, in the rotation of this search.
                let key = |f: &Found| (f.slots == 0, rotation_key(*seed, f.id));
                order_first(&mut found, shown_up_to, |a, b| key(a).cmp(&key(b)));
                found
            }
        };
    let practitioner_count = found.len();
    let slot_count = found.iter().map(|f| f.slots).sum();
    let pages = practitioner_count.div_ceil(PAGE_SIZE);
    let page = query.page.min(pages.max(1));
    params.page = if page > 1 {
        page.to_string()
    } else {
        String::new()
    };
    let shown: Vec<Found> = found
        .drain(((page - 1) * PAGE_SIZE).min(practitioner_count)..)
        .take(PAGE_SIZE)
        .collect();
    let cards = cards(store, &shown, &filter).await?;
    let (place, scope_label) = match &scope {
        Scope::Radius { radius_km, .. } => (
            commune
                .as_ref()
                .map_or_else(String::new, |c| format!("{} ({})", c.name, c.departement)),
            format!("dans un rayon de {radius_km} km, du plus proche au plus éloigné"),
        ),
        Scope::Departement { .. } => (
            match &commune {
                Some(c) => format!("{} ({})", c.name, c.departement),
                None => format!("{} ({})", departement.name, departement.code),
            },
            format!(
                "dans tout le département {} ({}), par rotation équitable",
                departement.name, departement.code
            ),
        ),
    };
    Ok(SearchResults {
        params,
        place,
        scope: scope_label,
        notice,
        practitioner_count,
        slot_count,
        page,
        pages,
        cards,
    })
}

/// Puts the first `n` of `found` in `order` and leaves the others after them, unordered: a
/// page needs its place in the order, not the order of the whole area.
fn order_first<T>(found: &mut [T], n: usize, mut order: impl FnMut(&T, &T) -> Ordering) {
    let n = n.min(found.len());
    if n < found.len() {
        found.select_nth_unstable_by(n, &mut order);
    }
    found[..n].sort_by(order);
}

async fn resolve_place(
    store: &Store,
    place: &Place,
) -> Result<(Option<CommuneRecord>, DepartementRecord), AppError> {
    let commune = match place {
        Place::Commune(insee) => Some(
            store
                .commune(insee.as_str())
                .await
                ?
                .ok_or_else(|| {
                    AppError::invalid(
                        "lieu",
                        format!("Commune inconnue : aucun code INSEE « {} ».", insee.as_str()),
                    )
                })?,
        ),
        Place::Text(text) => Some(
            store
                .find_communes(text, 1)
                .await
                ?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    AppError::invalid(
                        "lieu",
                        format!("Aucune commune ne correspond à « {text} » : vérifiez le nom ou le code postal."),
                    )
                })?,
        ),
        Place::Departement(_) => None,
    };
    let code = match (&commune, place) {
        (Some(c), _) => c.departement.clone(),
        (None, Place::Departement(d)) => d.as_str().to_string(),
        (None, _) => return Err(AppError::Internal),
    };
    let departement = store
        .departement(&code)
        .await?
        .ok_or_else(|| AppError::invalid("lieu", format!("Département inconnu : « {code} ».")))?;
    Ok((commune, departement))
}

async fn cards(
    store: &Store,
    shown: &[Found],
    filter: &SlotFilter<'_>,
) -> Result<Vec<PractitionerCard>, AppError> {
    let (near, far): (Vec<&Found>, Vec<&Found>) = shown.iter().partition(|f| !f.video_only);
    let ids = |f: &[&Found]| f.iter().map(|f| f.id).collect::<Vec<_>>();
    let (mut practitioners, mut slots) = store.search_cards(&ids(&near), filter).await?;
    if !far.is_empty() {
        let video = SlotFilter {
            modes: &[Mode::Video],
            ..*filter
        };
        let (p, s) = store.search_cards(&ids(&far), &video).await?;
        practitioners.extend(p);
        slots.extend(s);
    }
    let mut by_practitioner: HashMap<PractitionerId, Vec<_>> = HashMap::new();
    for slot in slots {
        by_practitioner
            .entry(slot.practitioner_id)
            .or_default()
            .push(slot);
    }
    let practitioners: HashMap<PractitionerId, _> =
        practitioners.into_iter().map(|p| (p.id, p)).collect();
    Ok(shown
        .iter()
        .filter_map(|f| {
            let p = practitioners.get(&f.id)?;
            let mut card = PractitionerCard {
                id: p.id,
                name: format!("Dr {} {}", p.first_name, p.last_name),
                specialty: p.specialty.clone(),
                address: format!("{}, {} {}", p.address, p.postcode, p.city),
                distance: f.distance_km.map(distance_label),
                phone: p
                    .phone
                    .as_deref()
                    .and_then(|n| PhoneFr::from_e164(n).ok())
                    .map(|n| (format!("tel:{}", n.e164()), n.display_fr())),
                snp: false,
                new_patients: false,
                video_only: f.video_only,
                approximate_position: p.position_source == PositionSource::Departement,
                days: Vec::new(),
            };
            let mut slots = by_practitioner.remove(&p.id).unwrap_or_default();
            slots.sort_by_key(|s| (s.starts_at, s.id));
            for slot in slots {
                // The stored verdict of the rule; the query kept free slots ahead of now only.
                let Some(why) = SasVisibility::from_code(slot.sas_flags) else {
                    continue;
                };
                let Some(start) = DateTime::from_timestamp(slot.starts_at, 0) else {
                    continue;
                };
                card.snp |= why.snp;
                card.new_patients |= why.new_patients;
                let label = day_label_fr(start);
                if card.days.last().is_none_or(|d| d.label != label) {
                    card.days.push(DaySlots {
                        label,
                        slots: Vec::new(),
                    });
                }
                if let Some(day) = card.days.last_mut() {
                    day.slots.push(SlotLink {
                        id: slot.id,
                        time: time_label(start),
                        mode: slot.mode.label().to_string(),
                    });
                }
            }
            Some(card)
        })
        .collect())
}

/// Communes whose name or postcode starts with `text`, for the place field.
pub async fn suggest_communes(store: &Store, text: &str) -> Result<Vec<CommuneOption>, AppError> {
    let found = store.find_communes(text, 8).await?;
    Ok(found
        .into_iter()
        .map(|c| CommuneOption {
            insee: c.insee_code,
            name: c.name,
            departement: c.departement,
            postcodes: c.postcodes,
        })
        .collect())
}

/// The chosen commune of a practice and its position, the postcode typed checked against it;
/// French messages on the `commune` and `postcode` fields otherwise.
pub async fn locate_practice(
    store: &Store,
    insee_code: &str,
    postcode: &str,
) -> Result<LocatedCommune, AppError> {
    let located = store
        .locate_commune(insee_code)
        .await?
        .ok_or_else(|| AppError::invalid("commune", CHOOSE_COMMUNE))?;
    let postcodes = &located.commune.postcodes;
    if !postcodes.split_whitespace().any(|p| p == postcode) {
        return Err(AppError::invalid(
            "postcode",
            format!(
                "Ce code postal n'est pas celui de {} : {}.",
                located.commune.name,
                postcodes.split_whitespace().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    Ok(located)
}
