-- The indicators' counts (/indicateurs, server::store::indicators), kept up to date in the
-- transaction of every booking and change of status (`Store::count_appointment`), so that a
-- period is read from rows per day instead of every booking. `day` is the Paris date of the
-- booking in days since 1970-01-01 (here from the EU summer-time rule: last Sunday of March to
-- last Sunday of October, 01:00 UTC; PostgreSQL uses its time zone data).
-- Bookings per day and département ('' when unknown): total, by outcome, by kind of slot
-- (`sas_flags` 1, 2, 3, 4 for a surnuméraire outside the agenda; the rest « non enregistré »). Counts are INTEGER: PostgreSQL sums them
-- as BIGINT, much faster than its NUMERIC sums of BIGINT.
CREATE TABLE indicator_days (
    day BIGINT NOT NULL,
    departement TEXT NOT NULL,
    bookings INTEGER NOT NULL,
    booked INTEGER NOT NULL,
    fulfilled INTEGER NOT NULL,
    noshow INTEGER NOT NULL,
    cancelled INTEGER NOT NULL,
    snp INTEGER NOT NULL,
    new_patients INTEGER NOT NULL,
    snp_new INTEGER NOT NULL,
    extra INTEGER NOT NULL,
    PRIMARY KEY (day, departement)
);
CREATE INDEX indicator_days_departement ON indicator_days (departement, day);
-- Bookings per day, scope ('*': all départements, else one) and delay from booking to
-- appointment in minutes, whole hours from one day on (what « 3 j 4 h » shows).
CREATE TABLE indicator_delays (
    scope TEXT NOT NULL,
    day BIGINT NOT NULL,
    delay BIGINT NOT NULL,
    bookings INTEGER NOT NULL,
    PRIMARY KEY (scope, day, delay)
);
-- Appointments not cancelled per day, département and practitioner (the top practitioners).
CREATE TABLE indicator_practitioners (
    day BIGINT NOT NULL,
    departement TEXT NOT NULL,
    practitioner_id BIGINT NOT NULL,
    appointments INTEGER NOT NULL,
    PRIMARY KEY (day, departement, practitioner_id)
);
CREATE INDEX indicator_practitioners_departement
    ON indicator_practitioners (departement, day, practitioner_id, appointments);

CREATE TEMPORARY TABLE counted AS
SELECT (created_at + 3600 + CASE
            WHEN created_at >= CAST(strftime('%s', created_at, 'unixepoch', 'start of year',
                    '+2 months', '+24 days', 'weekday 0') AS INTEGER) + 3600
                AND created_at < CAST(strftime('%s', created_at, 'unixepoch', 'start of year',
                    '+9 months', '+24 days', 'weekday 0') AS INTEGER) + 3600
            THEN 3600 ELSE 0 END) / 86400 AS day,
       COALESCE(departement, '') AS departement, practitioner_id, status, sas_flags,
       CASE WHEN starts_at - created_at >= 86400 THEN (starts_at - created_at) / 3600 * 60
            ELSE (starts_at - created_at) / 60 END AS delay
FROM appointments;
INSERT INTO indicator_days
SELECT day, departement, COUNT(*),
       SUM(CASE WHEN status = 'booked' THEN 1 ELSE 0 END),
       SUM(CASE WHEN status = 'fulfilled' THEN 1 ELSE 0 END),
       SUM(CASE WHEN status = 'noshow' THEN 1 ELSE 0 END),
       SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END),
       SUM(CASE WHEN sas_flags = 1 THEN 1 ELSE 0 END),
       SUM(CASE WHEN sas_flags = 2 THEN 1 ELSE 0 END),
       SUM(CASE WHEN sas_flags = 3 THEN 1 ELSE 0 END),
       SUM(CASE WHEN sas_flags = 4 THEN 1 ELSE 0 END)
FROM counted GROUP BY day, departement;
INSERT INTO indicator_delays
SELECT '*', day, delay, COUNT(*) FROM counted GROUP BY day, delay;
INSERT INTO indicator_delays
SELECT departement, day, delay, COUNT(*) FROM counted GROUP BY departement, day, delay;
INSERT INTO indicator_practitioners
SELECT day, departement, practitioner_id, COUNT(*) FROM counted WHERE status <> 'cancelled'
GROUP BY day, departement, practitioner_id;
DROP TABLE counted;
-- Migration 0014's covering indexes served only the indicators' former GROUP BYs.
DROP INDEX appointments_indicators;
DROP INDEX appointments_indicators_departement;
