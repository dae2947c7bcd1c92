-- The log at scale: appends no longer maintain a per-session B-tree. The `records_by_session` index (TEXT
-- session id, seq) outgrew the page cache as the log grew, and then nearly every appended record dirtied a
-- different index page. Instead:
--   * session ids are interned (`sessions`), and each record links to the previous record of its session
--     (`prev_idx`, NULL for seq 0), which the writer knows from the session heads it keeps in memory;
--   * `session_index` lists each session's leaf indices in runs of at most 1024 consecutive seqs, written
--     whole: a run when a session completes 1024 unindexed records, and every session's shorter run when the
--     log has grown by 2^18 records since the last such flush (`session_index_size`). Reading a session is
--     then its runs plus a walk along `prev_idx` from its head over fewer than 1024 records.
-- Every table here is derived from the leaves; `check_integrity` recomputes all of it.
-- The upgrade rewrites `records` once; freed pages need not be zeroed (they hold the same rows).
PRAGMA secure_delete = OFF;

CREATE TABLE sessions (
    id     INTEGER PRIMARY KEY,
    log_id INTEGER NOT NULL REFERENCES logs (id),
    name   TEXT    NOT NULL,
    UNIQUE (log_id, name)
);
-- Ids in order of last activity: the live sessions' heads then share the last pages of `session_heads`.
INSERT INTO sessions (log_id, name) SELECT log_id, session_id FROM session_heads ORDER BY idx, log_id;

CREATE TRIGGER sessions_append_only_update BEFORE UPDATE ON sessions
BEGIN SELECT RAISE(ABORT, 'sessions are append-only'); END;
CREATE TRIGGER sessions_append_only_delete BEFORE DELETE ON sessions
BEGIN SELECT RAISE(ABORT, 'sessions are append-only'); END;

-- `records`, rebuilt with the interned session and the link to the session's previous record (in index order,
-- so that rows are appended). A record whose session is missing fails the upgrade on `NOT NULL`, never drops.
-- `session` has no foreign key: the probe would cost every append; `check_integrity` verifies it instead.
DROP TRIGGER records_append_only_update;
DROP TRIGGER records_append_only_delete;
ALTER TABLE records RENAME TO records_v4;
CREATE TABLE records (
    log_id    INTEGER NOT NULL REFERENCES logs (id),
    idx       INTEGER NOT NULL,
    session   INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    prev_idx  INTEGER,
    leaf_hash BLOB    NOT NULL,
    leaf      BLOB    NOT NULL,
    PRIMARY KEY (log_id, idx)
) WITHOUT ROWID;
INSERT INTO records (log_id, idx, session, seq, prev_idx, leaf_hash, leaf)
SELECT r.log_id, r.idx, s.id, r.seq,
       (SELECT p.idx FROM records_v4 p WHERE p.log_id = r.log_id AND p.session_id = r.session_id AND p.seq = r.seq - 1),
       r.leaf_hash, r.leaf
  FROM records_v4 r LEFT JOIN sessions s ON s.log_id = r.log_id AND s.name = r.session_id
 ORDER BY r.log_id, r.idx;
CREATE TRIGGER records_append_only_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER records_append_only_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;

-- Runs of a session's leaf indices: `idxs` holds those of seqs first_seq, first_seq + 1, … as 5-byte
-- big-endian integers. A rowid table, so that a flush's rows go to its end rather than one page per session.
CREATE TABLE session_index (
    id        INTEGER PRIMARY KEY,
    session   INTEGER NOT NULL REFERENCES sessions (id),
    first_seq INTEGER NOT NULL,
    idxs      BLOB    NOT NULL
);
CREATE UNIQUE INDEX session_index_by_seq ON session_index (session, first_seq);
CREATE TRIGGER session_index_append_only_update BEFORE UPDATE ON session_index
BEGIN SELECT RAISE(ABORT, 'the session index is append-only'); END;
CREATE TRIGGER session_index_append_only_delete BEFORE DELETE ON session_index
BEGIN SELECT RAISE(ABORT, 'the session index is append-only'); END;

-- Every session of the log is indexed up to its head as of `size` records: records below it are all in
-- `session_index`, so the writer rebuilds its unindexed runs from `records` at and after it.
CREATE TABLE session_index_size (
    log_id INTEGER PRIMARY KEY REFERENCES logs (id),
    size   INTEGER NOT NULL
);

-- The existing log, fully indexed: each session's indices in seq order (read in the order of the old index,
-- so nothing is sorted), cut into runs of 1024.
WITH RECURSIVE whole (session, idxs) AS (
    SELECT (SELECT id FROM sessions s WHERE s.log_id = r.log_id AND s.name = r.session_id),
           unhex(group_concat(printf('%010x', r.idx), '' ORDER BY r.seq))
      FROM records_v4 r GROUP BY r.log_id, r.session_id
), piece (n) AS (
    SELECT 0 UNION ALL SELECT n + 1 FROM piece WHERE n < (SELECT MAX(seq) FROM session_heads) / 1024
)
INSERT INTO session_index (session, first_seq, idxs)
SELECT w.session, p.n * 1024, substr(w.idxs, p.n * 5120 + 1, 5120)
  FROM whole w CROSS JOIN piece p
 WHERE p.n * 5120 < length(w.idxs)
 ORDER BY 1, 2;
INSERT INTO session_index_size (log_id, size)
SELECT id, COALESCE((SELECT MAX(idx) + 1 FROM records_v4 r WHERE r.log_id = logs.id), 0) FROM logs;

-- Session heads, keyed by the interned id; `indexed` is how many of the session's records (from seq 0) are in
-- `session_index`. The writer moves a head on with each append, in the same transaction.
ALTER TABLE session_heads RENAME TO session_heads_v4;
CREATE TABLE session_heads (
    session   INTEGER PRIMARY KEY REFERENCES sessions (id),
    seq       INTEGER NOT NULL,
    leaf_hash BLOB    NOT NULL,
    idx       INTEGER NOT NULL,
    indexed   INTEGER NOT NULL
);
INSERT INTO session_heads (session, seq, leaf_hash, idx, indexed)
SELECT s.id, h.seq, h.leaf_hash, h.idx, h.seq + 1
  FROM session_heads_v4 h JOIN sessions s ON s.log_id = h.log_id AND s.name = h.session_id;

DROP TABLE session_heads_v4;
DROP TABLE records_v4;
PRAGMA secure_delete = ON;
