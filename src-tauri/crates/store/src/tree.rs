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

/// Where a subtree's hash comes from: the stored level below it and the run of stored hashes it covers, as
/// `[level, start, end]`.
fn run(s: Subtree) -> [u64; 3] {
    let base = s.level - s.level % STRIDE;
    let span = 1u64 << (s.level - base);
    let first = s.index << (s.level - base);
    [u64::from(base), first, first + span]
}

/// Short spans are read together with one statement: the runs to read arrive as a JSON array of
/// `[level, start, end]`, so the SQL text never changes and its prepared statement is reused; `CROSS JOIN`
/// keeps the run list as the outer loop, each run one primary-key range scan. The hashes come back as a single
/// blob, in run order, because the driver's per-row cost dwarfs SQLite's own work at this size. The planner
/// cannot know that `json_each` yields its rows in key order, so the ordered aggregate sorts them: cheap for
/// short spans, twice the time of the whole read for a dense session's spans (see [`LONG_SPAN`]).
const RUNS_SQL: &str = "\
    SELECT unhex(group_concat(hex(h), '' ORDER BY k, i)) FROM ( \
      SELECT j.key AS k, r.idx AS i, r.leaf_hash AS h FROM json_each(?2) AS j CROSS JOIN records AS r \
       WHERE j.value ->> 0 = 0 AND r.log_id = ?1 AND r.idx >= j.value ->> 1 AND r.idx < j.value ->> 2 \
      UNION ALL \
      SELECT j.key, n.idx, n.hash FROM json_each(?2) AS j CROSS JOIN nodes AS n \
       WHERE j.value ->> 0 > 0 AND n.log_id = ?1 AND n.level = j.value ->> 0 \
         AND n.idx >= j.value ->> 1 AND n.idx < j.value ->> 2)";

/// A long span of leaf hashes (`?2..?3`), read alone. The primary key yields the rows in order, and SQLite
/// keeps a FROM-clause subquery's ORDER BY when the outer query aggregates with anything but count(), min()
/// or max() (the exception in its omit-ORDER-BY optimisation, select.c), so nothing is sorted; the tests check
/// the plan.
const LEAF_SPAN_SQL: &str = "\
    SELECT unhex(group_concat(hex(h), '')) FROM ( \
      SELECT leaf_hash AS h FROM records WHERE log_id = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx)";

/// [`LEAF_SPAN_SQL`] for stored node hashes of level `?4`.
const NODE_SPAN_SQL: &str = "\
    SELECT unhex(group_concat(hex(h), '')) FROM ( \
      SELECT hash AS h FROM nodes WHERE log_id = ?1 AND level = ?4 AND idx >= ?2 AND idx < ?3 ORDER BY idx)";

/// Spans of at least this many hashes are read alone by [`LEAF_SPAN_SQL`] or [`NODE_SPAN_SQL`]: a statement's
/// round trip costs about what sorting a few hundred rows does. A session with a record in every few has one
/// span as long as the log (its proof needs nearly every leaf hash): unsorted, its read takes half the time.
const LONG_SPAN: u64 = 256;

/// Most hashes one statement returns: its hex text (64 bytes a hash) stays far below SQLite's 1 GB limit on a
/// string (a dense session's proof in a log of 16M records reads more than that in one span), and the text a
/// read holds at once stays small.
const MOST_PER_STATEMENT: u64 = 1 << 18;

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
    let runs: Vec<[u64; 3]> = subtrees.iter().map(|s| run(*s)).collect();
    let (spans, offsets) = merge(&runs);
    let expected: u64 = spans.iter().map(|[_, start, end]| end - start).sum();
    let mut hashes: Vec<Hash> = Vec::with_capacity(expected as usize);
    for read in plan(&spans, MOST_PER_STATEMENT, LONG_SPAN) {
        let part: Option<Vec<u8>> = match read {
            Read::Span([0, start, end]) => {
                sqlx::query_scalar(LEAF_SPAN_SQL).bind(log_id).bind(start as i64).bind(end as i64)
            }
            Read::Span([level, start, end]) => {
                sqlx::query_scalar(NODE_SPAN_SQL).bind(log_id).bind(start as i64).bind(end as i64).bind(level as i64)
            }
            Read::Together(spans) => {
                let json = serde_json::to_string(&spans).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                sqlx::query_scalar(RUNS_SQL).bind(log_id).bind(json)
            }
        }
        .fetch_one(&mut *conn)
        .await?;
        let part = part.unwrap_or_default();
        if !part.len().is_multiple_of(32) {
            return Err(StoreError::Corrupt(format!("{} bytes of stored hashes", part.len())));
        }
        hashes.extend(part.chunks_exact(32).map(|c| <Hash>::try_from(c).unwrap_or_default()));
    }
    if hashes.len() as u64 != expected {
        return Err(StoreError::Corrupt(format!(
            "expected {expected} stored hashes for {} subtrees, found {}",
            subtrees.len(),
            hashes.len()
        )));
    }
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

/// One statement of a read: a long span alone, or short spans together.
#[derive(Debug, PartialEq)]
enum Read {
    Span([u64; 3]),
    Together(Vec<[u64; 3]>),
}

