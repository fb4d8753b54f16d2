//! The search grid (`search_cells`): per specialty and cell of a fixed latitude / longitude
//! grid (about 5 km), one blob packing each SAS practitioner of the cell with their position,
//! département and packed slots. A radius search reads the few hundred cells of its bounding box
//! instead of one row per practitioner, a département search the cells that `departement_cells`
//! lists for it; `slots::repack` patches the cells in the same transactions (`recell`).
//!
//! An entry, little-endian: id (i64), latitude, longitude (f64), département (3 bytes, ASCII,
//! zero-padded), flags (1 byte, bit 0: video slots), slot bytes (u32), the packed slots.

use super::sql::Sql;
use super::{AreaPractitioner, Flag, SearchArea, Store, StoreResult};
use crate::domain::ids::PractitionerId;
use sqlx::AnyConnection;
use std::collections::{BTreeMap, BTreeSet};

/// The grid's step in degrees of latitude and of longitude.
const LAT_STEP: f64 = 0.05;
const LON_STEP: f64 = 0.07;
const HEADER: usize = 32;

/// The cell of a position: (row, column) of the grid.
pub fn cell_of(latitude: f64, longitude: f64) -> (i64, i64) {
    (
        (latitude / LAT_STEP).floor() as i64,
        (longitude / LON_STEP).floor() as i64,
    )
}

/// The cells that hold a latitude / longitude box: (first row, last row, first column, last column).
pub fn cells_of_box((lat0, lat1, lon0, lon1): (f64, f64, f64, f64)) -> (i64, i64, i64, i64) {
    let (r0, c0) = cell_of(lat0, lon0);
    let (r1, c1) = cell_of(lat1, lon1);
    (r0, r1, c0, c1)
}

/// One practitioner of a cell.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CellEntry {
    pub id: PractitionerId,
    pub latitude: f64,
    pub longitude: f64,
    pub departement: String,
    #[sqlx(try_from = "Flag")]
    pub sas_video: bool,
    pub sas_slots: Option<Vec<u8>>,
}

/// A practitioner's entry in their cell, with the specialty that keys the cell.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CellMember {
    pub specialty: String,
    #[sqlx(try_from = "Flag")]
    pub sas_registered: bool,
    #[sqlx(flatten)]
    pub entry: CellEntry,
}

impl CellMember {
    pub fn key(&self) -> (String, i64, i64) {
        let (row, col) = cell_of(self.entry.latitude, self.entry.longitude);
        (self.specialty.clone(), row, col)
    }
}

pub fn encode(entries: &[CellEntry]) -> Vec<u8> {
    let mut blob = Vec::new();
    for e in entries {
        let slots = e.sas_slots.as_deref().unwrap_or_default();
        let mut code = [0u8; 3];
        for (to, from) in code.iter_mut().zip(e.departement.bytes()) {
            *to = from;
        }
        blob.extend_from_slice(&e.id.0.to_le_bytes());
        blob.extend_from_slice(&e.latitude.to_le_bytes());
        blob.extend_from_slice(&e.longitude.to_le_bytes());
        blob.extend_from_slice(&code);
        blob.push(u8::from(e.sas_video));
        blob.extend_from_slice(&(slots.len() as u32).to_le_bytes());
        blob.extend_from_slice(slots);
    }
    blob
}

/// The entries of a blob, borrowing their slots (a truncated blob ends early).
pub fn entries(blob: &[u8]) -> impl Iterator<Item = Entry<'_>> {
    let mut rest = blob;
    std::iter::from_fn(move || {
        let header = rest.get(..HEADER)?;
        let word = |at: usize| <[u8; 8]>::try_from(&header[at..at + 8]).unwrap_or_default();
        let len = u32::from_le_bytes([header[28], header[29], header[30], header[31]]) as usize;
        let slots = rest.get(HEADER..HEADER + len)?;
        let entry = Entry {
            id: PractitionerId(i64::from_le_bytes(word(0))),
            latitude: f64::from_le_bytes(word(8)),
            longitude: f64::from_le_bytes(word(16)),
            departement: &header[24..27],
            video: header[27] & 1 == 1,
            slots,
        };
        rest = &rest[HEADER + len..];
        Some(entry)
    })
}

/// An entry read in place.
pub struct Entry<'a> {
    pub id: PractitionerId,
    pub latitude: f64,
    pub longitude: f64,
    departement: &'a [u8],
    pub video: bool,
    pub slots: &'a [u8],
}

