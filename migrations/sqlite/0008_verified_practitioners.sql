-- Verified practitioners only: a practitioner's account confirms its e-mail address by a
-- single-use link, their participation in the SAS is a request the administration of their
-- département approves, refuses or suspends, and the RPPS number is checked against the
-- imported national directory (Annuaire Santé).

-- Accounts made before this version were confirmed by their invitation link (regulators,
-- administrators) or are kept as they were (practitioners): their address counts as confirmed.
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
UPDATE users SET email_verified_at = created_at;
-- The département an administrator answers for; NULL: every département.
ALTER TABLE users ADD COLUMN departement TEXT;

-- `sas_registered` stays the flag the search reads; the store keeps it equal to
-- (sas_status = 'approved'), both written by the same statement.
ALTER TABLE practitioners ADD COLUMN sas_status TEXT NOT NULL DEFAULT 'none'
    CHECK (sas_status IN ('none', 'requested', 'approved', 'refused', 'suspended'));
UPDATE practitioners SET sas_status = 'approved' WHERE sas_registered;
ALTER TABLE practitioners ADD COLUMN sas_status_reason TEXT;
ALTER TABLE practitioners ADD COLUMN sas_status_at BIGINT;
CREATE INDEX practitioners_sas_status ON practitioners (sas_status, departement);

-- Single-use links gain the purpose 'confirm' (an account's e-mail address). SQLite cannot
-- change a CHECK constraint: the table is rebuilt (nothing references it).
CREATE TABLE account_tokens_new (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset', 'confirm')),
    regulator_id BIGINT REFERENCES regulators (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    CHECK ((purpose = 'invitation') = (regulator_id IS NOT NULL)),
    CHECK ((purpose <> 'invitation') = (user_id IS NOT NULL))
);
INSERT INTO account_tokens_new SELECT * FROM account_tokens;
DROP TABLE account_tokens;
ALTER TABLE account_tokens_new RENAME TO account_tokens;

-- Imports of the directory: searches read the newest finished one, so that an import in
-- progress (written in small batches) never shows half a directory.
CREATE TABLE rpps_imports (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    entries BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE rpps_directory (
    import_id BIGINT NOT NULL REFERENCES rpps_imports (id),
    rpps TEXT NOT NULL,
    civility TEXT NOT NULL,
    last_name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    profession TEXT NOT NULL,
    savoir_faire TEXT NOT NULL,
    commune TEXT NOT NULL,
    PRIMARY KEY (import_id, rpps)
);
