-- Retention: the patient data of an appointment past the retention period is erased
-- (server::retention); `erased_at` says when, and keeps it from being erased twice.
ALTER TABLE patients ADD COLUMN erased_at BIGINT;
