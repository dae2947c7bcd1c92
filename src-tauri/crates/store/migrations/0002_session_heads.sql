-- Session heads: every session's last record, kept by the writer in the same transaction as the records.
-- Checkpoints commit to the Merkle map of these heads (docs/proof-format.md §5), so that a proof file can
-- show its session was not cut short. Unlike the audit tables, rows here change (a head moves on with each
-- append): the table is derived state, rebuilt from `records` by this migration, never evidence itself.
CREATE TABLE session_heads (
    log_id     INTEGER NOT NULL REFERENCES logs (id),
    session_id TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    leaf_hash  BLOB    NOT NULL,
    idx        INTEGER NOT NULL,
    PRIMARY KEY (log_id, session_id)
) WITHOUT ROWID;

INSERT INTO session_heads (log_id, session_id, seq, leaf_hash, idx)
SELECT r.log_id, r.session_id, r.seq, r.leaf_hash, r.idx
  FROM records r
  JOIN (SELECT log_id, session_id, MAX(seq) AS seq FROM records GROUP BY log_id, session_id) last
    ON r.log_id = last.log_id AND r.session_id = last.session_id AND r.seq = last.seq;

-- Checkpoints gain the session-heads root they commit to, and a log may now hold more than one checkpoint
-- of the same size: an upgraded log's checkpoint without a heads commitment is followed, at the same size,
-- by one with it. The old rows are copied unchanged (their notes still verify); the append-only triggers
-- come back with the table.
DROP TRIGGER checkpoints_append_only_update;
DROP TRIGGER checkpoints_append_only_delete;
ALTER TABLE checkpoints RENAME TO checkpoints_v1;
CREATE TABLE checkpoints (
    id         INTEGER PRIMARY KEY,
    log_id     INTEGER NOT NULL REFERENCES logs (id),
    size       INTEGER NOT NULL,
    root       BLOB    NOT NULL,
    heads_root BLOB,
    note       TEXT    NOT NULL,
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO checkpoints (log_id, size, root, heads_root, note, created_at)
SELECT log_id, size, root, NULL, note, created_at FROM checkpoints_v1 ORDER BY log_id, size;
DROP TABLE checkpoints_v1;
CREATE INDEX checkpoints_by_size ON checkpoints (log_id, size, id);

CREATE TRIGGER checkpoints_append_only_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_append_only_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
