//! Ingest rate: events of a simulated session until all of them are durable in the audit log, against the
//! raw append rate of the very same records into a fresh log, in the same run, on both paths events take:
//! - `sse`: ingest is attached before the turn and the live buffer holds the whole turn, so every event
//!   arrives over the live stream;
//! - `backfill`: ingest is attached after the turn ended, so every event comes from the history, page by page.
//!
//! Each round (a new session, fresh logs) prints how many events arrived by which path and its ratio; the
//! median of the rounds is the figure (a round lasts about a second, and this VM's speed wanders between
//! seconds). Target: ratio ≥ 0.6 on both.
//!
//!   cargo bench -p vargate-engine --bench ingest [-- --events 60000] [--rounds 5] [--path sse|backfill] [--sim-only 1]
//!
//! The simulator runs in the same process and shares the two cores; `--sim-only 1` times it alone. Each round
//! also prints the CPU its threads used per event while ingesting (async workers, simulator included; the
//! log's writer; SQLite), the log's commits, and on the SSE path when the simulator emitted its last event
//! against when ingest had it durable, to show where an event's cost goes and what sets the pace.

// The binaries use mimalloc (see the CLI's main.rs); benchmarks measure what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use vargate_agents::client::{AgentParams, Client, ClientConfig, EnvironmentParams, SessionParams};
use vargate_agents::sim::{SimConfig, Simulator};
use vargate_agents::stream::{WatchCounters, WatchOptions};
use vargate_engine::{FailClosed, ingest_session};
use vargate_store::{FixedKey, NewRecord, Store, StoreOptions, TimelineFilter};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map_or(default, |v| v.parse().unwrap())
}

async fn store(dir: &std::path::Path) -> Store {
    Store::open(&dir.join("log.db"), Arc::new(FixedKey([5; 32])), StoreOptions::default()).await.unwrap()
}

async fn all_records(store: &Store, session: &str) -> Vec<NewRecord> {
    let mut filter = TimelineFilter { limit: 10_000, ..Default::default() };
    let mut out = Vec::new();
    loop {
        let page = store.timeline("bench", session, &filter).await.unwrap();
        let Some(last) = page.last() else { return out };
        filter.after_seq = Some(last.record.seq);
        out.extend(page.into_iter().map(|e| NewRecord {
            session_id: e.record.session_id,
            ts: e.record.ts,
            kind: e.record.kind,
            source: e.record.source,
            decision: e.record.decision,
            payload: e.record.payload,
        }));
    }
}

fn main() {
    vargate_store::memory::avoid_transparent_huge_pages();
    let events = arg("--events", 60_000);
    let rounds = arg("--rounds", 5);
    let only = std::env::args().skip_while(|a| a != "--path").nth(1);
    for path in ["sse", "backfill"] {
        if only.as_deref().is_none_or(|o| o == path) {
            run(events, path == "backfill", rounds);
        }
    }
}

fn run(events: usize, backfill: bool, rounds: usize) {
    let steps = events / 3; // each message step is span start, agent.message, span end
    let scenarios = tempfile::tempdir().unwrap();
    let turn: Vec<_> =
        (0..steps).map(|i| json!({"type": "message", "text": format!("progress note {i}: all fine")})).collect();
    std::fs::write(
        scenarios.path().join("bulk.json"),
        json!({"name": "bulk", "description": "many messages", "turns": [{"steps": turn}]}).to_string(),
    )
    .unwrap();
    let path = if backfill { "backfill" } else { "sse" };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let config = SimConfig {
            scenario_dir: Some(scenarios.path().to_owned()),
            default_scenario: "bulk".into(),
            // The SSE path: a live buffer that holds the whole turn, so nothing falls back to the history.
            live_capacity: if backfill { 4096 } else { events + 1024 },
            ..SimConfig::default()
        };
        let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
        let client = Client::new(ClientConfig::new(sim.base_url(), "bench")).unwrap();
        let agent = client
            .create_agent(&AgentParams { name: "bench".into(), model: json!("claude-sonnet-4-5"), ..Default::default() })
            .await
            .unwrap();
        let env = client.create_environment(&EnvironmentParams { name: "bench".into(), ..Default::default() }).await.unwrap();
        let mut ratios = Vec::with_capacity(rounds);
        for round in 1..=rounds {
            let session = client
                .create_session(&SessionParams {
                    agent: json!(agent.id),
                    environment_id: env.id.clone(),
                    ..Default::default()
                })
                .await
                .unwrap();
            if arg("--sim-only", 0) == 1 {
                let start = Instant::now();
                client.send_events(&session.id, &[go()]).await.unwrap();
                wait_idle(&client, &session.id).await;
                println!("simulator alone: {events} events in {:?}", start.elapsed());
                continue;
            }
            let Ingested { rate: ingest_rate, recorded, live, history, cpu } =
                ingest(&client, &session.id, backfill, steps).await;
            let n = recorded.len();
            let dir = tempfile::tempdir().unwrap();
            let raw = store(dir.path()).await;
            // The batches are built before the clock starts (copying records is no part of an append).
            let chunks: Vec<Vec<NewRecord>> = recorded.chunks(4096).map(<[NewRecord]>::to_vec).collect();
            let start = Instant::now();
            for chunk in chunks {
                raw.append_batch("bench", chunk).await.unwrap();
            }
            let raw_rate = n as f64 / start.elapsed().as_secs_f64();
            raw.close().await;
            println!(
                "ingest ({path}) round {round}: {n} events into the durable log ({live} over SSE, {history} from the history): {ingest_rate:.0} events/s; raw append of the same records {raw_rate:.0} records/s; ratio {:.2}",
                ingest_rate / raw_rate
            );
            println!("           CPU µs per event while ingesting, by thread: {cpu}");
            ratios.push(ingest_rate / raw_rate);
        }
        if !ratios.is_empty() {
            ratios.sort_by(f64::total_cmp);
            println!(
                "ingest ({path}): median ratio of {rounds} rounds {:.2} (from {:.2} to {:.2}; target >= 0.6)",
                ratios[ratios.len() / 2],
                ratios[0],
                ratios[ratios.len() - 1]
            );
        }
        sim.shutdown().await;
    });
}