impl Entry<'_> {
    pub fn departement(&self) -> &str {
        let end = self.departement.iter().position(|&b| b == 0).unwrap_or(3);
        std::str::from_utf8(&self.departement[..end]).unwrap_or_default()
    }

    pub fn to_owned(&self) -> CellEntry {
        CellEntry {
            id: self.id,
            latitude: self.latitude,
            longitude: self.longitude,
            departement: self.departement().to_string(),
            sas_video: self.video,
            sas_slots: (!self.slots.is_empty()).then(|| self.slots.to_vec()),
        }
    }

    pub fn area_practitioner(&self) -> AreaPractitioner {
        AreaPractitioner {
            id: self.id,
            latitude: self.latitude,
            longitude: self.longitude,
            sas_slots: (!self.slots.is_empty()).then(|| self.slots.to_vec()),
        }
    }
}

/// Whether an entry belongs to `area`: within the circle (great-circle distance), of the
/// département, or of the département with video slots.
pub fn in_area(entry: &Entry<'_>, area: &SearchArea) -> bool {
    match area {
        SearchArea::Circle { center, radius_km } => {
            crate::domain::place::distance_km(*center, (entry.latitude, entry.longitude))
                <= *radius_km
        }
        SearchArea::Departement(code) => entry.departement() == code,
        SearchArea::VideoInDepartement(code) => entry.video && entry.departement() == code,
    }
}

/// `blob` with the entries of `members` replaced (kept if still in the SAS), ordered by id.
pub fn patch(blob: &[u8], members: &[&CellMember]) -> Vec<u8> {
    let mut ids: Vec<PractitionerId> = members.iter().map(|m| m.entry.id).collect();
    ids.sort_unstable();
    let mut kept: Vec<CellEntry> = entries(blob)
        .filter(|e| ids.binary_search(&e.id).is_err())
        .map(|e| e.to_owned())
        .chain(
            members
                .iter()
                .filter(|m| m.sas_registered)
                .map(|m| m.entry.clone()),
        )
        .collect();
    kept.sort_by_key(|e| e.id);
    encode(&kept)
}

const CELL_MEMBER_SELECT: &str =
    "SELECT id, specialty, CAST(sas_registered AS INTEGER) AS sas_registered, latitude,
        longitude, departement, CAST(sas_video AS INTEGER) AS sas_video, sas_slots
    FROM practitioners";

/// The SAS practitioners grouped by cell, by id within a cell.
fn cells_from(members: Vec<CellMember>) -> BTreeMap<(String, i64, i64), Vec<CellEntry>> {
    let mut cells: BTreeMap<(String, i64, i64), Vec<CellEntry>> = BTreeMap::new();
    for m in members.into_iter().filter(|m| m.sas_registered) {
        cells.entry(m.key()).or_default().push(m.entry);
    }
    for entries in cells.values_mut() {
        entries.sort_by_key(|e| e.id);
    }
    cells
}

