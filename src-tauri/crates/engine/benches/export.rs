//! Evidence-pack export and verification of a 10,000-event session in a log of other sessions' records.
//! Prints the export time (target ≤ 3 s here) and the verification time as a ratio to raw SHA-256 over the
//! same pack bytes, measured in the same run (target ≥ 0.3×).
//!
//! `cargo bench -p vargate-engine --bench export [-- --events N --others M]`

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use serde_json::json;
use sha2::Digest as _;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vargate_engine::anchoring::EvmAnchorCheck;
use vargate_engine::export::export_pack;
use vargate_store::{FixedKey, NewRecord, Store, StoreOptions};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A session's event: alternately a tool call the agent made and the decision on it.
fn event(session: &str, i: usize) -> NewRecord {
    let (kind, decision, payload) = if i.is_multiple_of(2) {
        (
            "agent.tool_use",
            "observed",
            json!({"id": format!("sevt_{i}"), "name": "bash",
            "input": {"command": format!("grep -rn 'TODO' src/module_{i}.rs | head -20")}}),
        )
    } else {
        (
            "vargate.decision",
            if i % 10 == 1 { "deny" } else { "allow" },
            json!({
            "tool": "bash", "tool_kind": "builtin", "agent": "agent_research", "tool_use_id": format!("sevt_{}", i - 1),
            "reason": "no rule objects", "params": {"command": "grep -rn 'TODO' src"},
            "policy": {"matched_rules": ["general.allow_read_only"], "reasons": ["read-only command"], "decision": "allow"},
            "evaluation": {"bundle_hash": "sha256:9f2c1e", "pass1_input": {"tool": "bash"}},
            "findings": {"dangerous": [], "anomalies": []}}),
        )
    };
    NewRecord {
        session_id: session.to_owned(),
        ts: "2026-11-25T10:00:00.000Z".into(),
        kind: kind.into(),
        source: "bench".into(),
        decision: decision.into(),
        payload,
    }
}

fn main() {
    vargate_store::memory::avoid_transparent_huge_pages();
    let events = arg("--events", 10_000);
    let others = arg("--others", 3);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    runtime.block_on(async {
        let store = Store::open(&dir.path().join("bench.db"), Arc::new(FixedKey([7; 32])), StoreOptions::default())
            .await
            .expect("store");
        // The session's events interleaved with `others` other sessions' (so its leaves are scattered).
        let mut batch = Vec::new();
        for i in 0..events {
            batch.push(event("sesn_bench", i));
            for o in 0..others {
                batch.push(event(&format!("sesn_other_{}", (i * others + o) % 500), i));
            }
            if batch.len() >= 4096 {
                store.append_batch("bench", std::mem::take(&mut batch)).await.expect("append");
            }
        }
        store.append_batch("bench", batch).await.expect("append");
        let size = store.size("bench").await.expect("size");

        let mut export_times = Vec::new();
        let mut pack = Vec::new();
        for _ in 0..3 {
            let start = Instant::now();
            pack = export_pack(&store, "bench", "sesn_bench", "2026-12-01T00:00:00Z", &|_| {})
                .await
                .expect("export")
                .bytes;
            export_times.push(start.elapsed());
        }
        let key = vargate_proof::NoteVerifier::parse(&store.log("bench").await.expect("log").vkey).expect("key");
        let verify = best_of(5, || {
            let v = vargate_proof::verify_pack(&pack, Some(&key), Some(&EvmAnchorCheck)).expect("verify");
            assert!(v.passed(), "{v:#?}");
        });
        let files = vargate_proof::pack::read_zip(&pack).expect("zip");
        let read = best_of(5, || {
            std::hint::black_box(vargate_proof::pack::read_zip(&pack).expect("zip"));
        });
        let layout = best_of(5, || vargate_proof::pack::check_layout(&pack, &files).expect("layout"));
        let proof_only = best_of(5, || {
            let v = vargate_proof::verify_proof_file_with(&files["proof.json"], Some(&key), Some(&EvmAnchorCheck));
            assert!(v.expect("verify").passed());
        });
        let sha = best_of(5, || {
            std::hint::black_box(sha2::Sha256::digest(&pack));
        });
        let export = export_times.iter().min().copied().unwrap_or_default();
        println!("log of {size} records; session of {events} events; pack {} bytes", pack.len());
        println!("export (best of 3): {:.3} s  (target ≤ 3 s)", export.as_secs_f64());
        println!(
            "verify (best of 5): {:.1} ms; raw SHA-256 over the same bytes: {:.2} ms; ratio {:.2}× (target ≥ 0.3×)",
            ms(verify),
            ms(sha),
            sha.as_secs_f64() / verify.as_secs_f64()
        );
        println!(
            "  of which: reading the zip {:.1} ms, checking its layout {:.1} ms, verifying proof.json ({} bytes) {:.1} ms",
            ms(read),
            ms(layout),
            files["proof.json"].len(),
            ms(proof_only)
        );
        // For profiling: `-- --verify-loops N` repeats the proof verification N more times.
        for _ in 0..arg("--verify-loops", 0) {
            std::hint::black_box(vargate_proof::verify_proof_file_with(&files["proof.json"], Some(&key), None).ok());
        }
        store.close().await;
    });
}

fn best_of(n: usize, mut f: impl FnMut()) -> Duration {
    (0..n)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
