-- The administrators' journal filters the audit log by period, account, action and appointment,
-- newest first (server::store::journal::audit_filter): one index per filter, so that a page or
-- a count reads the matching entries only.
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_subject ON audit_log (subject);
