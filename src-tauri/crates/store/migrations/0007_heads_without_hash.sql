-- Session heads without their leaf hash. The writer moves one head per session a commit touches (a thousand
-- rows a commit when a thousand sessions are live), and in bare SQLite upserting 1,000 rows that carry a
-- 32-byte hash took four times as long as without it (2.0 against 0.5 ms). Only the writer needs the hash,
-- once, when it loads a log: it takes it from the head's record (`records` by (log_id, idx), whose leaf hash
-- `check_integrity` verifies against the leaf).
ALTER TABLE session_heads DROP COLUMN leaf_hash;