/// Lists a cell under each département it holds practitioners of.
async fn list_cell(
    conn: &mut AnyConnection,
    (specialty, row, col): (&str, i64, i64),
    departements: BTreeSet<&String>,
) -> StoreResult<()> {
    for departement in departements {
        sqlx::query(
            "INSERT INTO departement_cells (departement, specialty, cell_lat, cell_lon)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(departement)
        .bind(specialty)
        .bind(row)
        .bind(col)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Rewrites the grid cells of `sorted_ids` from their practitioner rows, after the
/// practitioners' own locks: each cell in key order is locked and read by one upsert, then
/// patched.
pub(super) async fn recell(
    conn: &mut AnyConnection,
    sorted_ids: &[PractitionerId],
) -> StoreResult<()> {
    recell_moved(conn, sorted_ids, Vec::new()).await
}

/// A practitioner's cell entry as their row reads now (before a change that may move them).
pub(super) async fn cell_member(
    conn: &mut AnyConnection,
    id: PractitionerId,
) -> StoreResult<Option<CellMember>> {
    let sql = format!("{CELL_MEMBER_SELECT} WHERE id = $1");
    Ok(sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

/// [`recell`], the practitioners of `left` (as they were) also taken out of the cells they
/// left (another specialty or position); all cells in key order.
pub(super) async fn recell_moved(
    conn: &mut AnyConnection,
    sorted_ids: &[PractitionerId],
    left: Vec<CellMember>,
) -> StoreResult<()> {
    let mut members: Vec<CellMember> = Vec::new();
    for ids in sorted_ids.chunks(500) {
        let mut q = Sql::new(CELL_MEMBER_SELECT);
        q.push(" WHERE id IN").ids(ids);
        members.extend(q.fetch_all::<CellMember, _>(&mut *conn).await?);
    }
    let keys: BTreeSet<_> = members.iter().map(CellMember::key).collect();
    let gone: Vec<CellMember> = left
        .into_iter()
        .filter(|m| !keys.contains(&m.key()))
        .map(|m| CellMember {
            sas_registered: false,
            ..m
        })
        .collect();
    let mut by_cell: BTreeMap<(String, i64, i64), Vec<&CellMember>> = BTreeMap::new();
    for m in members.iter().chain(&gone) {
        by_cell.entry(m.key()).or_default().push(m);
    }
    for ((specialty, row, col), members) in by_cell {
        let (blob,): (Vec<u8>,) = sqlx::query_as(
            "INSERT INTO search_cells (specialty, cell_lat, cell_lon, practitioners)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (specialty, cell_lat, cell_lon)
             DO UPDATE SET practitioners = search_cells.practitioners
             RETURNING practitioners",
        )
        .bind(&specialty)
        .bind(row)
        .bind(col)
        .bind(Vec::<u8>::new())
        .fetch_one(&mut *conn)
        .await?;
        let departements = members.iter().map(|m| &m.entry.departement).collect();
        list_cell(conn, (&specialty, row, col), departements).await?;
        sqlx::query(
            "UPDATE search_cells SET practitioners = $1
             WHERE specialty = $2 AND cell_lat = $3 AND cell_lon = $4",
        )
        .bind(patch(&blob, &members))
        .bind(&specialty)
        .bind(row)
        .bind(col)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Fills `search_cells` from the practitioners once, on a database migrated before the grid
    /// existed (the `reference_data` row `search_cells` says it is done).
    pub(super) async fn fill_cells(&self) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let first = sqlx::query(
            "INSERT INTO reference_data (name, version) VALUES ('search_cells', '1')
             ON CONFLICT (name) DO NOTHING",
        )
        .execute(&mut *tx)
        .await?;
        if first.rows_affected() == 1 {
            let sql = format!("{CELL_MEMBER_SELECT} WHERE sas_registered");
            let members: Vec<CellMember> = sqlx::query_as(&sql).fetch_all(&mut *tx).await?;
            for ((specialty, row, col), entries) in cells_from(members) {
                let departements = entries.iter().map(|e| &e.departement).collect();
                list_cell(&mut tx, (&specialty, row, col), departements).await?;
                sqlx::query(
                    "INSERT INTO search_cells (specialty, cell_lat, cell_lon, practitioners)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (specialty, cell_lat, cell_lon)
                     DO UPDATE SET practitioners = excluded.practitioners",
                )
                .bind(&specialty)
                .bind(row)
                .bind(col)
                .bind(encode(&entries))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, departement: &str, slots: &[u8]) -> CellEntry {
        CellEntry {
            id: PractitionerId(id),
            latitude: 48.85 + id as f64 / 1000.0,
            longitude: 2.35,
            departement: departement.into(),
            sas_video: id % 2 == 0,
            sas_slots: (!slots.is_empty()).then(|| slots.to_vec()),
        }
    }

    #[test]
    fn entries_read_back_what_was_encoded() {
        let written = vec![
            entry(1, "75", &[1, 2, 3, 4]),
            entry(2, "2A", &[]),
            entry(3, "971", &[9; 8]),
        ];
        let read: Vec<CellEntry> = entries(&encode(&written)).map(|e| e.to_owned()).collect();
        assert_eq!(read, written);
    }

    #[test]
    fn patch_replaces_adds_and_removes_by_id() {
        let blob = encode(&[entry(1, "75", &[1; 4]), entry(3, "75", &[3; 4])]);
        let member = |id, registered| CellMember {
            specialty: "SM54".into(),
            sas_registered: registered,
            entry: entry(id, "75", &[7; 8]),
        };
        let (two, three) = (member(2, true), member(3, false));
        let patched = patch(&blob, &[&two, &three]);
        let ids: Vec<PractitionerId> = entries(&patched).map(|e| e.id).collect();
        assert_eq!(ids, [PractitionerId(1), PractitionerId(2)]);
        assert_eq!(entries(&patched).nth(1).map(|e| e.slots.len()), Some(8));
    }

    #[test]
    fn a_box_covers_the_cells_of_its_corners() {
        let (r0, r1, c0, c1) = cells_of_box((48.02, 48.98, 2.01, 2.99));
        assert_eq!((r0, r1), (960, 979));
        assert!(c0 <= cell_of(48.5, 2.0).1 && cell_of(48.5, 2.99).1 <= c1);
        assert_eq!(cell_of(-0.01, -0.01), (-1, -1));
    }
}
