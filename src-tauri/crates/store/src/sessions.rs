//! A session's records without a per-session B-tree on the append path. Each record links to the previous
//! record of its session (`records.prev_idx`), and `session_index` holds a session's leaf indices in runs of at
//! most [`RUN`] consecutive seqs, each written whole by the writer (`writer::index`). A session's head row says
//! how many of its records the runs cover (`indexed`); the others, always fewer than [`RUN`], are found by
//! walking `prev_idx` back from the head. Readers need nothing from the writer's memory, so any process reads.

use crate::error::StoreError;
use sqlx::SqliteConnection;
use std::ops::Range;

/// Most seqs in one `session_index` run; also the bound on a walk along `prev_idx`.
pub(crate) const RUN: u64 = 1024;
/// Bytes per leaf index in a run (big-endian; 2^40 records).
const IDX_BYTES: usize = 5;

pub(crate) fn idx_bytes(idx: u64) -> [u8; IDX_BYTES] {
    let b = idx.to_be_bytes();
    [b[3], b[4], b[5], b[6], b[7]]
}

pub(crate) fn encode(idxs: &[u64], out: &mut Vec<u8>) {
    for i in idxs {
        out.extend_from_slice(&idx_bytes(*i));
    }
}

pub(crate) fn decode(run: &[u8]) -> Result<Vec<u64>, StoreError> {
    if run.is_empty() || !run.len().is_multiple_of(IDX_BYTES) || run.len() / IDX_BYTES > RUN as usize {
        return Err(StoreError::Corrupt(format!("a session index run of {} bytes", run.len())));
    }
    Ok(run.chunks_exact(IDX_BYTES).map(|c| c.iter().fold(0u64, |n, b| n << 8 | u64::from(*b))).collect())
}

/// A session's head as stored: its interned id, last record and how many of its records are in runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head {
    pub id: i64,
    pub seq: u64,
    pub idx: u64,
    pub indexed: u64,
}

impl Head {
    pub fn len(&self) -> u64 {
        self.seq + 1
    }
}

pub(crate) async fn head(conn: &mut SqliteConnection, log_id: i64, name: &str) -> Result<Option<Head>, StoreError> {
    let row: Option<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT s.id, h.seq, h.idx, h.indexed FROM sessions s JOIN session_heads h ON h.session = s.id \
          WHERE s.log_id = ? AND s.name = ?",
    )
    .bind(log_id)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(id, seq, idx, indexed)| Head { id, seq: seq as u64, idx: idx as u64, indexed: indexed as u64 }))
}

/// The runs that hold seqs `from..to`: the last run starting at or before `from`, and those after it.
const RUNS_SQL: &str = "\
    SELECT first_seq, idxs FROM session_index \
     WHERE session = ?1 AND first_seq < ?3 \
       AND first_seq >= (SELECT COALESCE(MAX(first_seq), 0) FROM session_index WHERE session = ?1 AND first_seq <= ?2) \
     ORDER BY first_seq";

/// From the head back along `prev_idx` to seq ?3, each step exactly one seq down (a bad link cannot loop).
const WALK_SQL: &str = "\
    WITH RECURSIVE walk (idx, seq, prev) AS ( \
      SELECT idx, seq, prev_idx FROM records WHERE log_id = ?1 AND idx = ?2 \
      UNION ALL \
      SELECT r.idx, r.seq, r.prev_idx FROM walk AS w CROSS JOIN records AS r \
       WHERE w.seq > ?3 AND r.log_id = ?1 AND r.idx = w.prev AND r.seq = w.seq - 1) \
    SELECT COUNT(*), COALESCE(group_concat(idx, ',' ORDER BY seq), '') FROM walk";

/// Leaf indices of the session's records with seqs in `seqs` (cut at the head), in seq order.
pub(crate) async fn indices(
    conn: &mut SqliteConnection,
    log_id: i64,
    head: &Head,
    seqs: Range<u64>,
) -> Result<Vec<u64>, StoreError> {
    let end = seqs.end.min(head.len());
    let start = seqs.start.min(end);
    let split = head.indexed.clamp(start, end);
    let corrupt = |what: &str| StoreError::Corrupt(format!("session {}: {what}", head.id));
    let mut out = Vec::with_capacity((end - start) as usize);
    if start < split {
        let runs: Vec<(i64, Vec<u8>)> =
            sqlx::query_as(RUNS_SQL).bind(head.id).bind(start as i64).bind(split as i64).fetch_all(&mut *conn).await?;
        let mut next = None;
        for (first, run) in runs {
            let first = first as u64;
            if next.is_some_and(|n| n != first) {
                return Err(corrupt("its index runs are not contiguous"));
            }
            let idxs = decode(&run)?;
            next = Some(first + idxs.len() as u64);
            let lo = start.saturating_sub(first) as usize;
            let hi = (split - first).min(idxs.len() as u64) as usize;
            out.extend(idxs.get(lo..hi).unwrap_or_default());
        }
        if out.len() as u64 != split - start {
            return Err(corrupt("its index runs miss records"));
        }
    }
    if split < end {
        let (count, list): (i64, String) = sqlx::query_as(WALK_SQL)
            .bind(log_id)
            .bind(head.idx as i64)
            .bind(split as i64)
            .fetch_one(&mut *conn)
            .await?;
        if count as u64 != head.len() - split {
            return Err(corrupt("its prev_idx chain is broken"));
        }
        let walked = list.split(',').map(|i| i.parse::<u64>().map_err(|_| corrupt("unreadable walk")));
        for idx in walked.take((end - split) as usize) {
            out.push(idx?);
        }
    }
    Ok(out)
}

