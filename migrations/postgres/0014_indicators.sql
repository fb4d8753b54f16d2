-- Indicators (/indicateurs, server::store::indicators). A booking records why its slot reached
-- the SAS search (the slot's `sas_flags` at booking: 1 « Soins non programmés », 2 « Nouveaux
-- patients », 3 both; NULL for bookings made before this version, shown as « non enregistré »)
-- and its practitioner's département, so that the bookings of a period, nationally or in one
-- département, are one range of a covering index (the aggregates read no table row).
ALTER TABLE appointments ADD COLUMN sas_flags BIGINT;
ALTER TABLE appointments ADD COLUMN departement TEXT;
UPDATE appointments SET departement =
    (SELECT p.departement FROM practitioners p WHERE p.id = appointments.practitioner_id);
CREATE INDEX appointments_indicators
    ON appointments (created_at, departement, status, sas_flags, starts_at, practitioner_id);
CREATE INDEX appointments_indicators_departement
    ON appointments (departement, created_at, status, sas_flags, starts_at, practitioner_id);
