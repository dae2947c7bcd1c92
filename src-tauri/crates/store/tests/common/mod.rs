//! Helpers shared by the store's integration tests.
#![allow(dead_code)]

use serde_json::json;
use std::sync::Arc;
use vargate_store::{FixedKey, NewRecord, Store, StoreOptions};

pub fn record(session: &str, n: u64) -> NewRecord {
    NewRecord {
        session_id: session.to_owned(),
        ts: "2026-11-25T10:00:00Z".into(),
        kind: "agent.tool_use".into(),
        source: "test".into(),
        decision: "observed".into(),
        payload: json!({"n": n, "tool": "bash", "input": {"command": format!("echo {n}")}}),
    }
}

pub async fn open(dir: &std::path::Path) -> Store {
    Store::open(&dir.join("log.db"), Arc::new(FixedKey([42u8; 32])), StoreOptions::default()).await.unwrap()
}