/// The records at `idxs` (the session's seqs from `first_seq` on, in order) that pass the filters (JSON
/// arrays of types and decisions, `[]` for any), at most `limit` (negative: all). Each row is checked to be
/// the session's record at its seq, so a damaged index fails instead of showing another session's record.
const FETCH_SQL: &str = "\
    SELECT j.key, r.idx, r.session, r.seq, r.leaf FROM json_each(?2) AS j CROSS JOIN records AS r \
     WHERE r.log_id = ?1 AND r.idx = j.value \
       AND (?3 = '[]' OR json_extract(r.leaf, '$.type') IN (SELECT value FROM json_each(?3))) \
       AND (?4 = '[]' OR json_extract(r.leaf, '$.decision') IN (SELECT value FROM json_each(?4))) \
     ORDER BY j.key LIMIT ?5";

/// Filters of a fetch: JSON arrays of record types and decisions, `[]` for any.
pub(crate) struct Filters<'a> {
    pub types: &'a str,
    pub decisions: &'a str,
}

pub(crate) const ANY: Filters<'static> = Filters { types: "[]", decisions: "[]" };

pub(crate) async fn fetch(
    conn: &mut SqliteConnection,
    log_id: i64,
    head: &Head,
    first_seq: u64,
    idxs: &[u64],
    filters: &Filters<'_>,
    limit: i64,
) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
    let mut out = Vec::with_capacity(if limit < 0 { idxs.len() } else { idxs.len().min(limit as usize) });
    // Bounded statements: a session may have millions of records.
    for (n, part) in idxs.chunks(1 << 16).enumerate() {
        let json = serde_json::to_string(part).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let wanted = if limit < 0 { -1 } else { limit - out.len() as i64 };
        if wanted == 0 {
            break;
        }
        let rows: Vec<(i64, i64, i64, i64, Vec<u8>)> = sqlx::query_as(FETCH_SQL)
            .bind(log_id)
            .bind(json)
            .bind(filters.types)
            .bind(filters.decisions)
            .bind(wanted)
            .fetch_all(&mut *conn)
            .await?;
        let base = first_seq + (n << 16) as u64;
        for (key, idx, session, seq, leaf) in rows {
            if session != head.id || seq as u64 != base + key as u64 {
                return Err(StoreError::Corrupt(format!(
                    "leaf {idx} is not record {} of its session",
                    base + key as u64
                )));
            }
            out.push((idx as u64, leaf));
        }
    }
    if filters.types == "[]" && filters.decisions == "[]" && limit < 0 && out.len() != idxs.len() {
        return Err(StoreError::Corrupt(format!("session {}: indexed records are missing", head.id)));
    }
    Ok(out)
}

/// All of a session's records from seq 0 to `len`, in order.
pub(crate) async fn all(
    conn: &mut SqliteConnection,
    log_id: i64,
    head: &Head,
    len: u64,
) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
    let idxs = indices(conn, log_id, head, 0..len).await?;
    let mut out = Vec::with_capacity(idxs.len());
    for part in idxs.chunks(1 << 16) {
        let first_seq = out.len() as u64;
        let dense = match (part.first(), part.last()) {
            // A damaged index may list leaves out of order: no overflow, and the scan then fails its check.
            (Some(first), Some(last)) => last.saturating_sub(*first) < DENSE * part.len() as u64,
            _ => false,
        };
        out.extend(match dense {
            true => scan(conn, log_id, head, first_seq, part).await?,
            false => fetch(conn, log_id, head, first_seq, part, &ANY, -1).await?,
        });
    }
    Ok(out)
}

/// A run of a session's records that holds at least one in this many of the log's records is read by a range
/// scan ([`SCAN_SQL`]) rather than looked up one by one ([`FETCH_SQL`]): a page holds about twenty records, so
/// at this density the scan reads nearly the same pages, in order, and nothing needs sorting (a dense
/// session's proof at 1M records read its 100k records in half the time).
const DENSE: u64 = 16;

/// The session's records with leaf indices in `?2..=?3`, in order: the primary key's order, no sort.
const SCAN_SQL: &str = "\
    SELECT idx, seq, leaf FROM records WHERE log_id = ?1 AND idx >= ?2 AND idx <= ?3 AND session = ?4 ORDER BY idx";

/// The records at `idxs` (the session's seqs from `first_seq` on, in order) by one range scan, checked to be
/// exactly those: a record of the session that its index misses fails the read as a damaged index does.
async fn scan(
    conn: &mut SqliteConnection,
    log_id: i64,
    head: &Head,
    first_seq: u64,
    idxs: &[u64],
) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
    let (Some(first), Some(last)) = (idxs.first(), idxs.last()) else { return Ok(Vec::new()) };
    let rows: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(SCAN_SQL)
        .bind(log_id)
        .bind(*first as i64)
        .bind(*last as i64)
        .bind(head.id)
        .fetch_all(&mut *conn)
        .await?;
    if rows.len() != idxs.len() {
        return Err(StoreError::Corrupt(format!(
            "session {}: {} records between leaves {first} and {last}, its index holds {}",
            head.id,
            rows.len(),
            idxs.len()
        )));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (n, ((idx, seq, leaf), want)) in rows.into_iter().zip(idxs).enumerate() {
        let expected = first_seq + n as u64;
        if idx as u64 != *want || seq as u64 != expected {
            return Err(StoreError::Corrupt(format!("leaf {idx} is not record {expected} of its session")));
        }
        out.push((idx as u64, leaf));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_round_trip() {
        let idxs = [0, 1, 255, 256, 65_535, (1 << 40) - 1];
        let mut blob = Vec::new();
        super::encode(&idxs, &mut blob);
        assert_eq!(blob.len(), 30);
        assert_eq!(super::decode(&blob).unwrap(), idxs);
        assert!(super::decode(&blob[..29]).is_err() && super::decode(&[]).is_err());
    }
}
