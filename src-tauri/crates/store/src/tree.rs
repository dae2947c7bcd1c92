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

/// Runs of one level closer than this are read as one: a seek costs SQLite about as much as reading this many
/// hashes in order (a dense session's proof asks for ~3 short runs per record, nearly all of them adjacent).
const MERGE_GAP: u64 = 16;

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
    let (spans, offsets) = merge(&runs);
    let expected: u64 = spans.iter().map(|[_, start, end]| end - start).sum();
    let json = serde_json::to_string(&spans).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let blob: Option<Vec<u8>> = sqlx::query_scalar(RUNS_SQL).bind(log_id).bind(json).fetch_one(&mut *conn).await?;
    let blob = blob.unwrap_or_default();
    if blob.len() as u64 != expected * 32 {
        return Err(StoreError::Corrupt(format!(
            "expected {expected} stored hashes for {} subtrees, found {}",
            subtrees.len(),
            blob.len() / 32
        )));
    }
    let hashes: Vec<Hash> = blob.chunks_exact(32).map(|c| <Hash>::try_from(c).unwrap_or_default()).collect();
    runs.iter()
        .zip(offsets)
        .map(|([_, start, end], at)| {
            let run = hashes.get(at as usize..(at + end - start) as usize);
            run.map(merkle::root_of).ok_or_else(|| StoreError::Corrupt("short subtree read".into()))
        })
        .collect()
}

/// The runs to read, as spans of one level each (sorted; overlapping or nearby runs joined), and where each
/// run starts in the spans' concatenation.
fn merge(runs: &[[u64; 3]]) -> (Vec<[u64; 3]>, Vec<u64>) {
    let mut order: Vec<usize> = (0..runs.len()).collect();
    order.sort_unstable_by_key(|&i| runs.get(i).map(|[base, start, _]| (*base, *start)));
    let mut spans: Vec<[u64; 3]> = Vec::new();
    let mut offsets = vec![0u64; runs.len()];
    // Where the last span starts in the concatenation.
    let mut span_at = 0;
    for i in order {
        let Some(&[base, start, end]) = runs.get(i) else { continue };
        match spans.last_mut() {
            Some(span) if span[0] == base && start <= span[2] + MERGE_GAP => span[2] = span[2].max(end),
            last => {
                span_at += last.map_or(0, |[_, s, e]| *e - *s);
                spans.push([base, start, end]);
            }
        }
        if let (Some(offset), Some([_, span_start, _])) = (offsets.get_mut(i), spans.last()) {
            *offset = span_at + (start - span_start);
        }
    }
    (spans, offsets)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearby_runs_of_a_level_are_read_as_one_span() {
        // (level, start, end): out of order, overlapping, adjacent, within and beyond the gap, two levels.
        let runs = [[0, 40, 41], [0, 0, 4], [4, 3, 4], [0, 4, 6], [0, 100, 108], [0, 2, 3], [4, 0, 1], [0, 21, 22]];
        let (spans, offsets) = merge(&runs);
        // 21 is within MERGE_GAP of 6, 40 is not of 22; the level-4 runs join too.
        assert_eq!(spans, vec![[0, 0, 22], [0, 40, 41], [0, 100, 108], [4, 0, 4]]);
        // Each run's place in the concatenation of the spans (22 + 1 + 8 + 4 hashes).
        assert_eq!(offsets, vec![22, 0, 22 + 1 + 8 + 3, 4, 23, 2, 31, 21]);
        assert_eq!(merge(&[]), (vec![], vec![]));
    }
}
