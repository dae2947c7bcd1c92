//! Interrupts on observed behaviour, against the simulator: while the run goes on, Vargate records why, sends
//! `user.interrupt` and tells the agent; when the run has already ended, it records why and sends only the
//! interrupt — a message would start a new turn and undo it.

use std::sync::Arc;
use std::time::Duration;
use vargate_agents::stream::WatchOptions;
use vargate_engine::demo::{self, Demo};
use vargate_engine::{Governor, PolicySet, ProfileChoice, ingest_session_until};
use vargate_store::{Keychain, KeystoreKind, Store, StoreOptions, TimelineEntry, TimelineFilter};

async fn rig(dir: &std::path::Path, event_delay: Duration) -> (Demo, Store, Arc<Governor>, String) {
    let keys = Keychain::open(KeystoreKind::InsecureFile(dir.join("keys"))).unwrap();
    let store = Store::open(&dir.join("log.db"), Arc::new(keys), StoreOptions::default()).await.unwrap();
    let policies = Arc::new(PolicySet::load(None, ProfileChoice::Named("demo".into())).unwrap());
    let governor = Arc::new(Governor::new(policies, store.clone()));
    let api = Demo::start(None, event_delay).await.unwrap();
    let spec = demo::SESSIONS.iter().find(|s| s.label == "observed").unwrap();
    let session = api.create(spec).await.unwrap();
    (api, store, governor, session)
}

async fn start_turn(api: &Demo, session: &str) {
    let go = serde_json::json!({"type": "user.message", "content": [{"type": "text", "text": "go"}]});
    api.client().send_events(session, &[go]).await.unwrap();
}

/// Ingests the session until Vargate has interrupted it; returns the interrupt record.
async fn ingest_until_interrupted(api: &Demo, store: &Store, governor: &Governor, session: &str) -> TimelineEntry {
    let filter = TimelineFilter { types: vec!["vargate.interrupt".into()], ..TimelineFilter::default() };
    let interrupted = async {
        for _ in 0..400 {
            if !store.timeline("demo", session, &filter).await.unwrap_or_default().is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the session was never interrupted");
    };
    let options = WatchOptions::default();
    ingest_session_until(api.client(), store, "demo", session, governor, &options, interrupted).await.unwrap();
    store.timeline("demo", session, &filter).await.unwrap().remove(0)
}

fn messages_to_the_agent(history: &[vargate_agents::events::SessionEvent]) -> Vec<String> {
    history
        .iter()
        .filter(|e| e.raw["type"] == "user.message")
        .map(|e| e.raw["content"][0]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_run_still_going_is_interrupted_and_the_agent_told_why() {
    let dir = tempfile::tempdir().unwrap();
    // Events a little apart: each arrives on its own, so the exfiltration is seen while the run goes on.
    let (api, store, governor, session) = rig(dir.path(), Duration::from_millis(40)).await;
    start_turn(&api, &session).await;
    let record = ingest_until_interrupted(&api, &store, &governor, &session).await;
    assert_eq!(record.record.payload["agent_told"], true, "{:?}", record.record.payload);
    let history = api.client().all_events(&session).await.unwrap();
    assert!(history.iter().any(|e| e.raw["type"] == "user.interrupt"));
    let told = messages_to_the_agent(&history);
    assert!(told.iter().any(|m| m.starts_with("Vargate interrupted this session: behavioural score")), "{told:?}");
    api.shutdown().await;
}

#[tokio::test]
async fn a_run_already_over_is_interrupted_without_waking_the_agent() {
    let dir = tempfile::tempdir().unwrap();
    let (api, store, governor, session) = rig(dir.path(), Duration::ZERO).await;
    start_turn(&api, &session).await;
    // The whole turn is over before Vargate looks: it arrives as one batch ending in an idle.
    for _ in 0..400 {
        let history = api.client().all_events(&session).await.unwrap();
        if history.iter().any(|e| e.raw["type"] == "session.status_idle" && e.raw["stop_reason"]["type"] == "end_turn")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let record = ingest_until_interrupted(&api, &store, &governor, &session).await;
    assert_eq!(record.record.payload["agent_told"], false, "{:?}", record.record.payload);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let history = api.client().all_events(&session).await.unwrap();
    assert!(history.iter().any(|e| e.raw["type"] == "user.interrupt"));
    assert_eq!(messages_to_the_agent(&history), ["go"], "no message that would start a new turn");
    api.shutdown().await;
}

/// A session that spends its profile's token budget is interrupted with the figures, even when its tools
/// run without asking (the policy alone would only deny its next asking call).
#[tokio::test]
async fn a_spent_token_budget_interrupts_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("tight.json");
    let tight = serde_json::json!({"name": "tight", "templates": ["general", "budget"], "params": {"budget": {"token_cap": 10}}});
    std::fs::write(&profile, tight.to_string()).unwrap();
    let keys = Keychain::open(KeystoreKind::InsecureFile(dir.path().join("keys"))).unwrap();
    let store = Store::open(&dir.path().join("log.db"), Arc::new(keys), StoreOptions::default()).await.unwrap();
    let policies = Arc::new(PolicySet::load(None, ProfileChoice::File(profile)).unwrap());
    let governor = Governor::new(policies, store.clone());
    let api = Demo::start(None, Duration::from_millis(20)).await.unwrap();
    let spec = demo::SESSIONS.iter().find(|s| s.label == "research").unwrap();
    let session = api.create(spec).await.unwrap();
    start_turn(&api, &session).await;
    let record = ingest_until_interrupted(&api, &store, &governor, &session).await;
    let p = &record.record.payload;
    assert!(p["reason"].as_str().unwrap().starts_with("token budget spent:"), "{p}");
    assert_eq!((p["token_cap"].as_u64(), p["rule"].as_str()), (Some(10), Some("budget.exhausted")));
    assert!(p["tokens_used"].as_u64().unwrap() >= 10);
    api.shutdown().await;
}
