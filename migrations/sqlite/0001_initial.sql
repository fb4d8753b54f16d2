-- Instants are UTC Unix seconds (BIGINT); local agenda times are minutes after midnight, Paris time.
-- The SQL is kept the same as the PostgreSQL schema apart from types and identity columns.

CREATE TABLE practitioners (
    id INTEGER PRIMARY KEY,
    rpps TEXT NOT NULL UNIQUE,
    civility TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    specialty TEXT NOT NULL,
    address TEXT NOT NULL,
    postcode TEXT NOT NULL,
    city TEXT NOT NULL,
    insee_code TEXT NOT NULL,
    departement TEXT NOT NULL,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL,
    phone TEXT,
    sas_registered BOOLEAN NOT NULL DEFAULT FALSE,
    accepts_new_patients BOOLEAN NOT NULL DEFAULT FALSE,
    booking_notice TEXT NOT NULL DEFAULT ''
);
CREATE INDEX practitioners_departement ON practitioners (departement, sas_registered);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'regulator', 'practitioner')),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    practitioner_id BIGINT REFERENCES practitioners (id),
    created_at BIGINT NOT NULL,
    CHECK ((role = 'practitioner') = (practitioner_id IS NOT NULL))
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE reasons (
    id INTEGER PRIMARY KEY,
    practitioner_id BIGINT NOT NULL REFERENCES practitioners (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    duration_minutes BIGINT NOT NULL CHECK (duration_minutes > 0),
    open_to_new_patients BOOLEAN NOT NULL,
    bookable_online BOOLEAN NOT NULL,
    is_snp BOOLEAN NOT NULL DEFAULT FALSE,
    archived BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX reasons_one_snp ON reasons (practitioner_id) WHERE is_snp;

CREATE TABLE ranges (
    id INTEGER PRIMARY KEY,
    practitioner_id BIGINT NOT NULL REFERENCES practitioners (id) ON DELETE CASCADE,
    weekday BIGINT CHECK (weekday BETWEEN 1 AND 7),
    valid_from TEXT NOT NULL,
    valid_until TEXT,
    start_minute BIGINT NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute BIGINT NOT NULL CHECK (end_minute BETWEEN 1 AND 1440 AND end_minute > start_minute),
    slot_minutes BIGINT NOT NULL CHECK (slot_minutes > 0),
    mode TEXT NOT NULL CHECK (mode IN ('cabinet', 'video'))
);

CREATE TABLE range_reasons (
    range_id BIGINT NOT NULL REFERENCES ranges (id) ON DELETE CASCADE,
    reason_id BIGINT NOT NULL REFERENCES reasons (id) ON DELETE CASCADE,
    PRIMARY KEY (range_id, reason_id)
);

CREATE TABLE slots (
    id INTEGER PRIMARY KEY,
    practitioner_id BIGINT NOT NULL REFERENCES practitioners (id) ON DELETE CASCADE,
    range_id BIGINT REFERENCES ranges (id) ON DELETE SET NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('cabinet', 'video')),
    UNIQUE (practitioner_id, starts_at)
);
CREATE INDEX slots_starts_at ON slots (starts_at);

CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    birth_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    phone TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE appointments (
    id INTEGER PRIMARY KEY,
    slot_id BIGINT NOT NULL REFERENCES slots (id),
    practitioner_id BIGINT NOT NULL REFERENCES practitioners (id),
    regulator_id BIGINT NOT NULL REFERENCES users (id),
    patient_id BIGINT NOT NULL REFERENCES patients (id),
    starts_at BIGINT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('cabinet', 'video')),
    status TEXT NOT NULL CHECK (status IN ('booked', 'fulfilled', 'noshow', 'cancelled')),
    created_at BIGINT NOT NULL
);
-- Two active appointments on one slot are impossible.
CREATE UNIQUE INDEX appointments_one_active_per_slot ON appointments (slot_id) WHERE status <> 'cancelled';
CREATE INDEX appointments_practitioner ON appointments (practitioner_id, starts_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    ip TEXT
);
