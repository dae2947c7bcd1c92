//! Sessions started through Vargate against the simulator: within the limits they start and are recorded;
//! over a limit, or when the figures cannot be had, they are refused and the refusal is recorded with why.

use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use vargate_agents::client::{AgentParams, Client, ClientConfig, EnvironmentParams, SessionParams};
use vargate_engine::demo::Demo;
use vargate_engine::session_gate::{CONTROL_SESSION, GateError, SessionLimits, start_session};
use vargate_store::{FixedKey, Store, StoreOptions, TimelineFilter};

async fn rig(dir: &std::path::Path) -> (Demo, Store, SessionParams) {
    let store = Store::open(&dir.join("log.db"), Arc::new(FixedKey([3; 32])), StoreOptions::default()).await.unwrap();
    let api = Demo::start(None, Duration::ZERO).await.unwrap();
    let agent = AgentParams { name: "gated".into(), model: json!("claude-sonnet-4-5"), ..Default::default() };
    let agent = api.client().create_agent(&agent).await.unwrap();
    let env = EnvironmentParams { name: "env".into(), ..Default::default() };
    let env = api.client().create_environment(&env).await.unwrap();
    let params = SessionParams { agent: json!(agent.id), environment_id: env.id, ..Default::default() };
    (api, store, params)
}

async fn control(store: &Store) -> Vec<vargate_store::TimelineEntry> {
    store.timeline("acme", CONTROL_SESSION, &TimelineFilter { limit: 100, ..Default::default() }).await.unwrap()
}

#[tokio::test]
async fn open_sessions_are_capped_and_a_refusal_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (api, store, params) = rig(dir.path()).await;
    let limits = SessionLimits { max_concurrent: Some(2), daily: None };
    let first = start_session(api.client(), &store, "acme", limits, &params, "alice").await.unwrap();
    start_session(api.client(), &store, "acme", limits, &params, "alice").await.unwrap();
    let refused = start_session(api.client(), &store, "acme", limits, &params, "bob").await.unwrap_err();
    assert!(matches!(&refused, GateError::Refused(r) if r.contains("2 sessions are open")), "{refused}");
    // One ends; there is room again.
    api.client().delete_session(&first).await.unwrap();
    start_session(api.client(), &store, "acme", limits, &params, "bob").await.unwrap();
    let kinds: Vec<_> = control(&store).await.into_iter().map(|e| (e.record.kind, e.record.decision)).collect();
    let expected = [("started", "allow"), ("started", "allow"), ("refused", "deny"), ("started", "allow")];
    let expected: Vec<_> = expected.iter().map(|(k, d)| (format!("vargate.session_{k}"), (*d).to_owned())).collect();
    assert_eq!(kinds, expected);
    let refusal = &control(&store).await[2].record.payload;
    assert_eq!((refusal["by"].as_str(), refusal["figures"]["open"].as_u64()), (Some("bob"), Some(2)));
    api.shutdown().await;
}

#[tokio::test]
async fn starts_per_day_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let (api, store, params) = rig(dir.path()).await;
    let limits = SessionLimits { max_concurrent: None, daily: Some(3) };
    for _ in 0..3 {
        start_session(api.client(), &store, "acme", limits, &params, "alice").await.unwrap();
    }
    let refused = start_session(api.client(), &store, "acme", limits, &params, "alice").await.unwrap_err();
    assert!(refused.to_string().contains("3 sessions were started in the last 24 hours"), "{refused}");
    assert_eq!(api.client().list_sessions(&Default::default()).await.unwrap().data.len(), 3, "no fourth session");
    api.shutdown().await;
}

#[tokio::test]
async fn a_limit_that_cannot_be_checked_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let (api, store, params) = rig(dir.path()).await;
    // An API that is not there: the open sessions cannot be counted.
    let mut config = ClientConfig::new("http://127.0.0.1:1", "sk-test");
    config.max_retries = 0;
    let gone = Client::new(config).unwrap();
    let limits = SessionLimits { max_concurrent: Some(5), daily: None };
    let refused = start_session(&gone, &store, "acme", limits, &params, "alice").await.unwrap_err();
    assert!(refused.to_string().contains("refused on a fault"), "{refused}");
    let recorded = control(&store).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].record.kind, "vargate.session_refused");
    assert!(recorded[0].record.payload["figures"]["fault"].as_str().unwrap().contains("counting open sessions"));
    // Without limits nothing needs counting, and the start goes through.
    let unlimited = SessionLimits::from_params(&json!({"general": {}}));
    assert_eq!(unlimited, SessionLimits::default());
    start_session(api.client(), &store, "acme", unlimited, &params, "alice").await.unwrap();
    api.shutdown().await;
}
