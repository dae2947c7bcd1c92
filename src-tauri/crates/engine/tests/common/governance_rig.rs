//! What the governance tests share: a log with real key files, the demo policies, a simulator playing a
//! scenario, agents and sessions of it, and waits on the decisions a session's log holds.
#![allow(dead_code)] // each test binary uses its own part

use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;
use vargate_agents::client::{AgentParams, Client, ClientConfig, EnvironmentParams, SessionParams};
use vargate_agents::sim::{SimConfig, SimHandle, Simulator};
use vargate_agents::stream::WatchOptions;
use vargate_engine::{Governor, PolicySet, ProfileChoice, ingest_session};
use vargate_store::{Keychain, KeystoreKind, Store, StoreOptions, TimelineFilter};

pub const TENANT: &str = "acme";

pub async fn open_store(dir: &std::path::Path) -> Store {
    std::fs::create_dir_all(dir).unwrap();
    let keys = Keychain::open(KeystoreKind::InsecureFile(dir.join("keys"))).unwrap();
    Store::open(&dir.join("log.db"), Arc::new(keys), StoreOptions::default()).await.unwrap()
}

pub fn demo_policies() -> Arc<PolicySet> {
    Arc::new(PolicySet::load(None, ProfileChoice::Named("demo".into())).unwrap())
}

/// A simulator that knows `scenario`, a client of it, and the folder the scenario is kept in.
pub async fn simulator(scenario: &Value) -> (SimHandle, Client, tempfile::TempDir) {
    let scenarios = tempfile::tempdir().unwrap();
    std::fs::write(scenarios.path().join("s.json"), scenario.to_string()).unwrap();
    let config = SimConfig { scenario_dir: Some(scenarios.path().to_owned()), ..SimConfig::default() };
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
    let client = Client::new(ClientConfig::new(sim.base_url(), "sk-test")).unwrap();
    (sim, client, scenarios)
}

/// An agent with `tools` playing the scenario named `scenario`, and an environment: their ids.
pub async fn agent_and_environment(client: &Client, scenario: &str, tools: Vec<Value>) -> (String, String) {
    let mut metadata = Map::new();
    metadata.insert("sim_scenario".into(), json!(scenario));
    let params =
        AgentParams { name: "a".into(), model: json!("claude-sonnet-4-5"), tools, metadata, ..Default::default() };
    let agent = client.create_agent(&params).await.unwrap();
    let env = client.create_environment(&EnvironmentParams { name: "e".into(), ..Default::default() }).await.unwrap();
    (agent.id, env.id)
}

/// A new session of `agent` in `env`: its id.
pub async fn new_session(client: &Client, agent: &str, env: &str) -> String {
    let params = SessionParams { agent: json!(agent), environment_id: env.to_owned(), ..Default::default() };
    client.create_session(&params).await.unwrap().id
}

/// A simulator whose agent calls the custom tool `open_in_editor` (which the demo policies hold for
/// approval), then says it opened the file: the simulator, its client, the scenario's folder, agent and env.
pub async fn editor_agent() -> (SimHandle, Client, tempfile::TempDir, String, String) {
    let steps = json!([
        {"type": "custom_tool_use", "name": "open_in_editor", "input": {"path": "README.md"}},
        {"type": "message", "text": "opened"}
    ]);
    let (sim, client, scenarios) = simulator(&scenario("hold", steps)).await;
    let tools = vec![json!({"type": "custom", "name": "open_in_editor", "description": "Open",
                            "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}})];
    let (agent, env) = agent_and_environment(&client, "hold", tools).await;
    (sim, client, scenarios, agent, env)
}

/// Runs one turn of `scenario` (built-in tools `permission`) under a governor and returns the session id.
pub async fn governed_turn(store: &Store, governor: &Governor, scenario: Value, permission: &str) -> String {
    let (sim, client, _scenarios) = simulator(&scenario).await;
    let tools = vec![
        json!({"type": "agent_toolset_20260401", "default_config": {"permission_policy": {"type": permission}}}),
        json!({"type": "custom", "name": "make_payment", "description": "Pay",
               "input_schema": {"type": "object", "properties": {"amount": {"type": "number"}}}}),
        json!({"type": "custom", "name": "send_email", "description": "Mail",
               "input_schema": {"type": "object", "properties": {"to": {"type": "string"}}}}),
    ];
    let (agent, env) = agent_and_environment(&client, scenario["name"].as_str().unwrap(), tools).await;
    let session = session_turn(&client, store, governor, &agent, &env).await;
    sim.shutdown().await;
    session
}

/// Runs one turn of a new session of `agent` under a governor, until the turn ends; deletes the session
/// (which ends the watch) and returns its id.
pub async fn session_turn(client: &Client, store: &Store, governor: &Governor, agent: &str, env: &str) -> String {
    let session = new_session(client, agent, env).await;
    let options = WatchOptions::default();
    let watch = ingest_session(client, store, TENANT, &session, governor, &options);
    let drive = async {
        client
            .send_events(&session, &[json!({"type": "user.message", "content": [{"type": "text", "text": "go"}]})])
            .await
            .unwrap();
        // Until the turn ends: an idle that is not waiting on Vargate.
        for _ in 0..400 {
            tokio::time::sleep(Duration::from_millis(25)).await;
            let idle = store
                .timeline(
                    TENANT,
                    &session,
                    &TimelineFilter { types: vec!["session.status_idle".into()], limit: 100, ..Default::default() },
                )
                .await
                .unwrap_or_default();
            if idle.iter().any(|e| e.record.payload["stop_reason"]["type"] != "requires_action") {
                break;
            }
        }
        client.delete_session(&session).await.unwrap();
    };
    let (watched, ()) = tokio::join!(watch, drive);
    watched.unwrap();
    session
}

pub async fn decisions(store: &Store, session: &str) -> Vec<vargate_store::TimelineEntry> {
    let filter = TimelineFilter { types: vec!["vargate.decision".into()], limit: 100, ..Default::default() };
    store.timeline(TENANT, session, &filter).await.unwrap()
}

/// Waits until the session has `n` decision records (30 s at most), then deletes it, which ends the watch.
pub async fn end_after_decisions(store: &Store, client: &Client, session: &str, n: usize) {
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if decisions(store, session).await.len() == n {
            break;
        }
    }
    client.delete_session(session).await.unwrap();
}

/// Waits until the session has `n` decision records and the answer to its last call is recorded (its echo:
/// an approved custom call is run, and its result recorded, before it is answered), then deletes it.
pub async fn end_after_answer(store: &Store, client: &Client, session: &str, n: usize) {
    let answers = TimelineFilter { types: vec!["user.custom_tool_result".into()], limit: 10, ..Default::default() };
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let answered = !store.timeline(TENANT, session, &answers).await.unwrap_or_default().is_empty();
        if answered && decisions(store, session).await.len() == n {
            break;
        }
    }
    client.delete_session(session).await.unwrap();
}

pub fn scenario(name: &str, steps: Value) -> Value {
    json!({"name": name, "turns": [{"steps": steps}]})
}
