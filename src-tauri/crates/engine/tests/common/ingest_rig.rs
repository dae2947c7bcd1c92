//! What the ingest tests share: a simulator with a client and a fresh audit log, sessions of its scenarios,
//! and waits on what the log holds.
#![allow(dead_code)] // each test binary uses its own part

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use vargate_agents::client::{AgentParams, Client, ClientConfig, EnvironmentParams, SessionParams};
use vargate_agents::sim::{SimConfig, SimHandle, Simulator};
use vargate_agents::stream::WatchOptions;
use vargate_engine::{FailClosed, IngestReport, ingest_session};
use vargate_store::{FixedKey, Store, StoreOptions, TimelineFilter};

pub struct Rig {
    pub sim: SimHandle,
    pub client: Client,
    pub store: Store,
    _dirs: Vec<tempfile::TempDir>,
}

pub async fn rig(drop_stream_after: Option<usize>) -> Rig {
    rig_with(drop_stream_after, None).await
}

/// A simulator (with `scenario` added to the bundled ones), a client of it and a fresh audit log.
pub async fn rig_with(drop_stream_after: Option<usize>, scenario: Option<Value>) -> Rig {
    let mut dirs = Vec::new();
    let mut config = SimConfig::default();
    if let Some(scenario) = scenario {
        let scenarios = tempfile::tempdir().unwrap();
        std::fs::write(scenarios.path().join("extra.json"), scenario.to_string()).unwrap();
        config.scenario_dir = Some(scenarios.path().to_owned());
        dirs.push(scenarios);
    }
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
    sim.set_drop_stream_after(drop_stream_after);
    let mut cfg = ClientConfig::new(sim.base_url(), "sk-test");
    cfg.initial_backoff = Duration::from_millis(10);
    cfg.max_backoff = Duration::from_millis(50);
    let client = Client::new(cfg).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store =
        Store::open(&dir.path().join("log.db"), Arc::new(FixedKey([1; 32])), StoreOptions::default()).await.unwrap();
    dirs.push(dir);
    Rig { sim, client, store, _dirs: dirs }
}

