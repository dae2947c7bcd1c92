//! Periodic anchoring against a real local chain (anvil, started here): the latest checkpoint goes on chain
//! and its evidence into the log; with the chain gone, attempts fail with backoff and a clear status while
//! the log keeps taking records; an exported pack carries the anchor and verifies.

use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use vargate_anchor::AnchorConfig;
use vargate_anchor::devnet::{CHAIN_ID, DevChain, anvil_binary};
use vargate_engine::anchoring::{AnchorStatus, EvmAnchorCheck, anchor_address, spawn_anchorer};
use vargate_store::{Keychain, KeystoreKind, NewRecord, Store, StoreOptions};

const TENANT: &str = "acme";

fn record(i: u64) -> NewRecord {
    NewRecord {
        session_id: format!("s{}", i % 3),
        ts: "2026-12-01T10:00:00Z".into(),
        kind: "agent.tool_use".into(),
        source: "test".into(),
        decision: "observed".into(),
        payload: json!({ "i": i }),
    }
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn periodic_anchoring_records_evidence_and_survives_an_unreachable_chain() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keychain::open(KeystoreKind::InsecureFile(dir.path().join("keys"))).unwrap();
    let store = Store::open(&dir.path().join("log.db"), Arc::new(keys), StoreOptions::default()).await.unwrap();
    store.append_batch(TENANT, (0..40).map(record).collect()).await.unwrap();

    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let chain = DevChain::start(&anvil_binary(&repo)).await.unwrap_or_else(|e| panic!("{e}"));
    chain.fund(&anchor_address(&store, CHAIN_ID).await.unwrap()).await.unwrap();
    let config = AnchorConfig {
        confirmations: 0,
        interval_secs: 1,
        timeout_secs: 10,
        ..AnchorConfig::new(chain.url(), CHAIN_ID)
    };
    let anchorer = spawn_anchorer(store.clone(), config, dir.path().to_owned());
    wait_for("the first anchor", async || store.anchors(TENANT).await.unwrap().len() == 1).await;
    let first = store.anchors(TENANT).await.unwrap().remove(0);
    assert_eq!(first.size, 40);
    assert_eq!(first.evidence["chain_id"], CHAIN_ID);

    // The log grows; the next interval anchors the new size (and not the anchor record alone).
    store.append_batch(TENANT, (40..50).map(record).collect()).await.unwrap();
    wait_for("the second anchor", async || store.anchors(TENANT).await.unwrap().len() == 2).await;
    assert_eq!(store.anchors(TENANT).await.unwrap()[0].size, 51);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(store.anchors(TENANT).await.unwrap().len(), 2, "an unchanged log is not anchored again");
    anchorer.abort();

    // A pack exported now carries the newest anchor and verifies, transaction included.
    let pack =
        vargate_engine::export::export_pack(&store, TENANT, "s1", "2026-12-01T11:00:00Z", &|_| {}).await.unwrap();
    assert!(pack.anchored);
    let key = vargate_proof::NoteVerifier::parse(&store.log(TENANT).await.unwrap().vkey).unwrap();
    let verdict = vargate_proof::verify_pack(&pack.bytes, Some(&key), Some(&EvmAnchorCheck)).unwrap();
    assert!(verdict.passed() && verdict.origin_verified, "{verdict:#?}");
    assert!(verdict.checks.iter().any(|c| c.name == "anchor transaction" && c.detail.contains("size 51")));

    // The chain goes away: attempts fail and say so; appends are never held up.
    drop(chain);
    let gone = AnchorConfig { interval_secs: 1, timeout_secs: 5, ..AnchorConfig::new("http://127.0.0.1:9", CHAIN_ID) };
    let anchorer = spawn_anchorer(store.clone(), gone, dir.path().to_owned());
    store.append_batch(TENANT, (50..60).map(record).collect()).await.unwrap();
    wait_for("a recorded failure", async || {
        AnchorStatus::load(dir.path()).unwrap().tenants.get(TENANT).is_some_and(|t| t.failures >= 2)
    })
    .await;
    let status = AnchorStatus::load(dir.path()).unwrap();
    let mine = &status.tenants[TENANT];
    assert!(mine.last_error.as_deref().unwrap().contains("cannot reach the EVM node"), "{mine:?}");
    assert!(mine.next_attempt_at.is_some());
    let started = Instant::now();
    store.append_batch(TENANT, (60..70).map(record).collect()).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "appends waited on the chain");
    assert_eq!(store.anchors(TENANT).await.unwrap().len(), 2);
    anchorer.abort();
    store.close().await;
}
