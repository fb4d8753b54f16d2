-- The booking funnel (README, « Prise de rendez-vous »): holds, the patient's other INS traits,
-- the regulator's choices, answers, attachments, cancellation and outcome.

-- Opening a slot holds it for one regulator for a few minutes (domain::booking::HOLD_MINUTES);
-- while held, `slots.taken` hides it from the search. Expired holds are swept away.
CREATE TABLE slot_holds (
    slot_id BIGINT PRIMARY KEY REFERENCES slots (id) ON DELETE CASCADE,
    regulator_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX slot_holds_expiry ON slot_holds (expires_at);
CREATE INDEX slot_holds_regulator ON slot_holds (regulator_id);

-- What the regulator typed, as typed (never invented): civilité, birth place, email, address, NIR.
ALTER TABLE patients ADD COLUMN civility TEXT;
ALTER TABLE patients ADD COLUMN birth_insee TEXT;
ALTER TABLE patients ADD COLUMN birth_city TEXT;
ALTER TABLE patients ADD COLUMN birth_country TEXT;
ALTER TABLE patients ADD COLUMN email TEXT;
ALTER TABLE patients ADD COLUMN address TEXT;
ALTER TABLE patients ADD COLUMN nir TEXT;

ALTER TABLE appointments ADD COLUMN reason_name TEXT NOT NULL DEFAULT '';
ALTER TABLE appointments ADD COLUMN known_patient BOOLEAN;
ALTER TABLE appointments ADD COLUMN message TEXT;
-- One appointment per submitted form, whatever the number of submits.
ALTER TABLE appointments ADD COLUMN idempotency_key TEXT;
ALTER TABLE appointments ADD COLUMN cancelled_at BIGINT;
ALTER TABLE appointments ADD COLUMN cancel_reason TEXT;
ALTER TABLE appointments ADD COLUMN status_changed_at BIGINT;
CREATE UNIQUE INDEX appointments_idempotency ON appointments (regulator_id, idempotency_key);
CREATE INDEX appointments_regulator ON appointments (regulator_id, created_at);

CREATE TABLE appointment_answers (
    appointment_id BIGINT NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    question_id BIGINT NOT NULL,
    label TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (appointment_id, question_id)
);

-- Files are streamed to the data directory; the row says whose they are. An upload belongs to
-- its regulator until a booking links it to the appointment.
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    -- Random, unguessable: names the file on disk and the upload in the booking form.
    token TEXT NOT NULL UNIQUE,
    regulator_id BIGINT NOT NULL REFERENCES users (id),
    appointment_id BIGINT REFERENCES appointments (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_appointment ON attachments (appointment_id);
