//! Slots: generated from the ranges and stored, each with the eligibility rule's verdict on its
//! range (`slots.sas_flags`); the visible free ones packed per practitioner
//! (`practitioners.sas_slots`) and per grid cell (`cells`). Every change of a practitioner's
//! ranges, absences, reasons, settings or slots goes through `regenerate` or `reflag`, in its
//! own transaction.

use super::agenda::{RANGE_COLUMNS, RangeRow};
use super::cells::recell;
use super::sql::Sql;
use super::{Horizon, Store, StoreResult};
use crate::domain::agenda::{Mode, fit_slots};
use crate::domain::eligibility::{ReasonFlags, SasVisibility, range_visibility};
use crate::domain::ids::*;
use crate::domain::search::pack_slots;
use chrono::{NaiveDate, NaiveTime};
use sqlx::AnyConnection;
use std::collections::HashMap;

/// The reasons of ranges, to filter by range or practitioner.
pub(super) const REASON_FLAGS_SELECT: &str =
    "SELECT rr.range_id, CAST(r.is_snp AS INTEGER) AS is_snp,
        CAST(r.open_to_new_patients AS INTEGER) AS open_to_new_patients,
        CAST(r.bookable_online AS INTEGER) AS bookable_online
    FROM range_reasons rr JOIN reasons r ON r.id = rr.reason_id";

#[derive(sqlx::FromRow)]
pub(super) struct RangeReasonRow {
    range_id: RangeId,
    #[sqlx(try_from = "super::Flag")]
    is_snp: bool,
    #[sqlx(try_from = "super::Flag")]
    open_to_new_patients: bool,
    #[sqlx(try_from = "super::Flag")]
    bookable_online: bool,
}

pub(super) fn reasons_by_range(rows: Vec<RangeReasonRow>) -> HashMap<RangeId, Vec<ReasonFlags>> {
    let mut by_range: HashMap<RangeId, Vec<ReasonFlags>> = HashMap::new();
    for row in rows {
        by_range.entry(row.range_id).or_default().push(ReasonFlags {
            is_snp: row.is_snp,
            open_to_new_patients: row.open_to_new_patients,
            bookable_online: row.bookable_online,
        });
    }
    by_range
}

/// The active reasons of every range of a practitioner.
pub(super) async fn practitioner_reasons(
    conn: &mut AnyConnection,
    practitioner_id: PractitionerId,
) -> StoreResult<HashMap<RangeId, Vec<ReasonFlags>>> {
    let sql = format!(
        "{REASON_FLAGS_SELECT} JOIN ranges g ON g.id = rr.range_id
         WHERE g.practitioner_id = $1 AND NOT r.archived"
    );
    let rows = sqlx::query_as(&sql)
        .bind(practitioner_id)
        .fetch_all(conn)
        .await?;
    Ok(reasons_by_range(rows))
}

/// The stored verdict of the eligibility rule (`slots.sas_flags`) for the slots of a range.
fn range_flags(
    (sas_registered, accepts_new_patients): (bool, bool),
    reasons: Option<&Vec<ReasonFlags>>,
) -> i64 {
    SasVisibility::code(range_visibility(
        sas_registered,
        accepts_new_patients,
        reasons.map_or(&[][..], Vec::as_slice),
    ))
}

/// A slot as regeneration sees it: `kept` when an appointment (even cancelled) points at it.
#[derive(sqlx::FromRow)]
pub(super) struct ExistingSlot {
    pub id: SlotId,
    pub range_id: Option<RangeId>,
    pub starts_at: i64,
    pub ends_at: i64,
    #[sqlx(try_from = "String")]
    pub mode: Mode,
    #[sqlx(try_from = "super::Flag")]
    pub kept: bool,
}

/// A slot to insert: (practitioner, range, start, end, mode).
pub(super) type SlotRow = (PractitionerId, RangeId, i64, i64, Mode);

