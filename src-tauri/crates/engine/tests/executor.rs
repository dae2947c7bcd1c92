//! Custom tool calls that policy allows are run by the executor that handles the tool, their result recorded
//! (before it is sent) and sent as the call's result; without an executor the result is an error saying so.

use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;
use vargate_agents::stream::WatchOptions;
use vargate_engine::demo::{self, Demo};
use vargate_engine::executor::{Execution, ExecutionFuture, Executor};
use vargate_engine::{Governor, PolicySet, ProfileChoice, ingest_session_until};
use vargate_store::{Keychain, KeystoreKind, Store, StoreOptions, TimelineFilter};

/// A connector for the test: pays by saying so (it runs in the test; the engine's part is what is checked).
#[derive(Debug)]
struct Ledger;

impl Executor for Ledger {
    fn name(&self) -> &str {
        "ledger"
    }
    fn handles(&self, tool: &str) -> bool {
        tool == "make_payment"
    }
    fn execute<'a>(&'a self, _tool: &'a str, input: &'a Map<String, Value>) -> ExecutionFuture<'a> {
        let text = format!("paid {} {}", input["amount"], input["currency"].as_str().unwrap_or("?"));
        Box::pin(async move {
            Execution {
                is_error: false,
                content: vec![json!({"type": "text", "text": text})],
                executor: Some("ledger".into()),
            }
        })
    }
}

async fn run(executor: Option<Arc<dyn Executor>>) -> (Vec<vargate_store::TimelineEntry>, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keychain::open(KeystoreKind::InsecureFile(dir.path().join("keys"))).unwrap();
    let store = Store::open(&dir.path().join("log.db"), Arc::new(keys), StoreOptions::default()).await.unwrap();
    let policies = Arc::new(PolicySet::load(None, ProfileChoice::Named("demo".into())).unwrap());
    let mut governor = Governor::new(policies, store.clone());
    if let Some(e) = executor {
        governor = governor.with_executor(e);
    }
    let api = Demo::start(None, Duration::ZERO).await.unwrap();
    let spec = demo::SESSIONS.iter().find(|s| s.label == "payments").unwrap();
    let session = api.create(spec).await.unwrap();
    let go = json!({"type": "user.message", "content": [{"type": "text", "text": "go"}]});
    api.client().send_events(&session, &[go]).await.unwrap();
    let filter = TimelineFilter { types: vec!["vargate.decision".into()], ..Default::default() };
    let decided = async {
        for _ in 0..400 {
            if store.timeline("demo", &session, &filter).await.unwrap_or_default().len() >= 2 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the payments were never decided");
    };
    ingest_session_until(api.client(), &store, "demo", &session, &governor, &WatchOptions::default(), decided)
        .await
        .unwrap();
    let executions = TimelineFilter { types: vec!["vargate.execution".into()], ..Default::default() };
    let recorded = store.timeline("demo", &session, &executions).await.unwrap();
    let sent = api.client().all_events(&session).await.unwrap();
    let results =
        sent.into_iter().filter(|e| e.raw["type"] == "user.custom_tool_result").map(|e| Value::Object(e.raw)).collect();
    api.shutdown().await;
    (recorded, results)
}

#[tokio::test]
async fn an_allowed_call_is_run_by_its_executor_and_its_result_recorded_and_sent() {
    let (recorded, results) = run(Some(Arc::new(Ledger))).await;
    // Two payments: one allowed (run), one over the hard cap (denied, never run).
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let r = &recorded[0].record;
    assert_eq!((r.decision.as_str(), r.payload["executor"].as_str()), ("ok", Some("ledger")));
    assert!(r.payload["content"][0]["text"].as_str().unwrap().starts_with("paid "), "{}", r.payload);
    let ok: Vec<_> = results.iter().filter(|e| e["is_error"] == false).collect();
    assert_eq!(ok.len(), 1, "{results:?}");
    assert!(ok[0]["content"][0]["text"].as_str().unwrap().starts_with("paid "));
}

#[tokio::test]
async fn without_an_executor_an_allowed_call_fails_and_says_so() {
    let (recorded, results) = run(None).await;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let r = &recorded[0].record;
    assert_eq!(r.decision, "error");
    assert!(r.payload["content"].to_string().contains("no executor is configured for tool make_payment"));
    assert!(results.iter().all(|e| e["is_error"] == true), "no fake success: {results:?}");
}

/// A connector that notes what it was given: the parameters a call actually ran with.
#[derive(Debug, Default)]
struct Notebook {
    received: std::sync::Mutex<Vec<Map<String, Value>>>,
}

impl Executor for Notebook {
    fn name(&self) -> &str {
        "notebook"
    }
    fn handles(&self, tool: &str) -> bool {
        tool == "note_contact"
    }
    fn execute<'a>(&'a self, _tool: &'a str, input: &'a Map<String, Value>) -> ExecutionFuture<'a> {
        self.received.lock().unwrap().push(input.clone());
        Box::pin(async move {
            Execution {
                is_error: false,
                content: vec![json!({"type": "text", "text": "noted"})],
                executor: Some("notebook".into()),
            }
        })
    }
}

