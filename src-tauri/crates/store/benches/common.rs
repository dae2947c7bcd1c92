//! Shared set-up of the store benchmarks: records, fresh stores, simple statistics and arguments.
#![allow(dead_code)]

use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use vargate_store::{FixedKey, NewRecord, Store, StoreOptions};

/// A typical observed tool use, about 300 bytes canonicalised.
pub fn record(i: u64, sessions: u64) -> NewRecord {
    NewRecord {
        session_id: format!("sesn_{:024}", i % sessions),
        ts: "2026-11-25T10:00:00.123456Z".into(),
        kind: "agent.tool_use".into(),
        source: "sse".into(),
        decision: "observed".into(),
        payload: json!({"id": format!("sevt_{i:024}"), "name": "bash", "input": {"command": "ls -la /srv/data"}}),
    }
}

pub async fn open(dir: &std::path::Path, max_batch: usize) -> Store {
    Store::open(
        &dir.join("bench.db"),
        Arc::new(FixedKey([7u8; 32])),
        StoreOptions { max_batch, ..StoreOptions::default() },
    )
    .await
    .expect("open store")
}

/// `--name value` from the command line (cargo bench passes `--bench` too, which is ignored).
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().unwrap_or_else(|_| panic!("bad value for {name}")))
        .unwrap_or(default)
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// CPU time this process has used so far, all threads, in seconds (Linux: `/proc/self/stat`, in ticks of
/// 10 ms); `NaN` where that cannot be read.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses and may contain spaces): utime and stime
    // are the 14th and 15th of the whole line, the 12th and 13th after the name.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => f64::NAN,
    }
}
