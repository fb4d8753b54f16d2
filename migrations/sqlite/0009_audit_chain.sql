-- The audit log becomes a hash chain: each entry keeps the hash of the previous one and its own
-- hash over its canonical form (server::store::journal), so that editing or deleting an entry
-- breaks the chain from there on (`sas-rdv audit verify`). Entries written before this version
-- keep no hash: the chain starts after them.
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
