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
