-- Practitioner side: absences, extra booking requirements and questions.
-- Instants are UTC Unix seconds (BIGINT), as in 0001.

-- Patient fields required beyond the default five, as comma-separated codes (domain::practitioner::ExtraField).
ALTER TABLE practitioners ADD COLUMN extra_fields TEXT NOT NULL DEFAULT '';

CREATE TABLE absences (
    id INTEGER PRIMARY KEY,
    practitioner_id BIGINT NOT NULL REFERENCES practitioners (id) ON DELETE CASCADE,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL CHECK (ends_at > starts_at),
    label TEXT NOT NULL DEFAULT ''
);
CREATE INDEX absences_practitioner ON absences (practitioner_id, starts_at);

-- Free-text questions the regulator answers when booking.
CREATE TABLE booking_questions (
    id INTEGER PRIMARY KEY,
    practitioner_id BIGINT NOT NULL REFERENCES practitioners (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    required BOOLEAN NOT NULL,
    archived BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX ranges_practitioner ON ranges (practitioner_id);
CREATE INDEX slots_range ON slots (range_id);
CREATE INDEX reasons_practitioner ON reasons (practitioner_id);
