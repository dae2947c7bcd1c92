//! The log at scale: grows one log to N records with 10,000 sessions in rotation (one "hot" session takes 1
//! record in 10), printing per million records the append rate and the bytes written per record, and at 1M
//! and at the end the latency of timeline pages (first, middle, last page of the hot session), session proofs
//! and inclusion proofs. Ratios are against the first million (or the 1M reads) of the same run.
//! Targets (issue 9): rate at 10M >= 0.8x the rate at 1M; reads must not regress.
//!
//! This machine's speed drifts by tens of percent over minutes (and its disk slows after gigabytes written),
//! so the last million is also measured against a fresh log's first million at the same moments: a batch to
//! the big log, then the same-numbered batch of the first million to a fresh log (alternating which goes
//! first), each timed alone. That ratio is the growth target's measure with the machine's drift taken out.
//! The first million is run the same way, as a calibration: two fresh logs side by side should match, and
//! both of the big log's millions are then measured alike (each shares the disk with a second log).
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

/// One side of an interleaved run: a log, the records it is given, and what that took.
struct Side<'a> {
    store: &'a Store,
    range: std::ops::Range<u64>,
    time: Duration,
    written: u64,
}

impl Side<'_> {
    /// Appends the `k`th batch of the side's records, timing it and counting the bytes it wrote.
    async fn batch(&mut self, k: u64) {
        let start = self.range.start + k * BATCH;
        let (t, w) = (Instant::now(), written());
        append(self.store, start..(start + BATCH).min(self.range.end)).await;
        self.time += t.elapsed();
        self.written += written() - w;
    }

    fn rate(&self) -> f64 {
        (self.range.end - self.range.start) as f64 / self.time.as_secs_f64()
    }
}

/// Appends `a.range` and `b.range` (of equal length) batch by batch in turn, alternating which goes first,
/// so that both run on the machine of the same moments.
async fn interleaved(a: &mut Side<'_>, b: &mut Side<'_>) {
    let batches = (a.range.end - a.range.start).div_ceil(BATCH);
    for k in 0..batches {
        if k % 2 == 0 {
            a.batch(k).await;
            b.batch(k).await;
        } else {
            b.batch(k).await;
            a.batch(k).await;
        }
    }
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
    vargate_store::memory::avoid_transparent_huge_pages();
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
        // A fresh log's first million, appended interleaved with the big log's first (a calibration: the two
        // should run at the same rate) and with its last: (rate, bytes written per record) each.
        let mut controls = Vec::new();
        while size < total {
            let end = (size + MILLION).min(total);
            let (t, w, disk, start, ticks) = (Instant::now(), written(), on_disk(dir), size, cpu_ticks());
            let (rate, per_record) = if size == 0 || end == total {
                let control = tempfile::tempdir().unwrap();
                let fresh = common::open(control.path(), BATCH as usize).await;
                let mut big = Side { store: &store, range: size..end, time: Duration::ZERO, written: 0 };
                let mut new = Side { store: &fresh, range: 0..end - size, time: Duration::ZERO, written: 0 };
                interleaved(&mut big, &mut new).await;
                let n = (end - size) as f64;
                controls.push((new.rate(), new.written as f64 / n));
                let rates = (big.rate(), big.written as f64 / n);
                fresh.close().await;
                rates
            } else {
                append(&store, size..end).await;
                let n = (end - size) as f64;
                (n / t.elapsed().as_secs_f64(), (written() - w) as f64 / n)
            };
            size = end;
            let n = (size - start) as f64;
            let growth = (on_disk(dir).saturating_sub(disk)) as f64 / n;
            let (steal, all) = cpu_ticks();
            let steal = 100.0 * steal.saturating_sub(ticks.0) as f64 / all.saturating_sub(ticks.1).max(1) as f64;
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
            if let Some((rate, per_record)) = controls.last().filter(|_| size == MILLION || size == total) {
                println!(
                    "        a fresh log's first million, interleaved with it: {rate:>8.0} rec/s, {per_record:>6.0} B written/record"
                );
            }
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
        if let [(calibration, _), .., (last_fresh, _)] = controls[..] {
            println!(
                "growth, at the same moments: the last million {last_rate:.0} rec/s = {:.2}x a fresh log's first million ({last_fresh:.0} rec/s, interleaved batch by batch); target >= 0.8; \
                 calibration: the first million {first_rate:.0} rec/s = {:.2}x a fresh log's interleaved with it ({calibration:.0})",
                last_rate / last_fresh,
                first_rate / calibration
            );
        }
        if size > MILLION {
            for ((name, a), (_, b)) in at_1m.iter().zip(&at_end) {
                println!("  {name:<30} at 1M {a:>10.0} µs, at {size}: {b:>10.0} µs ({:.2}x)", b / a);
            }
        }
        store.close().await;
    });
}
