-- Surnuméraire (server::store::extra): a regulator asks a practitioner to see a patient beyond
-- the agenda at a proposed time; the practitioner accepts or declines within a set time.
-- Accepted, it becomes an appointment on a slot of its own outside the agenda (`slots.extra`):
-- never in the search, never regenerated, and possibly at the same time as an agenda slot, so
-- "one slot per practitioner and start" now holds for agenda slots only. SQLite cannot drop a
-- table constraint: the slots table is rebuilt with the same ids (the appointments and holds
-- pointing at them are checked when the transaction commits).
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE slots_0015 AS SELECT * FROM slots;
CREATE TEMP TABLE slot_holds_0015 AS SELECT * FROM slot_holds;
DROP TABLE slots;
CREATE TABLE slots (
    id INTEGER PRIMARY KEY,
    practitioner_id BIGINT NOT NULL REFERENCES practitioners (id) ON DELETE CASCADE,
    range_id BIGINT REFERENCES ranges (id) ON DELETE SET NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('cabinet', 'video')),
    sas_flags BIGINT NOT NULL DEFAULT 0,
    taken BOOLEAN NOT NULL DEFAULT FALSE,
    extra BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO slots (id, practitioner_id, range_id, starts_at, ends_at, mode, sas_flags, taken)
    SELECT id, practitioner_id, range_id, starts_at, ends_at, mode, sas_flags, taken FROM slots_0015;
INSERT INTO slot_holds SELECT * FROM slot_holds_0015;
DROP TABLE slots_0015;
DROP TABLE slot_holds_0015;
CREATE UNIQUE INDEX slots_agenda_start ON slots (practitioner_id, starts_at) WHERE NOT extra;
CREATE INDEX slots_starts_at ON slots (starts_at);
CREATE INDEX slots_range ON slots (range_id);
CREATE INDEX slots_search ON slots (practitioner_id, starts_at, mode) WHERE sas_flags > 0 AND NOT taken;

CREATE TABLE extra_requests (
    id INTEGER PRIMARY KEY,
    regulator_id BIGINT NOT NULL REFERENCES users (id),
    practitioner_id BIGINT NOT NULL REFERENCES practitioners (id),
    patient_id BIGINT NOT NULL REFERENCES patients (id),
    -- The proposed time of the consultation and how it is held.
    starts_at BIGINT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('cabinet', 'video')),
    message TEXT,
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'accepted', 'declined', 'expired', 'withdrawn')),
    decline_reason TEXT,
    created_at BIGINT NOT NULL,
    -- Unanswered at this instant, the request has expired.
    expires_at BIGINT NOT NULL,
    answered_at BIGINT,
    appointment_id BIGINT REFERENCES appointments (id),
    -- One request per submitted form, whatever the number of submits.
    idempotency_key TEXT NOT NULL
);
CREATE UNIQUE INDEX extra_requests_idempotency ON extra_requests (regulator_id, idempotency_key);
CREATE INDEX extra_requests_practitioner ON extra_requests (practitioner_id, created_at);
CREATE INDEX extra_requests_pending ON extra_requests (expires_at) WHERE status = 'pending';
