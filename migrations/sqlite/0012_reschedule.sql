-- « À replanifier »: an appointment the practitioner cancelled, or that an absence covered, until
-- the regulator who booked it acknowledges it in « Mes adressages »
-- (server::store::appointments). The reason is a code: 'practitioner_cancelled' or 'absence';
-- NULL for every other appointment (a regulator's own cancellation included).
ALTER TABLE appointments ADD COLUMN reschedule_reason TEXT
    CHECK (reschedule_reason IN ('practitioner_cancelled', 'absence'));
ALTER TABLE appointments ADD COLUMN reschedule_acknowledged_at BIGINT;
-- The banner reads a regulator's unacknowledged ones.
CREATE INDEX appointments_to_reschedule ON appointments (regulator_id)
    WHERE reschedule_reason IS NOT NULL AND reschedule_acknowledged_at IS NULL;
