//! Reading subtree hashes back from storage. Level-0 hashes are `records.leaf_hash`; levels that are
//! non-zero multiples of [`STRIDE`] are in `nodes`. Any complete subtree is the perfect tree over at most
//! `2^(STRIDE-1)` stored hashes, fetched with one range scan; a whole proof is one query.

use crate::error::StoreError;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use std::collections::HashMap;
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

/// Hashes of the given complete subtrees, in order, with one query.
pub(crate) async fn subtree_hashes(
    conn: &mut SqliteConnection,
    log_id: i64,
    subtrees: &[Subtree],
) -> Result<Vec<Hash>, StoreError> {
    if subtrees.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("");
    for (i, s) in subtrees.iter().enumerate() {
        if i > 0 {
            qb.push(" UNION ALL ");
        }
        let (base, start, end) = source(*s);
        if base == 0 {
            qb.push("SELECT 0 AS level, idx, leaf_hash AS hash FROM records WHERE log_id = ");
        } else {
            qb.push("SELECT level, idx, hash FROM nodes WHERE log_id = ");
        }
        qb.push_bind(log_id);
        if base != 0 {
            qb.push(" AND level = ").push_bind(i64::from(base));
        }
        qb.push(" AND idx >= ").push_bind(start as i64).push(" AND idx < ").push_bind(end as i64);
    }
    let rows = qb.build().fetch_all(&mut *conn).await?;
    let mut found: HashMap<(u32, u64), Hash> = HashMap::with_capacity(rows.len());
    for row in rows {
        let level: i64 = row.try_get(0)?;
        let idx: i64 = row.try_get(1)?;
        let hash: Vec<u8> = row.try_get(2)?;
        let hash: Hash = hash
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("hash at level {level} index {idx} is not 32 bytes")))?;
        found.insert((level as u32, idx as u64), hash);
    }
    subtrees
        .iter()
        .map(|s| {
            let (base, start, end) = source(*s);
            let run: Option<Vec<Hash>> = (start..end).map(|i| found.get(&(base, i)).copied()).collect();
            let run = run.ok_or_else(|| StoreError::Corrupt(format!("missing stored hashes for subtree {s:?}")))?;
            Ok(merkle::root_of(&run))
        })
        .collect()
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
