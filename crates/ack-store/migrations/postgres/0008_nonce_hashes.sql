-- Signature nonces as 64-bit hashes (the first 8 bytes of the nonce's SHA-256): an integer key
-- compares and indexes in a fraction of a collated text's time, which every signed call pays
-- once. Rows arrive in time order, so a BRIN index finds the expired ones for next to nothing
-- kept per insert. The nonces of the old table are dropped: a replay of a call made in the
-- 15 minutes before the upgrade is not recognised.
DROP TABLE nonces;
CREATE TABLE nonces (
    h       BIGINT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
CREATE INDEX nonces_by_age ON nonces USING brin (seen_at);