/// Personal data that must reach the executor exactly, and never the database in clear.
const CANARY_EMAIL: &str = "jane.canary.x7qp2@example.org";
const CANARY_PHONE: &str = "+44 7700 900461";

fn contact() -> Map<String, Value> {
    json!({"name": "Jane", "email": CANARY_EMAIL, "phone": CANARY_PHONE, "note": "call back on Tuesday"})
        .as_object()
        .unwrap()
        .clone()
}

/// The log in `dir`, its keys in files beside it: each call is another handle on the same database, as
/// another process would open it.
async fn open_store(dir: &std::path::Path) -> Store {
    let keys = Keychain::open(KeystoreKind::InsecureFile(dir.join("keys"))).unwrap();
    Store::open(&dir.join("log.db"), Arc::new(keys), StoreOptions::default()).await.unwrap()
}

/// What a held-then-decided call came to: the session's records and the results it was sent.
struct Held {
    dir: tempfile::TempDir,
    session: String,
    records: Vec<vargate_store::TimelineEntry>,
    results: Vec<Value>,
}

/// Runs a session whose one custom call carries personal data (so policy holds it for a human), does
/// `meanwhile` with the waiting request (from another store handle on the same database, as another process
/// would), approves it as alice, and ingests until the call's result is recorded.
async fn hold_then_approve(notebook: Arc<Notebook>, meanwhile: impl AsyncFnOnce(&std::path::Path, &str, &str)) -> Held {
    use vargate_agents::client::{AgentParams, Client, ClientConfig, EnvironmentParams, SessionParams};
    use vargate_agents::sim::{SimConfig, Simulator};
    use vargate_engine::{ApprovalConfig, Approvals};
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let scenarios = tempfile::tempdir().unwrap();
    let scenario = json!({"name": "contact", "turns": [{"steps": [
        {"type": "custom_tool_use", "name": "note_contact", "input": contact()},
        {"type": "message", "text": "done"}
    ]}]});
    std::fs::write(scenarios.path().join("contact.json"), scenario.to_string()).unwrap();
    let config = SimConfig { scenario_dir: Some(scenarios.path().to_owned()), ..SimConfig::default() };
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), config).await.unwrap();
    let client = Client::new(ClientConfig::new(sim.base_url(), "sk-test")).unwrap();
    let mut metadata = Map::new();
    metadata.insert("sim_scenario".into(), json!("contact"));
    let tools = vec![json!({"type": "custom", "name": "note_contact", "description": "Note a contact",
                            "input_schema": {"type": "object"}})];
    let agent =
        AgentParams { name: "crm".into(), model: json!("claude-sonnet-4-5"), tools, metadata, ..Default::default() };
    let agent = client.create_agent(&agent).await.unwrap();
    let env = client.create_environment(&EnvironmentParams { name: "e".into(), ..Default::default() }).await.unwrap();
    let params = SessionParams { agent: json!(agent.id), environment_id: env.id, ..Default::default() };
    let session = client.create_session(&params).await.unwrap().id;
    let approvals = ApprovalConfig { timeout: Duration::from_secs(60), poll: Duration::from_millis(50), webhook: None };
    let policies = Arc::new(PolicySet::load(None, ProfileChoice::Named("demo".into())).unwrap());
    let governor = Governor::new(policies, store.clone())
        .with_approvals(Arc::new(Approvals::new(store.clone(), approvals)))
        .with_executor(notebook);
    let go = json!({"type": "user.message", "content": [{"type": "text", "text": "go"}]});
    client.send_events(&session, &[go]).await.unwrap();
    let executions = TimelineFilter { types: vec!["vargate.execution".into()], ..Default::default() };
    let drive = async {
        let request = async {
            loop {
                if let Some(row) = store.approvals(true).await.unwrap().into_iter().next() {
                    return row;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        };
        let request = tokio::time::timeout(Duration::from_secs(30), request).await.expect("the call was never held");
        meanwhile(dir.path(), &session, &request.id).await;
        let other = open_store(dir.path()).await;
        Approvals::new(other.clone(), ApprovalConfig::default())
            .decide(&request.id, true, "alice", "cli", "a known customer")
            .await
            .unwrap();
        other.close().await;
        for _ in 0..1200 {
            if !store.timeline("acme", &session, &executions).await.unwrap_or_default().is_empty() {
                tokio::time::sleep(Duration::from_millis(200)).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the approved call's result was never recorded");
    };
    ingest_session_until(&client, &store, "acme", &session, &governor, &WatchOptions::default(), drive).await.unwrap();
    let records =
        store.timeline("acme", &session, &TimelineFilter { limit: 1000, ..Default::default() }).await.unwrap();
    let sent = client.all_events(&session).await.unwrap();
    let results =
        sent.into_iter().filter(|e| e.raw["type"] == "user.custom_tool_result").map(|e| Value::Object(e.raw)).collect();
    store.close().await;
    sim.shutdown().await;
    Held { dir, session, records, results }
}

fn of_type<'a>(held: &'a Held, kind: &str) -> Vec<&'a vargate_proof::AuditRecord> {
    held.records.iter().filter(|e| e.record.kind == kind).map(|e| &e.record).collect()
}

/// The database file and its write-ahead log, as bytes.
fn database_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for name in ["log.db", "log.db-wal"] {
        bytes.extend(std::fs::read(dir.join(name)).unwrap_or_default());
    }
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_call_runs_on_its_original_parameters_which_stay_sealed_in_the_log() {
    let notebook = Arc::new(Notebook::default());
    let held = hold_then_approve(notebook.clone(), async |_: &std::path::Path, _: &str, _: &str| {}).await;
    // Held (personal data needs a human), then approved and re-evaluated.
    let decisions = of_type(&held, "vargate.decision");
    let outcomes: Vec<&str> = decisions.iter().map(|d| d.decision.as_str()).collect();
    assert_eq!(outcomes, ["require_approval", "allow"], "{decisions:?}");
    assert!(decisions[0].payload["params"]["email"].as_str().unwrap().starts_with("[REDACTED:"), "{:?}", decisions[0]);
    assert!(decisions[1].payload["reason"].as_str().unwrap().starts_with("approved by alice via cli"));
    // The executor got exactly what the agent sent, once.
    assert_eq!(*notebook.received.lock().unwrap(), vec![contact()]);
    // Its result was recorded before it was sent, like a call allowed at once.
    let executions = of_type(&held, "vargate.execution");
    assert_eq!(executions.len(), 1, "{executions:?}");
    assert_eq!((executions[0].decision.as_str(), executions[0].payload["executor"].as_str()), ("ok", Some("notebook")));
    assert_eq!(held.results.len(), 1, "{:?}", held.results);
    assert_eq!(
        (&held.results[0]["is_error"], &held.results[0]["content"][0]["text"]),
        (&json!(false), &json!("noted"))
    );
    // The originals were never written in clear (database file and write-ahead log).
    let bytes = database_bytes(held.dir.path());
    for canary in [CANARY_EMAIL, CANARY_PHONE, "jane.canary"] {
        assert!(!bytes.windows(canary.len()).any(|w| w == canary.as_bytes()), "{canary} is in the database file");
    }
    assert!(!held.session.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_approved_after_its_tenant_was_shredded_is_not_run_and_the_error_is_recorded() {
    let notebook = Arc::new(Notebook::default());
    // While the call waits, another process (as `vargate tenant shred`) destroys the tenant's keys.
    let shred = async |dir: &std::path::Path, _: &str, _: &str| {
        let other = open_store(dir).await;
        let shredded = other.shred("acme", None).await.unwrap();
        assert!(shredded.data_key && shredded.session_keys >= 1, "{shredded:?}");
        other.close().await;
    };
    let held = hold_then_approve(notebook.clone(), shred).await;
    let decisions = of_type(&held, "vargate.decision");
    let outcomes: Vec<&str> = decisions.iter().map(|d| d.decision.as_str()).collect();
    assert_eq!(outcomes, ["require_approval", "allow"], "approved and allowed by policy: {decisions:?}");
    // Never run, least of all on the redacted parameters.
    assert!(notebook.received.lock().unwrap().is_empty());
    let executions = of_type(&held, "vargate.execution");
    assert_eq!(executions.len(), 1, "{executions:?}");
    assert_eq!(executions[0].decision, "error");
    let said = executions[0].payload["content"][0]["text"].as_str().unwrap();
    assert!(said.contains("note_contact was not run: its original parameters could not be unsealed"), "{said}");
    assert!(said.contains("was shredded"), "{said}");
    assert_eq!(held.results.len(), 1, "{:?}", held.results);
    assert_eq!(held.results[0]["is_error"], true);
    assert_eq!(held.results[0]["content"][0]["text"].as_str(), Some(said));
}