fn go() -> serde_json::Value {
    json!({"type": "user.message", "content": [{"type": "text", "text": "go"}]})
}

/// What one ingest measured.
struct Ingested {
    /// Events per second until every event was durable.
    rate: f64,
    /// The records as logged.
    recorded: Vec<NewRecord>,
    /// Events that came over the live stream and from the history.
    live: u64,
    history: u64,
    /// CPU µs per event of each kind of thread while it ran (`name µs, …`), and the log's commits.
    cpu: String,
}

/// CPU seconds this process's threads have used, summed by thread name (Linux's /proc; names are cut at 15
/// bytes: `tokio-rt-worker` runs the async tasks, simulator included, `vargate-log-wri` is the log's writer,
/// `sqlx-sqlite-wor` SQLite).
fn cpu_by_thread() -> BTreeMap<String, f64> {
    let mut by_name = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return by_name };
    for task in tasks.flatten() {
        let (Ok(stat), Ok(name)) =
            (std::fs::read_to_string(task.path().join("stat")), std::fs::read_to_string(task.path().join("comm")))
        else {
            continue;
        };
        // utime and stime, in clock ticks (100 a second), are the 12th and 13th fields after the name.
        let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
        let ticks: f64 = fields.get(11..13).map_or(0.0, |f| f.iter().filter_map(|t| t.parse::<f64>().ok()).sum());
        *by_name.entry(name.trim().to_owned()).or_insert(0.0) += ticks / 100.0;
    }
    by_name
}

/// Ingests one turn of `session` into a fresh log, attached before the turn (SSE) or after it (backfill).
async fn ingest(client: &Client, session: &str, backfill: bool, steps: usize) -> Ingested {
    let dir = tempfile::tempdir().unwrap();
    let log = store(dir.path()).await;
    let counters = Arc::new(WatchCounters::default());
    let options = WatchOptions { counters: Some(counters.clone()), ..WatchOptions::default() };
    let attach = |options: WatchOptions| {
        let (client, log, id) = (client.clone(), log.clone(), session.to_owned());
        tokio::spawn(async move { ingest_session(&client, &log, "bench", &id, &FailClosed, &options).await.unwrap() })
    };
    let cpu_before = cpu_by_thread();
    let (task, start) = if backfill {
        client.send_events(session, &[go()]).await.unwrap();
        wait_idle(client, session).await;
        let start = Instant::now();
        (attach(options), start)
    } else {
        let task = attach(options);
        tokio::time::sleep(Duration::from_millis(200)).await; // the watch has opened its stream
        let start = Instant::now();
        client.send_events(session, &[go()]).await.unwrap();
        (task, start)
    };
    // Done when all the turn's events are durable in the log: user.message, status_running, three per
    // message step, session.usage and the final idle (checked below). Polling the log size is cheap,
    // so the measurement does not compete with what it measures.
    let expected = (3 * steps + 4) as u64;
    while log.size("bench").await.unwrap_or(0) < expected {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = start.elapsed();
    let started_at = time::OffsetDateTime::now_utc() - elapsed;
    let expected_f = expected as f64;
    let cpu: Vec<String> = cpu_by_thread()
        .iter()
        .filter_map(|(name, t)| {
            let us = (t - cpu_before.get(name).copied().unwrap_or(0.0)) * 1e6 / expected_f;
            (us >= 0.05).then(|| format!("{name} {us:.1}"))
        })
        .collect();
    let stats = log.stats();
    let commits = stats.commits.load(Ordering::Relaxed);
    let cpu = format!(
        "{}; {commits} commits of {:.0} records",
        cpu.join(", "),
        stats.records.load(Ordering::Relaxed) as f64 / commits.max(1) as f64
    );
    task.abort();
    let recorded = all_records(&log, session).await;
    assert_eq!(recorded.len() as u64, expected, "the scenario's event count changed");
    assert_eq!(recorded.last().map(|r| r.kind.as_str()), Some("session.status_idle"));
    // On the SSE path the simulator emits the turn during the measurement: when its last event was emitted
    // (its processed_at) against when ingest had it durable shows which of the two set the pace.
    let last_emitted = recorded
        .last()
        .and_then(|r| time::OffsetDateTime::parse(&r.ts, &time::format_description::well_known::Rfc3339).ok());
    let cpu = match last_emitted.filter(|_| !backfill) {
        Some(at) => format!(
            "{cpu}; the simulator emitted its last event after {:.0} ms, ingest had it durable after {:.0} ms",
            (at - started_at).as_seconds_f64() * 1e3,
            elapsed.as_secs_f64() * 1e3
        ),
        None => cpu,
    };
    log.close().await;
    let (live, history) = (counters.live.load(Ordering::Relaxed), counters.backfill.load(Ordering::Relaxed));
    Ingested { rate: expected_f / elapsed.as_secs_f64(), recorded, live, history, cpu }
}

async fn wait_idle(client: &Client, session: &str) {
    let start = Instant::now();
    while client.get_session(session).await.unwrap().status != "idle" || start.elapsed() < Duration::from_millis(50) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
