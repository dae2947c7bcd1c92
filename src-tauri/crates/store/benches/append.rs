//! Append throughput with group commit against raw SQLite inserts of the same rows, in the same run: same
//! schema, same batch size, same durability (WAL, synchronous=FULL), same driver and multi-row INSERT.
//! Target: ratio ≥ 0.7 and ≥ 100k records/s.
//!
//!   cargo bench -p vargate-store --bench append [-- --records 200000 --batch 4096 --appenders 16]

// The binaries use mimalloc (see the CLI's main.rs); benchmarks measure what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use sqlx::{ConnectOptions, Connection, QueryBuilder, Sqlite};
use std::time::Instant;
use vargate_proof::AuditRecord;
use vargate_proof::merkle::leaf_hash;

struct Row {
    /// Interned as the store would: sessions numbered in order of first appearance.
    session: i64,
    seq: i64,
    prev_idx: Option<i64>,
    hash: [u8; 32],
    leaf: Vec<u8>,
}

/// The exact rows the log writes, built ahead of time (untimed) for the baseline.
fn rows(n: u64, sessions: u64) -> Vec<Row> {
    let mut heads = std::collections::HashMap::<String, (u64, [u8; 32], i64, i64)>::new();
    (0..n)
        .map(|i| {
            let r = common::record(i, sessions);
            let head = heads.get(&r.session_id).copied();
            let id = head.map_or(heads.len() as i64 + 1, |h| h.3);
            let rec = AuditRecord {
                v: 1,
                tenant: "bench".into(),
                session_id: r.session_id.clone(),
                seq: head.map_or(0, |(s, ..)| s + 1),
                prev: head.map(|(_, h, _, _)| hex::encode(h)),
                ts: r.ts,
                kind: r.kind,
                source: r.source,
                decision: r.decision,
                payload: r.payload,
            };
            let leaf = rec.canonical_bytes();
            let hash = leaf_hash(&leaf);
            heads.insert(r.session_id.clone(), (rec.seq, hash, i as i64, id));
            Row { session: id, seq: rec.seq as i64, prev_idx: head.map(|h| h.2), hash, leaf }
        })
        .collect()
}

async fn baseline(dir: &std::path::Path, rows: &[Row], batch: usize) -> f64 {
    // Same schema: let the store create it, then insert directly.
    common::open(dir, batch).await.close().await;
    let mut conn = vargate_store::connect_options(&dir.join("bench.db")).connect().await.unwrap();
    sqlx::query("INSERT INTO logs (id, tenant, origin, vkey) VALUES (1, 'bench', 'o', 'k')")
        .execute(&mut conn)
        .await
        .unwrap();
    let start = Instant::now();
    for (b, chunk) in rows.chunks(batch).enumerate() {
        let mut tx = conn.begin().await.unwrap();
        for (c, sub) in chunk.chunks(32766 / 7).enumerate() {
            let mut qb: QueryBuilder<Sqlite> =
                QueryBuilder::new("INSERT INTO records (log_id, idx, session, seq, prev_idx, leaf_hash, leaf) ");
            let base = (b * batch + c * (32766 / 7)) as i64;
            let mut k = 0i64;
            qb.push_values(sub, |mut q, r| {
                q.push_bind(1i64)
                    .push_bind(base + k)
                    .push_bind(r.session)
                    .push_bind(r.seq)
                    .push_bind(r.prev_idx)
                    .push_bind(r.hash.as_slice())
                    .push_bind(r.leaf.as_slice());
                k += 1;
            });
            qb.build().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    rows.len() as f64 / start.elapsed().as_secs_f64()
}

async fn group_commit(dir: &std::path::Path, n: u64, sessions: u64, batch: usize, appenders: u64) -> (f64, u64, f64) {
    let store = common::open(dir, batch).await;
    let per_task = n / appenders;
    let chunk = (2 * batch as u64 / appenders).max(1);
    // The inputs are built before the clock starts, as the baseline's rows are.
    let inputs: Vec<Vec<Vec<vargate_store::NewRecord>>> = (0..appenders)
        .map(|t| {
            let range: Vec<u64> = (t * per_task..(t + 1) * per_task).collect();
            range.chunks(chunk as usize).map(|c| c.iter().map(|&k| common::record(k, sessions)).collect()).collect()
        })
        .collect();
    let start = Instant::now();
    let tasks: Vec<_> = inputs
        .into_iter()
        .map(|chunks| {
            let store = store.clone();
            tokio::spawn(async move {
                for recs in chunks {
                    store.append_batch("bench", recs).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let rate = (per_task * appenders) as f64 / start.elapsed().as_secs_f64();
    let stats = store.stats();
    let commits = stats.commits.load(std::sync::atomic::Ordering::Relaxed);
    let average = stats.records.load(std::sync::atomic::Ordering::Relaxed) as f64 / commits.max(1) as f64;
    assert_eq!(store.size("bench").await.unwrap(), per_task * appenders);
    store.close().await;
    (rate, commits, average)
}

fn main() {
    let n: u64 = common::arg("--records", 200_000);
    let batch: usize = common::arg("--batch", 4096);
    // Enough appenders that twice the batch size is in flight, so the writer finds full batches waiting, as
    // the baseline's transactions are full: same batch size.
    let appenders: u64 = common::arg("--appenders", 32);
    let sessions = 1000;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rows = rows(n, sessions);
    let avg_leaf = rows.iter().map(|r| r.leaf.len()).sum::<usize>() / rows.len();
    println!("append: {n} records (~{avg_leaf} B leaves, {sessions} sessions), batch {batch}, {appenders} appenders");
    let (mut base_best, mut ours_best) = (0f64, 0f64);
    for round in 1..=3 {
        let d1 = tempfile::tempdir().unwrap();
        let base = rt.block_on(baseline(d1.path(), &rows, batch));
        let d2 = tempfile::tempdir().unwrap();
        let (ours, commits, average) = rt.block_on(group_commit(d2.path(), n, sessions, batch, appenders));
        println!(
            "  round {round}: raw inserts {base:>9.0} rec/s   group commit {ours:>9.0} rec/s ({commits} commits of {average:.0})   ratio {:.2}",
            ours / base
        );
        base_best = base_best.max(base);
        ours_best = ours_best.max(ours);
    }
    println!(
        "append: best raw inserts {base_best:.0} rec/s, best group commit {ours_best:.0} rec/s, ratio {:.2} (target >= 0.70; >= 100000 rec/s)",
        ours_best / base_best
    );
}
