//! A small synthetic log shared by the proof crate's tests.
#![allow(dead_code)]

use serde_json::json;
use vargate_proof::{AuditRecord, NoteSigner, ProofFile, merkle::leaf_hash, proof_file::build_from_leaves};

pub const TENANT: &str = "acme";

pub fn signer() -> NoteSigner {
    NoteSigner::from_seed("vargate-test/acme", [3u8; 32]).unwrap()
}

/// `n` records over three sessions, chained per session.
pub fn log(n: u64) -> Vec<Vec<u8>> {
    let mut heads: std::collections::HashMap<String, (u64, String)> = Default::default();
    (0..n)
        .map(|i| {
            let session = format!("s{}", i % 3);
            let head = heads.get(&session).cloned();
            let rec = AuditRecord {
                v: 1,
                tenant: TENANT.into(),
                session_id: session.clone(),
                seq: head.as_ref().map_or(0, |(s, _)| s + 1),
                prev: head.map(|(_, h)| h),
                ts: "2026-11-25T10:00:00Z".into(),
                kind: "agent.tool_use".into(),
                source: "test".into(),
                decision: "observed".into(),
                payload: json!({"i": i, "command": "ls -la /srv", "note": "ünïcode ✓"}),
            };
            let leaf = rec.canonical_bytes();
            heads.insert(session, (rec.seq, hex::encode(leaf_hash(&leaf))));
            leaf
        })
        .collect()
}

pub fn proof_file(n: u64, session: &str) -> ProofFile {
    build_from_leaves(&log(n), TENANT, session, &signer()).unwrap()
}
