//! Inclusion + consistency proof latency from stored subtree hashes on large logs, against the latency of one
//! primary-key read of a leaf hash from the same pool, in the same run. Target: ≤ 1 ms per proof.
//!
//!   cargo bench -p vargate-store --bench proofs [-- --sizes 1000000,10000000 --samples 2000 --dir DIR]
//!
//! Building the logs dominates the run (10M records ≈ 3 GB); with --dir an existing log there is reused.

// The binaries use mimalloc (see the CLI's main.rs); benchmarks measure what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use std::time::{Duration, Instant};
use vargate_proof::merkle;

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn summary(name: &str, mut d: Vec<Duration>) -> Duration {
    d.sort_unstable();
    let mean = d.iter().sum::<Duration>() / d.len() as u32;
    println!(
        "    {name:<28} mean {:>7.1} µs  p50 {:>7.1} µs  p99 {:>7.1} µs",
        common::micros(mean),
        common::micros(common::percentile(&d, 0.5)),
        common::micros(common::percentile(&d, 0.99))
    );
    common::percentile(&d, 0.99)
}

async fn grow(store: &vargate_store::Store, target: u64) {
    let mut size = store.size("bench").await.unwrap_or(0);
    let started = Instant::now();
    while size < target {
        let n = (target - size).min(8192);
        let recs = (size..size + n).map(|i| common::record(i, 10_000)).collect();
        store.append_batch("bench", recs).await.unwrap();
        size += n;
    }
    println!("  log at {size} records ({:.0} s to grow)", started.elapsed().as_secs_f64());
}

fn main() {
    vargate_store::memory::avoid_transparent_huge_pages();
    let sizes: String = common::arg("--sizes", "1000000,10000000".to_owned());
    let samples: usize = common::arg("--samples", 2000);
    let keep: Option<String> = common::arg("--dir", String::new()).into();
    let tmp = tempfile::tempdir().unwrap();
    let dir = keep.filter(|d| !d.is_empty()).map(std::path::PathBuf::from).unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(&dir).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = common::open(&dir, 8192).await;
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        for size in sizes.split(',').map(|s| s.parse::<u64>().unwrap()) {
            grow(&store, size).await;
            // A reused log (--dir) may be larger than this size: prove against the root at this size.
            let cp = store.checkpoint("bench").await.unwrap();
            let root = store.root_at("bench", size).await.unwrap();
            assert!(cp.size != size || cp.root == root, "stored hashes disagree with the signed checkpoint");
            let log_id = store.log("bench").await.unwrap().id;
            let (mut point, mut incl, mut cons) = (Vec::new(), Vec::new(), Vec::new());
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(dir.join("bench.db")).read_only(true))
                .await
                .unwrap();
            for _ in 0..samples {
                let index = next(&mut rng) % size;
                let t = Instant::now();
                let _: Vec<u8> = sqlx::query_scalar("SELECT leaf_hash FROM records WHERE log_id = ? AND idx = ?")
                    .bind(log_id)
                    .bind(index as i64)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                point.push(t.elapsed());

                let t = Instant::now();
                let proof = store.inclusion_proof("bench", index, size).await.unwrap();
                incl.push(t.elapsed());
                let leaf = store.leaf("bench", index).await.unwrap().unwrap();
                merkle::verify_inclusion(index, size, &merkle::leaf_hash(&leaf), &proof, &root).unwrap();

                let old = 1 + next(&mut rng) % (size - 1);
                let t = Instant::now();
                let proof = store.consistency_proof("bench", old, size).await.unwrap();
                cons.push(t.elapsed());
                assert!(proof.len() <= 2 * 64);
            }
            println!("  tree size {size}, {samples} random samples each:");
            let base = summary("baseline: one leaf-hash read", point);
            let i99 = summary("inclusion proof", incl);
            let c99 = summary("consistency proof", cons);
            println!(
                "  proofs at {size}: inclusion p99 {:.0} µs ({:.1}× a point read), consistency p99 {:.0} µs ({:.1}×); target <= 1000 µs",
                common::micros(i99),
                i99.as_secs_f64() / base.as_secs_f64(),
                common::micros(c99),
                c99.as_secs_f64() / base.as_secs_f64()
            );
        }
        store.close().await;
    });
}