/// What regenerating one practitioner's agenda changes.
#[derive(Default)]
pub(super) struct Regeneration {
    /// Slots still in the agenda whose range or mode changed: (slot, range, mode).
    pub attach: Vec<(SlotId, RangeId, Mode)>,
    /// Booked slots no range covers any more: kept, out of the agenda ("hors agenda").
    pub detach: Vec<SlotId>,
    /// Free slots no range covers any more.
    pub delete: Vec<SlotId>,
    pub insert: Vec<SlotRow>,
}

/// Compares the slots the ranges want (outside absences, from `horizon.now` on) with the
/// existing ones: a slot at the same times stays (same id), the others go or come. Slots that
/// started before `horizon.now` are never touched.
pub(super) fn plan_regeneration(
    practitioner_id: PractitionerId,
    ranges: &[RangeRow],
    absences: &[(i64, i64)],
    existing: &[ExistingSlot],
    horizon: &Horizon,
) -> Regeneration {
    let wanted: Vec<_> = ranges
        .iter()
        .flat_map(|r| r.wanted(horizon.from, horizon.to))
        .filter(|w| w.0 >= horizon.now)
        .collect();
    let mut wanted: HashMap<(i64, i64), (RangeId, Mode)> = fit_slots(wanted, &[], absences)
        .into_iter()
        .map(|(start, end, tag)| ((start, end), tag))
        .collect();
    let mut plan = Regeneration::default();
    let mut occupied = Vec::new();
    for slot in existing {
        occupied.push((slot.starts_at, slot.ends_at));
        if slot.starts_at < horizon.now {
            continue;
        }
        match wanted.remove(&(slot.starts_at, slot.ends_at)) {
            Some((range_id, mode)) => {
                if slot.range_id != Some(range_id) || slot.mode != mode {
                    plan.attach.push((slot.id, range_id, mode));
                }
            }
            None if slot.kept => {
                if slot.range_id.is_some() {
                    plan.detach.push(slot.id);
                }
            }
            None => {
                occupied.pop();
                plan.delete.push(slot.id);
            }
        }
    }
    let rest = wanted
        .into_iter()
        .map(|((start, end), tag)| (start, end, tag))
        .collect();
    plan.insert = fit_slots(rest, &occupied, &[])
        .into_iter()
        .map(|(start, end, (range_id, mode))| (practitioner_id, range_id, start, end, mode))
        .collect();
    plan
}

