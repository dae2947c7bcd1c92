//! Offline verification throughput of a proof file against raw SHA-256 over the same leaf bytes, in the same
//! run. Target: verification ≥ 0.3× raw SHA-256 throughput.
//!
//!   cargo bench -p vargate-proof --bench verify [-- --log 200000 --sessions 20 --output-bytes 0]
//!
//! `--output-bytes N` adds an N-byte tool output to every record's payload (real tool results are often KBs).

// The binaries use mimalloc (see the CLI's main.rs); benchmarks measure what ships.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Instant;
use vargate_proof::merkle::leaf_hash;
use vargate_proof::proof_file::build_from_leaves;
use vargate_proof::{AuditRecord, NoteSigner, verify_proof_file};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map_or(default, |v| v.parse().unwrap())
}

fn main() {
    let n = arg("--log", 200_000);
    let sessions = arg("--sessions", 20);
    let output = "x".repeat(arg("--output-bytes", 0) as usize);
    let signer = NoteSigner::from_seed("bench/acme", [9u8; 32]).unwrap();
    let mut heads = std::collections::HashMap::<u64, (u64, String)>::new();
    let leaves: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let s = i % sessions;
            let head = heads.get(&s).cloned();
            let rec = AuditRecord {
                v: 1,
                tenant: "acme".into(),
                session_id: format!("sesn_{s:024}"),
                seq: head.as_ref().map_or(0, |(q, _)| q + 1),
                prev: head.map(|(_, h)| h),
                ts: "2026-11-25T10:00:00.123456Z".into(),
                kind: "agent.tool_use".into(),
                source: "sse".into(),
                decision: "observed".into(),
                payload: json!({"id": format!("sevt_{i:024}"), "name": "bash", "input": {"command": "ls -la /srv/data"}, "output": output}),
            };
            let leaf = rec.canonical_bytes();
            heads.insert(s, (rec.seq, hex::encode(leaf_hash(&leaf))));
            leaf
        })
        .collect();
    let file = build_from_leaves(&leaves, "acme", &format!("sesn_{:024}", 0), &signer).unwrap();
    let bytes = serde_json::to_vec(&file).unwrap();
    let session_leaves: Vec<&Vec<u8>> = leaves.iter().step_by(sessions as usize).collect();
    let leaf_bytes: usize = session_leaves.iter().map(|l| l.len()).sum();
    println!(
        "verify: session of {} records (~{} B leaves) in a log of {n}; proof file {:.1} MB",
        file.entries.len(),
        leaf_bytes / session_leaves.len(),
        bytes.len() as f64 / 1e6
    );
    let (mut best_raw, mut best_verify) = (f64::MAX, f64::MAX);
    for round in 1..=arg("--rounds", 5) {
        let t = Instant::now();
        let mut acc = 0u8;
        for l in &session_leaves {
            acc ^= Sha256::digest(l)[0];
        }
        let raw = t.elapsed().as_secs_f64();
        std::hint::black_box(acc);
        let t = Instant::now();
        let verdict = verify_proof_file(&bytes, Some(signer.verifier())).unwrap();
        let verify = t.elapsed().as_secs_f64();
        assert!(verdict.passed());
        println!(
            "  round {round}: raw SHA-256 {:>7.1} MB/s   verify {:>7.1} MB/s of leaf bytes   ratio {:.3}",
            leaf_bytes as f64 / raw / 1e6,
            leaf_bytes as f64 / verify / 1e6,
            raw / verify
        );
        let t = Instant::now();
        for l in &session_leaves {
            std::hint::black_box(AuditRecord::from_leaf(l).unwrap());
        }
        let canon = t.elapsed().as_secs_f64();
        let t = Instant::now();
        std::hint::black_box(serde_json::from_slice::<serde_json::Value>(&bytes).unwrap());
        let parse = t.elapsed().as_secs_f64();
        println!(
            "           of which: record canonical-form checks {:.0} ms, JSON parse (as a Value) {:.0} ms, total {:.0} ms",
            canon * 1e3,
            parse * 1e3,
            verify * 1e3
        );
        best_raw = best_raw.min(raw);
        best_verify = best_verify.min(verify);
    }
    println!(
        "verify: best ratio {:.3} of raw SHA-256 throughput over the same leaf bytes (target >= 0.30)",
        best_raw / best_verify
    );
}
