-- The audit log. Rows here are evidence: they are only ever inserted, never updated or deleted (the triggers
-- below enforce it). Never edit this file once released; add a new migration instead.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Names this installation's logs (checkpoint origins are "vargate-<install_id>/<tenant>").
INSERT INTO meta (key, value) VALUES ('install_id', lower(hex(randomblob(4))));

-- One append-only log per tenant.
CREATE TABLE logs (
    id         INTEGER PRIMARY KEY,
    tenant     TEXT NOT NULL UNIQUE,
    origin     TEXT NOT NULL UNIQUE,
    vkey       TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- The leaves. `leaf` is the record's RFC 8785 canonical JSON and the source of truth; `session_id`, `seq` and
-- `leaf_hash` are copies kept for chain lookups and proofs. Other fields are read from the leaf
-- (json_extract), which keeps appends lean.
CREATE TABLE records (
    log_id     INTEGER NOT NULL REFERENCES logs (id),
    idx        INTEGER NOT NULL,
    session_id TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    leaf_hash  BLOB    NOT NULL,
    leaf       BLOB    NOT NULL,
    PRIMARY KEY (log_id, idx)
) WITHOUT ROWID;

CREATE UNIQUE INDEX records_by_session ON records (log_id, session_id, seq);

-- Hashes of complete aligned subtrees at every level that is a non-zero multiple of 4 (level 0 is
-- records.leaf_hash). Any subtree hash is then at most 8 stored hashes away, so a proof is O(log n) reads.
CREATE TABLE nodes (
    log_id INTEGER NOT NULL REFERENCES logs (id),
    level  INTEGER NOT NULL,
    idx    INTEGER NOT NULL,
    hash   BLOB    NOT NULL,
    PRIMARY KEY (log_id, level, idx)
) WITHOUT ROWID;

-- Signed C2SP checkpoints, one per (log, tree size).
CREATE TABLE checkpoints (
    log_id     INTEGER NOT NULL REFERENCES logs (id),
    size       INTEGER NOT NULL,
    root       BLOB    NOT NULL,
    note       TEXT    NOT NULL,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (log_id, size)
) WITHOUT ROWID;

CREATE TRIGGER records_append_only_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER records_append_only_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER nodes_append_only_update BEFORE UPDATE ON nodes
BEGIN SELECT RAISE(ABORT, 'tree nodes are append-only'); END;
CREATE TRIGGER nodes_append_only_delete BEFORE DELETE ON nodes
BEGIN SELECT RAISE(ABORT, 'tree nodes are append-only'); END;
CREATE TRIGGER checkpoints_append_only_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_append_only_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER logs_append_only_update BEFORE UPDATE ON logs
BEGIN SELECT RAISE(ABORT, 'logs are append-only'); END;
CREATE TRIGGER logs_append_only_delete BEFORE DELETE ON logs
BEGIN SELECT RAISE(ABORT, 'logs are append-only'); END;
