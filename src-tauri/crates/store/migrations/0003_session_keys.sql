-- Per-session data keys, each wrapped (AES-256-GCM) by the tenant's data key in the OS keychain. They seal
-- the originals of redacted PII. Like session_heads this is not evidence: deleting a row (or the tenant's key
-- in the keychain) crypto-shreds that session's sealed data while every record and proof stays intact.
-- secure_delete (set on every connection) overwrites a deleted row's bytes in the database file.
CREATE TABLE session_keys (
    log_id     INTEGER NOT NULL REFERENCES logs (id),
    session_id TEXT    NOT NULL,
    wrapped    BLOB    NOT NULL,
    PRIMARY KEY (log_id, session_id)
) WITHOUT ROWID;
