-- Signature nonces as 64-bit hashes (the first 8 bytes of the nonce's SHA-256), as on
-- PostgreSQL; SQLite's own nonces live in memory, this table serves the shared code path.
DROP TABLE nonces;
CREATE TABLE nonces (
    h       INTEGER PRIMARY KEY,
    seen_at INTEGER NOT NULL
);
CREATE INDEX nonces_by_age ON nonces (seen_at);
