//! The national search: practitioners of an area read from the grid cells (`cells`), then the
//! result cards and their slots.

use super::cells::{cells_of_box, entries, in_area};
use super::sql::Sql;
use super::{Store, StoreResult};
use crate::domain::agenda::Mode;
use crate::domain::ids::*;
use crate::domain::place::{PositionSource, bounding_box};
use sqlx::Row;

/// Where the search looks for practitioners.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchArea {
    /// Around a point (latitude, longitude): at least every practitioner within the radius.
    Circle {
        center: (f64, f64),
        radius_km: f64,
    },
    Departement(String),
    /// The practitioners of a département who have video slots.
    VideoInDepartement(String),
}

/// Which slots count: those the eligibility rule opens to the SAS (stored with each slot),
/// free, starting in one of `intervals` (after now), in one of `modes`.
pub struct SlotFilter<'a> {
    pub specialty: &'a str,
    pub intervals: &'a [(i64, i64)],
    pub modes: &'a [Mode],
}

/// A SAS practitioner of a search area, with their visible free slots packed
/// (`domain::search::pack_slots`; `None` when they have none).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AreaPractitioner {
    pub id: PractitionerId,
    pub latitude: f64,
    pub longitude: f64,
    pub sas_slots: Option<Vec<u8>>,
}

/// What a result card shows of its practitioner.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CardPractitioner {
    pub id: PractitionerId,
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    pub specialty: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub phone: Option<String>,
    #[sqlx(try_from = "String")]
    pub position_source: PositionSource,
}

/// A slot on a result card; `sas_flags` is the stored verdict of the eligibility rule.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SearchSlot {
    pub id: SlotId,
    pub practitioner_id: PractitionerId,
    pub starts_at: i64,
    #[sqlx(try_from = "String")]
    pub mode: Mode,
    pub sas_flags: i64,
}

/// ` AND …` conditions keeping the slots of `filter`. They repeat the predicate of the partial
/// index `slots_search`, so that both databases read that index only.
fn push_slot_filter(q: &mut Sql<'_>, filter: &SlotFilter<'_>) {
    // Intervals are sorted and merged: the first starts earliest, the last ends latest.
    let from = filter.intervals.first().map_or(0, |i| i.0);
    let to = filter.intervals.last().map_or(0, |i| i.1);
    q.push(" AND s.sas_flags > 0 AND NOT s.taken AND s.starts_at >= ")
        .bind(from)
        .push(" AND s.starts_at < ")
        .bind(to);
    if filter.intervals.len() > 1 {
        q.push(" AND (");
        for (i, (a, b)) in filter.intervals.iter().enumerate() {
            q.push(if i == 0 { "" } else { " OR " })
                .push("(s.starts_at >= ")
                .bind(*a)
                .push(" AND s.starts_at < ")
                .bind(*b)
                .push(")");
        }
        q.push(")");
    }
    if let [mode] = filter.modes {
        q.push(" AND s.mode = ").bind(mode.code());
    }
}

impl Store {
    /// The SAS practitioners of `area` and `specialty` (exactly within a circle), read from the
    /// grid cells, with their packed slots; only those with slots unless `with_empty`.
    pub async fn grid_practitioners(
        &self,
        area: &SearchArea,
        specialty: &str,
        with_empty: bool,
    ) -> StoreResult<Vec<AreaPractitioner>> {
        // Rows, so that the blobs are read where the driver put them rather than copied again.
        let rows = match area {
            SearchArea::Circle { center, radius_km } => {
                let (r0, r1, c0, c1) = cells_of_box(bounding_box(*center, *radius_km));
                sqlx::query(
                    "SELECT practitioners FROM search_cells
                     WHERE specialty = $1 AND cell_lat BETWEEN $2 AND $3
                         AND cell_lon BETWEEN $4 AND $5",
                )
                .bind(specialty)
                .bind(r0)
                .bind(r1)
                .bind(c0)
                .bind(c1)
                .fetch_all(&self.pool)
                .await?
            }
            SearchArea::Departement(code) | SearchArea::VideoInDepartement(code) => {
                sqlx::query(
                    "SELECT c.practitioners FROM departement_cells d JOIN search_cells c
                         ON c.specialty = d.specialty AND c.cell_lat = d.cell_lat
                         AND c.cell_lon = d.cell_lon
                     WHERE d.departement = $1 AND d.specialty = $2",
                )
                .bind(code.as_str())
                .bind(specialty)
                .fetch_all(&self.pool)
                .await?
            }
        };
        let mut found = Vec::new();
        for row in &rows {
            let blob: &[u8] = row.try_get(0)?;
            found.extend(
                entries(blob)
                    .filter(|e| (with_empty || !e.slots.is_empty()) && in_area(e, area))
                    .map(|e| e.area_practitioner()),
            );
        }
        Ok(found)
    }

    /// The practitioners of the result cards and their slots that match `filter`, by time.
    pub async fn search_cards(
        &self,
        practitioner_ids: &[PractitionerId],
        filter: &SlotFilter<'_>,
    ) -> StoreResult<(Vec<CardPractitioner>, Vec<SearchSlot>)> {
        if practitioner_ids.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let mut q = Sql::new(
            "SELECT id, civility, first_name, last_name, specialty, address, postcode, city, phone,
                 position_source
             FROM practitioners WHERE id IN",
        );
        q.ids(practitioner_ids);
        let practitioners = q.fetch_all(&self.pool).await?;
        let mut q = Sql::new(
            "SELECT s.id, s.practitioner_id, s.starts_at, s.mode, s.sas_flags FROM slots s
             WHERE s.practitioner_id IN",
        );
        q.ids(practitioner_ids);
        push_slot_filter(&mut q, filter);
        q.push(" ORDER BY s.starts_at, s.id");
        let slots = q.fetch_all(&self.pool).await?;
        Ok((practitioners, slots))
    }
}
