//! The log at scale: grows one log to N records with 10,000 sessions in rotation (one "hot" session takes 1
//! record in 10), printing per million records the append rate and the bytes written per record, and at 1M
//! and at the end the latency of timeline pages (first, middle, last page of the hot session), session proofs
//! and inclusion proofs. Ratios are against the first million (or the 1M reads) of the same run.
//! Targets (issue 9): rate at 10M >= 0.8x the rate at 1M; reads must not regress.
//!
//! This machine's speed drifts by tens of percent over minutes, so the first and the last million are each
//! bracketed by appends of the same records to a fresh log (a drift control): the growth ratio is also
//! printed with each million's rate taken relative to the fresh log's rate around it.
//!
//!   VARGATE_GROWTH_RECORDS=10000000 cargo bench -p vargate-store --bench growth
//!
//! N defaults to 10M (about 4 GB on disk, in a temporary directory).

// The binaries use mimalloc (see the CLI's main.rs); benchmarks measure what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use std::time::{Duration, Instant};
use vargate_store::{Store, TimelineFilter};

const SESSIONS: u64 = 10_000;
const HOT: &str = "sesn_hot";
const BATCH: u64 = 8192;
const MILLION: u64 = 1_000_000;

fn record(i: u64) -> vargate_store::NewRecord {
    let mut r = common::record(i, SESSIONS);
    if i.is_multiple_of(10) {
        r.session_id = HOT.to_owned();
    }
    r
}

/// Appends the records numbered `range`, in batches of [`BATCH`].
async fn append(store: &Store, range: std::ops::Range<u64>) {
    for start in range.clone().step_by(BATCH as usize) {
        store.append_batch("bench", (start..(start + BATCH).min(range.end)).map(record).collect()).await.unwrap();
    }
}

/// Bytes this process handed to write(2) so far (WAL frames, checkpoints into the database, temp files).
fn written() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    io.lines().find_map(|l| l.strip_prefix("wchar: ")).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

/// The machine's (steal, all) CPU ticks so far, from `/proc/stat`: steal is time the hypervisor ran something
/// else on a vCPU that had work, so a million with more of it ran on a slower machine.
fn cpu_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .find_map(|l| l.strip_prefix("cpu "))
        .map(|l| l.split_whitespace().filter_map(|f| f.parse().ok()).collect())
        .unwrap_or_default();
    // user nice system idle iowait irq softirq steal (guest time is already counted in user).
    let all = fields.iter().take(8).sum();
    (fields.get(7).copied().unwrap_or(0), all)
}

fn on_disk(dir: &std::path::Path) -> u64 {
    ["bench.db", "bench.db-wal"].iter().filter_map(|f| std::fs::metadata(dir.join(f)).ok()).map(|m| m.len()).sum()
}

/// Median of `runs` timings of `f` (the first, cold, run included).
async fn median<F: AsyncFnMut()>(runs: usize, mut f: F) -> Duration {
    let mut d = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await;
        d.push(t.elapsed());
    }
    d.sort_unstable();
    common::percentile(&d, 0.5)
}

/// Records a fresh log appends per second (the same records and batches, in a temporary directory): the
/// machine's speed of the moment, against which a million's rate is compared.
async fn fresh_rate() -> f64 {
    const N: u64 = 200_000;
    let tmp = tempfile::tempdir().unwrap();
    let store = common::open(tmp.path(), BATCH as usize).await;
    let t = Instant::now();
    append(&store, 0..N).await;
    let rate = N as f64 / t.elapsed().as_secs_f64();
    store.close().await;
    rate
}

