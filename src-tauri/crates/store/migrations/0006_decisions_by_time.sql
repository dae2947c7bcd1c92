-- Decision records by time: what rebuilds the history policies see (an agent's governed actions of the last
-- 24 hours) after a restart, without reading the rest of the log (`Store::recent_decisions`).
--
-- Partial, so that only decision records are in it. Its condition reads the leaf's last 32 bytes rather than
-- json_extract(leaf, '$.type'): a leaf is the record's RFC 8785 form, whose members are sorted, so it always
-- ends with its "type" and "v" members. Inserting ~1 KB leaves into bare SQLite, the byte comparison cost
-- about 0.4 µs a row (within noise), a json_extract condition 4.4 µs: it parses every appended leaf. The
-- key's json_extract runs only for the decision records themselves.
CREATE INDEX records_decisions_by_time ON records (log_id, unixepoch(json_extract(leaf, '$.ts')))
    WHERE substr(leaf, -32) = CAST('"type":"vargate.decision","v":1}' AS BLOB);
