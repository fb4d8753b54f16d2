-- Regulator accounts: invitations by the SAS platform, single-use links (invitation and password
-- reset), a role 'other' for an account created with another profession than "Régulateur",
-- disabled accounts, throttling and the demo outbox.
-- SQLite cannot change a CHECK constraint, and sqlx runs a migration inside a transaction, where
-- foreign keys cannot be switched off: `users` is rebuilt with its foreign keys deferred to the
-- commit. Dropping it cascades to `sessions`, which are put back; re-inserting the users settles
-- the references of appointments and the audit log before the commit checks them.
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE users_kept AS SELECT * FROM users;
CREATE TEMP TABLE sessions_kept AS SELECT * FROM sessions;
DROP TABLE users;
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'regulator', 'practitioner', 'other')),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    practitioner_id BIGINT REFERENCES practitioners (id),
    created_at BIGINT NOT NULL,
    profession TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    CHECK ((role = 'practitioner') = (practitioner_id IS NOT NULL))
);
INSERT INTO users (id, email, password_hash, role, first_name, last_name, practitioner_id, created_at)
    SELECT id, email, password_hash, role, first_name, last_name, practitioner_id, created_at FROM users_kept;
INSERT INTO sessions SELECT * FROM sessions_kept;
DROP TABLE users_kept;
DROP TABLE sessions_kept;

-- A regulator as the SAS platform created them; `user_id` is their account once created.
CREATE TABLE regulators (
    id INTEGER PRIMARY KEY,
    civility TEXT CHECK (civility IN ('Mme', 'M.')),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    departement TEXT NOT NULL,
    invited_by BIGINT REFERENCES users (id),
    invited_at BIGINT NOT NULL,
    revoked_at BIGINT,
    user_id BIGINT UNIQUE REFERENCES users (id)
);
-- One open invitation or account per invited address.
CREATE UNIQUE INDEX regulators_open_email ON regulators (email) WHERE revoked_at IS NULL;

-- Single-use links; only the SHA-256 of the token is kept.
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    regulator_id BIGINT REFERENCES regulators (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    CHECK ((purpose = 'invitation') = (regulator_id IS NOT NULL)),
    CHECK ((purpose = 'reset') = (user_id IS NOT NULL))
);

-- Throttled attempts (failed sign-ins, reset requests), keyed by submitted address or client address.
CREATE TABLE throttle_events (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX throttle_events_key ON throttle_events (key, at);

-- Mails kept in the database when no SMTP server is configured (the demo).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    created_at BIGINT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL
);