/// Read latencies at the current size, in µs, printed and returned in a fixed order.
async fn reads(store: &Store, size: u64, rng: &mut u64) -> Vec<(&'static str, f64)> {
    let (hot_len, _) = store.session_tail("bench", HOT).await.unwrap();
    let page = |after: Option<u64>| TimelineFilter { after_seq: after, limit: 100, ..Default::default() };
    let mut out = Vec::new();
    for (name, after) in [
        ("timeline first page", None),
        ("timeline middle page", Some(hot_len / 2)),
        ("timeline last page", Some(hot_len - 101)),
    ] {
        let filter = page(after);
        let d = median(21, async || assert_eq!(store.timeline("bench", HOT, &filter).await.unwrap().len(), 100)).await;
        out.push((name, d));
    }
    let cold = "sesn_000000000000000000000042";
    let d = median(11, async || drop(store.session_proof("bench", cold).await.unwrap())).await;
    out.push(("session proof (cold session)", d));
    let t = Instant::now();
    let proof = store.session_proof("bench", HOT).await.unwrap();
    assert_eq!(proof.entries.len() as u64, hot_len);
    out.push(("session proof (hot session)", t.elapsed()));
    let d = median(201, async || {
        let index = next(rng) % size;
        store.inclusion_proof("bench", index, size).await.unwrap();
    })
    .await;
    out.push(("inclusion proof", d));
    println!("  reads at {size} records (hot session {hot_len} records; medians):");
    for (name, d) in &out {
        println!("    {name:<30} {:>10.0} µs", common::micros(*d));
    }
    out.into_iter().map(|(n, d)| (n, common::micros(d))).collect()
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn main() {
    let total: u64 = std::env::var("VARGATE_GROWTH_RECORDS")
        .ok()
        .map(|v| v.parse().expect("VARGATE_GROWTH_RECORDS"))
        .unwrap_or(10 * MILLION);
    assert!(total >= MILLION, "VARGATE_GROWTH_RECORDS must be at least 1000000");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    println!(
        "growth: {total} records, {SESSIONS} sessions in rotation + 1 hot session (1 record in 10), batch {BATCH}"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = common::open(dir, BATCH as usize).await;
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let (mut size, started) = (0u64, Instant::now());
        let (mut first_rate, mut last_rate, mut at_1m) = (0f64, 0f64, Vec::new());
        // The fresh log's rate before and after the first and the last million (drift control).
        let (mut fresh_first, mut fresh_last) = (Vec::new(), Vec::new());
        while size < total {
            let end = (size + MILLION).min(total);
            // The first and the last million are bracketed (with one million only, the first is the last).
            let mut bracket = match (size == 0, end == total) {
                (true, _) => Some(&mut fresh_first),
                (false, true) => Some(&mut fresh_last),
                (false, false) => None,
            };
            if let Some(rates) = bracket.as_mut() {
                rates.push(fresh_rate().await);
            }
            let (t, w, disk, start, ticks) = (Instant::now(), written(), on_disk(dir), size, cpu_ticks());
            append(&store, size..end).await;
            size = end;
            let n = (size - start) as f64;
            let rate = n / t.elapsed().as_secs_f64();
            let per_record = (written() - w) as f64 / n;
            let growth = (on_disk(dir).saturating_sub(disk)) as f64 / n;
            let (steal, all) = cpu_ticks();
            let steal = 100.0 * steal.saturating_sub(ticks.0) as f64 / all.saturating_sub(ticks.1).max(1) as f64;
            if let Some(rates) = bracket {
                rates.push(fresh_rate().await);
            }
            if first_rate == 0.0 {
                first_rate = rate;
            }
            last_rate = rate;
            println!(
                "  {:>3}M: {rate:>8.0} rec/s ({:.2}x the first million), {per_record:>6.0} B written/record, db+wal {growth:>5.0} B/record, steal {steal:>4.1}%, {:.0} s",
                size / MILLION,
                rate / first_rate,
                started.elapsed().as_secs_f64()
            );
            if size == MILLION {
                at_1m = reads(&store, size, &mut rng).await;
            }
        }
        let at_end = reads(&store, size, &mut rng).await;
        println!(
            "growth: {size} records in {:.0} s; rate at the end {last_rate:.0} rec/s = {:.2}x the rate at 1M ({first_rate:.0}); target >= 0.8",
            started.elapsed().as_secs_f64(),
            last_rate / first_rate
        );
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let f1 = mean(&fresh_first);
        let f2 = if fresh_last.is_empty() { f1 } else { mean(&fresh_last) };
        println!(
            "growth, drift-controlled: a fresh log appended {:.0} rec/s around the first million ({}) and {:.0} around the last ({}); \
             relative to those, the rate at the end = {:.2}x the rate at 1M",
            f1,
            fresh_first.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>().join(", "),
            f2,
            fresh_last.iter().map(|r| format!("{r:.0}")).collect::<Vec<_>>().join(", "),
            (last_rate / f2) / (first_rate / f1)
        );
        if size > MILLION {
            for ((name, a), (_, b)) in at_1m.iter().zip(&at_end) {
                println!("  {name:<30} at 1M {a:>10.0} µs, at {size}: {b:>10.0} µs ({:.2}x)", b / a);
            }
        }
        store.close().await;
    });
}
