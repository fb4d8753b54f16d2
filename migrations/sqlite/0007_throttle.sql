-- Sign-in attempts are counted before the password is checked: one row per key (an address
-- typed, a trusted browser, a client address) holding its window's start and its attempts,
-- updated in one atomic upsert, so that parallel attempts cannot all pass the check.
CREATE TABLE throttle_counters (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    attempts BIGINT NOT NULL
);

-- Browsers that have signed in to an account (the « device cookie » of OWASP): their attempts
-- are counted apart, so that an attack on the account from elsewhere does not lock them out.
CREATE TABLE trusted_devices (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX trusted_devices_expiry ON trusted_devices (expires_at);

-- A session also ends after a while without use: `idle_until` slides forward as it is used
-- (NULL for the sessions opened before this column).
ALTER TABLE sessions ADD COLUMN idle_until BIGINT;