/// Creates an agent that must ask before every built-in tool and has one custom tool, and a session of it
/// running `scenario`.
pub async fn session(client: &Client, scenario: &str) -> String {
    let mut metadata = serde_json::Map::new();
    metadata.insert("sim_scenario".into(), json!(scenario));
    let agent = client
        .create_agent(&AgentParams {
            name: "governed".into(),
            model: json!("claude-sonnet-4-5"),
            tools: vec![
                json!({"type": "agent_toolset_20260401", "default_config": {"permission_policy": {"type": "always_ask"}}}),
                json!({"type": "custom", "name": "open_in_editor", "description": "Open a file",
                       "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}}),
            ],
            metadata,
            ..AgentParams::default()
        })
        .await
        .unwrap();
    let env = client.create_environment(&EnvironmentParams { name: "env".into(), ..Default::default() }).await.unwrap();
    let session = client
        .create_session(&SessionParams { agent: json!(agent.id), environment_id: env.id, ..Default::default() })
        .await
        .unwrap();
    session.id
}

/// Runs one turn of `scenario` under ingest, waits for the turn to end, deletes the session (which ends the
/// watch) and returns the report, the session id and the ids of the simulator's history before deletion.
pub async fn run_turn(rig: &Rig, scenario: &str) -> (IngestReport, String, Vec<String>) {
    let id = session(&rig.client, scenario).await;
    let ingest = {
        let (client, store, id) = (rig.client.clone(), rig.store.clone(), id.clone());
        tokio::spawn(async move {
            let options = WatchOptions { max_reconnects: Some(50), ..WatchOptions::default() };
            ingest_session(&client, &store, "acme", &id, &FailClosed, &options).await
        })
    };
    rig.client
        .send_events(&id, &[json!({"type": "user.message", "content": [{"type": "text", "text": "go"}]})])
        .await
        .unwrap();
    // The turn is over when the history ends in an end_turn idle.
    let mut history = Vec::new();
    for _ in 0..400 {
        history = rig.client.all_events(&id).await.unwrap();
        if history.iter().any(|e| e.raw["type"] == "session.status_idle" && e.raw["stop_reason"]["type"] == "end_turn")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let history_ids: Vec<String> = history.iter().filter_map(|e| e.id().map(str::to_owned)).collect();
    assert!(history_ids.len() >= 8, "the turn did not finish: {history_ids:?}");
    // Deleting a session deletes its history: let ingest catch up first, or what it has not read is gone.
    for _ in 0..400 {
        let filter = TimelineFilter { limit: 100_000, ..Default::default() };
        let recorded = rig.store.timeline("acme", &id, &filter).await.map(|t| recorded_ids(&t).len()).unwrap_or(0);
        if recorded >= history_ids.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    rig.client.delete_session(&id).await.unwrap();
    let report = tokio::time::timeout(Duration::from_secs(20), ingest).await.expect("ingest ended").unwrap().unwrap();
    (report, id, history_ids)
}

pub fn recorded_ids(timeline: &[vargate_store::TimelineEntry]) -> Vec<String> {
    timeline
        .iter()
        .filter(|e| e.record.source == "sse")
        // A malformed event is recorded inside a note: {"event": <raw>, "note": …}.
        .filter_map(|e| {
            let p = &e.record.payload;
            p.get("id")
                .or_else(|| p.get("event").and_then(|ev| ev.get("id")))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

/// Starts a turn of `scenario` on a new session with nobody watching, and waits until the session blocks on
/// a tool confirmation: its id and history.
pub async fn blocked_session(rig: &Rig, scenario: &str) -> (String, Vec<vargate_agents::events::SessionEvent>) {
    let id = session(&rig.client, scenario).await;
    rig.client
        .send_events(&id, &[json!({"type": "user.message", "content": [{"type": "text", "text": "go"}]})])
        .await
        .unwrap();
    for _ in 0..200 {
        let history = rig.client.all_events(&id).await.unwrap();
        if history.iter().any(|e| e.raw.get("stop_reason").is_some_and(|r| r["type"] == "requires_action")) {
            return (id, history);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("session {id} never blocked on a confirmation");
}

/// Attaches ingest to the session until the log holds the end of its turn (failing with `why` otherwise),
/// then deletes the session, which ends the watch: the run's report.
pub async fn attach_until_the_turn_ends(rig: &Rig, id: &str, why: &str) -> IngestReport {
    let run = {
        let (client, store, id) = (rig.client.clone(), rig.store.clone(), id.to_owned());
        tokio::spawn(async move {
            ingest_session(&client, &store, "acme", &id, &FailClosed, &WatchOptions::default()).await
        })
    };
    assert!(turn_ends_in_the_log(&rig.store, id).await, "{why}");
    rig.client.delete_session(id).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), run).await.unwrap().unwrap().unwrap()
}

/// `events` as ingest records them (what a run that died before deciding anything left in the log).
pub fn observed_records(id: &str, events: &[vargate_agents::events::SessionEvent]) -> Vec<vargate_store::NewRecord> {
    events
        .iter()
        .map(|e| vargate_store::NewRecord {
            session_id: id.to_owned(),
            ts: e.processed_at().unwrap().to_owned(),
            kind: e.event_type().to_owned(),
            source: "sse".into(),
            decision: "observed".into(),
            payload: Value::Object(e.raw.clone()),
        })
        .collect()
}

/// Whether the log holds an `end_turn` idle of the session within 4 s.
pub async fn turn_ends_in_the_log(store: &Store, id: &str) -> bool {
    let ended = TimelineFilter { types: vec!["session.status_idle".into()], limit: 100, ..Default::default() };
    for _ in 0..400 {
        let idles = store.timeline("acme", id, &ended).await.unwrap_or_default();
        if idles.iter().any(|e| e.record.payload["stop_reason"]["type"] == "end_turn") {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}
