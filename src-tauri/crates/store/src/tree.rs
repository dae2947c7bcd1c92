//! Reading subtree hashes back from storage. Level-0 hashes are `records.leaf_hash`; levels that are
//! non-zero multiples of [`STRIDE`] are in `nodes`. Any complete subtree is the perfect tree over at most
//! `2^(STRIDE-1)` stored hashes, fetched with one range scan; a whole proof is one query.

use crate::error::StoreError;
use sqlx::SqliteConnection;
use vargate_proof::merkle::{self, Hash, Subtree};

/// Stored levels are the multiples of this.
pub(crate) const STRIDE: u32 = 4;

pub(crate) fn is_stored_level(level: u32) -> bool {
    level > 0 && level.is_multiple_of(STRIDE)
}

/// Where a subtree's hash comes from: the stored level below it and the run of stored hashes it covers.
fn source(s: Subtree) -> (u32, u64, u64) {
    let base = s.level - s.level % STRIDE;
    let span = 1u64 << (s.level - base);
    let first = s.index << (s.level - base);
    (base, first, first + span)
}

/// One statement for every proof: the runs to read arrive as a JSON array of `[level, start, end]`, so the
/// SQL text never changes and its prepared statement is reused; `CROSS JOIN` keeps the run list as the outer
/// loop, each run one primary-key range scan. The hashes come back as a single blob, in run order, because
/// the driver's per-row cost dwarfs SQLite's own work at this size.
const RUNS_SQL: &str = "\
    SELECT unhex(group_concat(hex(h), '' ORDER BY k, i)) FROM ( \
      SELECT j.key AS k, r.idx AS i, r.leaf_hash AS h FROM json_each(?2) AS j CROSS JOIN records AS r \
       WHERE j.value ->> 0 = 0 AND r.log_id = ?1 AND r.idx >= j.value ->> 1 AND r.idx < j.value ->> 2 \
      UNION ALL \
      SELECT j.key, n.idx, n.hash FROM json_each(?2) AS j CROSS JOIN nodes AS n \
       WHERE j.value ->> 0 > 0 AND n.log_id = ?1 AND n.level = j.value ->> 0 \
         AND n.idx >= j.value ->> 1 AND n.idx < j.value ->> 2)";

/// Hashes of the given complete subtrees, in order, with one query.
pub(crate) async fn subtree_hashes(
    conn: &mut SqliteConnection,
    log_id: i64,
    subtrees: &[Subtree],
) -> Result<Vec<Hash>, StoreError> {
    if subtrees.is_empty() {
        return Ok(Vec::new());
    }
    let runs: Vec<[u64; 3]> = subtrees
        .iter()
        .map(|s| {
            let (base, start, end) = source(*s);
            [u64::from(base), start, end]
        })
        .collect();
    let expected: u64 = runs.iter().map(|[_, start, end]| end - start).sum();
    let json = serde_json::to_string(&runs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let blob: Option<Vec<u8>> = sqlx::query_scalar(RUNS_SQL).bind(log_id).bind(json).fetch_one(&mut *conn).await?;
    let blob = blob.unwrap_or_default();
    if blob.len() as u64 != expected * 32 {
        return Err(StoreError::Corrupt(format!(
            "expected {expected} stored hashes for {} subtrees, found {}",
            subtrees.len(),
            blob.len() / 32
        )));
    }
    let mut hashes = blob.chunks_exact(32).map(|c| <Hash>::try_from(c).unwrap_or_default());
    Ok(runs
        .iter()
        .map(|[_, start, end]| {
            let run: Vec<Hash> = hashes.by_ref().take((end - start) as usize).collect();
            merkle::root_of(&run)
        })
        .collect())
}

/// The hash of each leaf range (each a node of an RFC 6962 tree), fetched together.
pub(crate) async fn range_hashes(
    conn: &mut SqliteConnection,
    log_id: i64,
    ranges: &[std::ops::Range<u64>],
) -> Result<Vec<Hash>, StoreError> {
    let pieces: Vec<Vec<Subtree>> = ranges.iter().map(|r| Subtree::decompose(r.clone())).collect();
    let flat: Vec<Subtree> = pieces.iter().flatten().copied().collect();
    let hashes = subtree_hashes(conn, log_id, &flat).await?;
    let mut at = 0;
    let mut out = Vec::with_capacity(ranges.len());
    for p in &pieces {
        let part = hashes.get(at..at + p.len()).ok_or_else(|| StoreError::Corrupt("short subtree read".into()))?;
        out.push(merkle::fold_range(part).unwrap_or_else(merkle::empty_root));
        at += p.len();
    }
    Ok(out)
}

/// The log's size as stored: one more than the highest leaf index.
pub(crate) async fn stored_size(conn: &mut SqliteConnection, log_id: i64) -> Result<u64, StoreError> {
    let size: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM records WHERE log_id = ?")
        .bind(log_id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(size as u64)
}