/// The slots the ranges want over `from..=to` that do not exist yet: outside absences and
/// clear of existing slots, practitioner by practitioner.
fn plan_top_up(
    ranges: &[RangeRow],
    absences: &[(PractitionerId, i64, i64)],
    existing: &[(PractitionerId, i64, i64)],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<SlotRow> {
    let mut by_practitioner: HashMap<PractitionerId, Vec<_>> = HashMap::new();
    for range in ranges {
        by_practitioner
            .entry(range.practitioner_id)
            .or_default()
            .extend(range.wanted(from, to));
    }
    let of = |rows: &[(PractitionerId, i64, i64)], id: PractitionerId| -> Vec<(i64, i64)> {
        rows.iter()
            .filter(|r| r.0 == id)
            .map(|r| (r.1, r.2))
            .collect()
    };
    let mut existing_by: HashMap<PractitionerId, Vec<(i64, i64)>> = HashMap::new();
    for row in existing {
        existing_by.entry(row.0).or_default().push((row.1, row.2));
    }
    by_practitioner
        .into_iter()
        .flat_map(|(id, wanted)| {
            let occupied = existing_by.remove(&id).unwrap_or_default();
            fit_slots(wanted, &occupied, &of(absences, id))
                .into_iter()
                .map(move |(start, end, (range_id, mode))| (id, range_id, start, end, mode))
        })
        .collect()
}

/// Practitioners topped up per transaction: a few hundred slots, a few tens of milliseconds.
pub const TOP_UP_BATCH: usize = 5;

/// Unix seconds of midnight UTC starting `day` (a bound for windows, not a Paris time).
fn day_start(day: NaiveDate) -> i64 {
    day.and_time(NaiveTime::MIN).and_utc().timestamp()
}

/// Inserts slot rows in chunks; returns how many were created.
pub(super) async fn insert_slots(conn: &mut AnyConnection, rows: &[SlotRow]) -> StoreResult<u64> {
    let mut created = 0;
    for chunk in rows.chunks(500) {
        let mut insert =
            Sql::new("INSERT INTO slots (practitioner_id, range_id, starts_at, ends_at, mode)");
        insert.values(chunk, |row, slot| {
            row.bind(slot.0)
                .bind(slot.1)
                .bind(slot.2)
                .bind(slot.3)
                .bind(slot.4.code());
        });
        insert.push(" ON CONFLICT (practitioner_id, starts_at) WHERE NOT extra DO NOTHING");
        created += insert.execute(&mut *conn).await?;
    }
    Ok(created)
}

/// Runs `sql` (ending with `IN`) once per chunk of `ids`.
async fn for_ids(conn: &mut AnyConnection, sql: &str, ids: &[SlotId]) -> StoreResult<()> {
    for chunk in ids.chunks(500) {
        let mut statement = Sql::new(sql);
        statement.ids(chunk);
        statement.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Brings one practitioner's slots in line with their ranges and absences over the horizon,
/// inside the caller's transaction (see `plan_regeneration`).
pub(super) async fn regenerate(
    conn: &mut AnyConnection,
    practitioner_id: PractitionerId,
    horizon: &Horizon,
) -> StoreResult<()> {
    let sql = format!("SELECT {RANGE_COLUMNS} FROM ranges WHERE practitioner_id = $1");
    let ranges: Vec<RangeRow> = sqlx::query_as(&sql)
        .bind(practitioner_id)
        .fetch_all(&mut *conn)
        .await?;
    let absences: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT starts_at, ends_at FROM absences WHERE practitioner_id = $1 AND ends_at > $2",
    )
    .bind(practitioner_id)
    .bind(horizon.now)
    .fetch_all(&mut *conn)
    .await?;
    let existing: Vec<ExistingSlot> = sqlx::query_as(
        "SELECT s.id, s.range_id, s.starts_at, s.ends_at, s.mode,
             EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id) AS kept
         FROM slots s WHERE s.practitioner_id = $1 AND s.ends_at > $2 AND NOT s.extra
         ORDER BY s.starts_at",
    )
    .bind(practitioner_id)
    .bind(horizon.now)
    .fetch_all(&mut *conn)
    .await?;
    let plan = plan_regeneration(practitioner_id, &ranges, &absences, &existing, horizon);
    for_ids(conn, "DELETE FROM slots WHERE id IN", &plan.delete).await?;
    for_ids(
        conn,
        "UPDATE slots SET range_id = NULL WHERE id IN",
        &plan.detach,
    )
    .await?;
    for (slot_id, range_id, mode) in &plan.attach {
        sqlx::query("UPDATE slots SET range_id = $2, mode = $3 WHERE id = $1")
            .bind(slot_id)
            .bind(range_id)
            .bind(mode.code())
            .execute(&mut *conn)
            .await?;
    }
    insert_slots(conn, &plan.insert).await?;
    reflag(conn, &[practitioner_id]).await
}

/// Re-evaluates the eligibility rule on every slot of `practitioner_ids` (stored in
/// `slots.sas_flags`) and repacks their visible free slots: after a change of their SAS
/// settings, ranges, reasons, absences or slots.
pub(super) async fn reflag(
    conn: &mut AnyConnection,
    practitioner_ids: &[PractitionerId],
) -> StoreResult<()> {
    for &practitioner_id in practitioner_ids {
        let settings: Option<(super::Flag, super::Flag)> = sqlx::query_as(
            "SELECT CAST(sas_registered AS INTEGER), CAST(accepts_new_patients AS INTEGER)
             FROM practitioners WHERE id = $1",
        )
        .bind(practitioner_id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((registered, accepts_new)) = settings else {
            continue;
        };
        let ranges: Vec<(RangeId,)> =
            sqlx::query_as("SELECT id FROM ranges WHERE practitioner_id = $1")
                .bind(practitioner_id)
                .fetch_all(&mut *conn)
                .await?;
        let reasons = practitioner_reasons(conn, practitioner_id).await?;
        for (range_id,) in ranges {
            let flags = range_flags((registered.0, accepts_new.0), reasons.get(&range_id));
            sqlx::query("UPDATE slots SET sas_flags = $1 WHERE range_id = $2 AND sas_flags <> $1")
                .bind(flags)
                .bind(range_id)
                .execute(&mut *conn)
                .await?;
        }
        // A slot detached from its range (outside the agenda) has no reason left: hidden.
        sqlx::query(
            "UPDATE slots SET sas_flags = 0 WHERE practitioner_id = $1 AND range_id IS NULL",
        )
        .bind(practitioner_id)
        .execute(&mut *conn)
        .await?;
    }
    repack(conn, practitioner_ids).await
}

/// Packs, per practitioner, the slots read by `repack` (ordered by practitioner and time),
/// and tells whether some are video slots.
fn pack_by_practitioner(
    rows: Vec<(PractitionerId, i64, String)>,
) -> HashMap<PractitionerId, (Vec<u8>, bool)> {
    let mut by_practitioner: HashMap<PractitionerId, Vec<(i64, Mode)>> = HashMap::new();
    for (practitioner_id, starts_at, mode) in rows {
        if let Some(mode) = Mode::from_code(&mode) {
            by_practitioner
                .entry(practitioner_id)
                .or_default()
                .push((starts_at, mode));
        }
    }
    by_practitioner
        .into_iter()
        .map(|(id, slots)| {
            let video = slots.iter().any(|s| s.1 == Mode::Video);
            (id, (pack_slots(slots), video))
        })
        .collect()
}

/// Repacks the visible free future slots of `practitioner_ids` into `practitioners.sas_slots`
/// and their grid cells.
pub(super) async fn repack(
    conn: &mut AnyConnection,
    practitioner_ids: &[PractitionerId],
) -> StoreResult<()> {
    let mut sorted: Vec<PractitionerId> = practitioner_ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let now = crate::server::now();
    for ids in sorted.chunks(500) {
        // Lock the practitioners first (in id order: no deadlock), so that on PostgreSQL two
        // transactions repacking one practitioner read each other's committed slots instead of
        // overwriting each other's packing. SQLite writes one at a time anyway.
        let mut lock = Sql::new("UPDATE practitioners SET sas_video = sas_video WHERE id IN");
        lock.ids(ids);
        lock.execute(&mut *conn).await?;
        let mut q = Sql::new(
            "SELECT s.practitioner_id, s.starts_at, s.mode FROM slots s WHERE s.practitioner_id IN",
        );
        q.ids(ids)
            .push(" AND s.sas_flags > 0 AND NOT s.taken AND s.starts_at > ")
            .bind(now)
            .push(" ORDER BY s.practitioner_id, s.starts_at");
        let packed = pack_by_practitioner(q.fetch_all(&mut *conn).await?);
        for id in ids {
            let (slots, video) = packed.get(id).map_or((None, false), |(s, v)| (Some(s), *v));
            sqlx::query("UPDATE practitioners SET sas_slots = $1, sas_video = $2 WHERE id = $3")
                .bind(slots)
                .bind(video)
                .bind(*id)
                .execute(&mut *conn)
                .await?;
        }
    }
    recell(conn, &sorted).await
}

/// Frees the given slots unless an active appointment or a hold keeps them; returns their
/// practitioners, to repack.
pub(super) async fn untake(
    conn: &mut AnyConnection,
    slot_ids: &[SlotId],
) -> StoreResult<Vec<PractitionerId>> {
    let mut practitioners = Vec::new();
    for slot_id in slot_ids {
        let row: Option<(PractitionerId,)> = sqlx::query_as(
            "UPDATE slots SET taken =
                 EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = slots.id
                         AND a.status <> 'cancelled')
                 OR EXISTS (SELECT 1 FROM slot_holds h WHERE h.slot_id = slots.id)
             WHERE id = $1 RETURNING practitioner_id",
        )
        .bind(*slot_id)
        .fetch_optional(&mut *conn)
        .await?;
        practitioners.extend(row.map(|(id,)| id));
    }
    Ok(practitioners)
}

impl Store {
    /// Creates the missing slots of every range for the days `from..=to`, outside absences and
    /// clear of existing slots, with the eligibility rule's verdict on their range; returns how
    /// many. One short transaction per [`TOP_UP_BATCH`] practitioners (the server's hourly
    /// job runs the same batches with pauses: `server::slots::top_up_job`).
    pub async fn materialize_slots(&self, from: NaiveDate, to: NaiveDate) -> StoreResult<u64> {
        let mut created = 0;
        for batch in self.practitioners_with_ranges().await?.chunks(TOP_UP_BATCH) {
            created += self.top_up_batch(batch, from, to).await?;
        }
        Ok(created)
    }

    /// The practitioners who have ranges, in id order.
    pub async fn practitioners_with_ranges(&self) -> StoreResult<Vec<PractitionerId>> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT practitioner_id FROM ranges ORDER BY 1")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The missing slots of the practitioners `ids` over `from..=to`, in one transaction; a
    /// few thousand slots for [`TOP_UP_BATCH`] practitioners, memory for that batch only.
    pub async fn top_up_batch(
        &self,
        ids: &[PractitionerId],
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let mut q = Sql::new(&format!(
            "SELECT {RANGE_COLUMNS} FROM ranges WHERE practitioner_id IN"
        ));
        q.ids(ids);
        let ranges: Vec<RangeRow> = q.fetch_all(&mut *tx).await?;
        // Slots last less than a day: a margin of two days around the window is enough.
        let (lo, hi) = (day_start(from) - 2 * 86_400, day_start(to) + 3 * 86_400);
        // Slots outside the agenda (surnuméraire) take no agenda time.
        let within = |from: &str| {
            let mut q = Sql::new(&format!(
                "SELECT practitioner_id, starts_at, ends_at FROM {from} AND practitioner_id IN"
            ));
            q.ids(ids)
                .push(" AND ends_at > ")
                .bind(lo)
                .push(" AND starts_at < ")
                .bind(hi);
            q
        };
        let absences: Vec<(PractitionerId, i64, i64)> =
            within("absences WHERE TRUE").fetch_all(&mut *tx).await?;
        let existing: Vec<(PractitionerId, i64, i64)> =
            within("slots WHERE NOT extra").fetch_all(&mut *tx).await?;
        let rows = plan_top_up(&ranges, &absences, &existing, from, to);
        let created = insert_slots(&mut tx, &rows).await?;
        if created > 0 {
            let mut touched: Vec<PractitionerId> = rows.iter().map(|r| r.0).collect();
            touched.sort_unstable();
            touched.dedup();
            reflag(&mut tx, &touched).await?;
        }
        tx.commit().await?;
        Ok(created)
    }

    /// Re-evaluates the eligibility rule on every slot of a practitioner and repacks their
    /// visible free slots; to call after a change of their SAS settings, ranges, reasons or slots.
    pub async fn refresh_visibility(&self, practitioner_id: PractitionerId) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        reflag(&mut tx, &[practitioner_id]).await?;
        tx.commit().await?;
        Ok(())
    }
}
