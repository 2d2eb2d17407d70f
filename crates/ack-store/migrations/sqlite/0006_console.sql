-- Console sessions: the browser holds a random token in an HttpOnly cookie; only its SHA-256
-- is kept, so a copy of the database opens no session. Every replica sees every session.
CREATE TABLE console_sessions (
    token_hash    TEXT PRIMARY KEY,
    account       TEXT NOT NULL,
    access_key_id TEXT NOT NULL,
    csrf          TEXT NOT NULL,
    created_ms    BIGINT NOT NULL,
    expires_ms    BIGINT NOT NULL
);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_ms);

-- The console's cluster search filters by an add-on's version across 100,000 clusters.
CREATE INDEX addon_instances_by_version ON addon_instances (name, version);