/// The statements that read `spans` (in their order, so the parts join up as the spans do): spans longer than
/// `most` in pieces of `most`, pieces of at least `long` hashes alone, the shorter ones together up to `most`.
/// Stored hashes never change once written, so the statements need no common transaction.
fn plan(spans: &[[u64; 3]], most: u64, long: u64) -> Vec<Read> {
    let mut reads = Vec::new();
    let (mut together, mut together_len) = (Vec::new(), 0);
    for &[level, start, end] in spans {
        let mut at = start;
        while at < end {
            let piece = [level, at, end.min(at + most)];
            let len = piece[2] - at;
            at = piece[2];
            // The short ones gathered so far go out before a long piece, or when this one would not fit.
            if (len >= long || together_len + len > most) && !together.is_empty() {
                reads.push(Read::Together(std::mem::take(&mut together)));
                together_len = 0;
            }
            if len >= long {
                reads.push(Read::Span(piece));
            } else {
                together.push(piece);
                together_len += len;
            }
        }
    }
    if !together.is_empty() {
        reads.push(Read::Together(together));
    }
    reads
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

    #[test]
    fn long_spans_are_read_alone_and_no_statement_reads_more_than_its_share() {
        // (level, start, end) with at most 10 hashes a statement, spans of 4 or more read alone.
        let spans = [[0, 0, 2], [0, 5, 8], [0, 20, 43], [0, 50, 53], [4, 0, 3], [4, 9, 13], [8, 0, 1]];
        assert_eq!(
            plan(&spans, 10, 4),
            vec![
                Read::Together(vec![[0, 0, 2], [0, 5, 8]]),
                Read::Span([0, 20, 30]),
                Read::Span([0, 30, 40]),
                // The tail of a long span is short: it joins the next short ones (of any level).
                Read::Together(vec![[0, 40, 43], [0, 50, 53], [4, 0, 3]]),
                Read::Span([4, 9, 13]),
                Read::Together(vec![[8, 0, 1]]),
            ]
        );
        assert_eq!(plan(&[], 10, 4), vec![]);
        // Every hash is read once, in the spans' order, and no statement reads more than `most`.
        let hashes = |spans: &[[u64; 3]]| -> Vec<[u64; 2]> {
            spans.iter().flat_map(|&[l, a, b]| (a..b).map(move |i| [l, i])).collect()
        };
        for (most, long) in [(1, 1), (3, 2), (5, 100), (10, 4), (100, 1000)] {
            let reads: Vec<Vec<[u64; 3]>> = plan(&spans, most, long)
                .into_iter()
                .map(|r| match r {
                    Read::Span(s) => vec![s],
                    Read::Together(v) => v,
                })
                .collect();
            assert!(reads.iter().all(|r| hashes(r).len() as u64 <= most), "most {most}, long {long}");
            assert_eq!(hashes(&reads.concat()), hashes(&spans), "most {most}, long {long}");
        }
    }

    /// The long-span statements read in key order without sorting (the reason they exist), and return the
    /// hashes in that order.
    #[tokio::test]
    async fn long_spans_are_read_in_key_order_without_a_sort() {
        let (_dir, store) = crate::test_support::temp_store().await;
        for sql in [LEAF_SPAN_SQL, NODE_SPAN_SQL] {
            let plan = crate::test_support::query_plan(&store, sql).await;
            assert!(plan.iter().any(|p| p.contains("USING PRIMARY KEY")), "{plan:?}");
            assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE")), "no sort: {plan:?}");
        }
        let records = (0..4200u64)
            .map(|n| crate::NewRecord {
                session_id: format!("s{}", n % 3),
                ts: "2026-12-03T06:00:00Z".into(),
                kind: "agent.message".into(),
                source: "test".into(),
                decision: "observed".into(),
                payload: serde_json::json!({ "n": n }),
            })
            .collect();
        let appended = store.append_batch("acme", records).await.unwrap();
        let log = store.log("acme").await.unwrap();
        let mut conn = store.read.acquire().await.unwrap();
        // 1..599 is one long span of leaves and 1..262 one of level-4 nodes (the perfect 16-leaf subtrees).
        let subtrees: Vec<Subtree> = (1..599)
            .map(|index| Subtree { level: 0, index })
            .chain((1..262).map(|index| Subtree { level: 4, index }))
            .collect();
        let runs: Vec<[u64; 3]> = subtrees.iter().map(|s| run(*s)).collect();
        let reads = plan(&merge(&runs).0, MOST_PER_STATEMENT, LONG_SPAN);
        assert_eq!(reads, vec![Read::Span([0, 1, 599]), Read::Span([4, 1, 262])]);
        let got = subtree_hashes(&mut conn, log.id, &subtrees).await.unwrap();
        let leaves: Vec<Hash> = appended.iter().map(|a| a.leaf_hash).collect();
        let want: Vec<Hash> = (1..599)
            .map(|i| leaves[i])
            .chain((1..262).map(|i| merkle::root_of(&leaves[i * 16..(i + 1) * 16])))
            .collect();
        assert_eq!(got, want);
    }
}
