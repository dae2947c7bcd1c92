//! Calls held for human approval end to end: approved from another process and concluded by the next run,
//! expired when nobody decides, kept pending when the watch fails, and ended when nobody awaits them any more
//! (answered elsewhere, also when the run that saw it died).

mod common;

use common::governance_rig::*;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use vargate_agents::client::{Client, ClientConfig};
use vargate_agents::sim::SimHandle;
use vargate_agents::stream::WatchOptions;
use vargate_engine::{Governor, ingest_session};
use vargate_store::{Store, TimelineFilter};

/// The approval queue across processes and restarts: a call held by one run is approved from another store
/// handle (as the CLI does), the next run of ingest picks the hold up, records the approver and channel,
/// re-evaluates and answers; a call nobody decides expires into a recorded deny.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_calls_are_approved_from_anywhere_survive_a_restart_and_expire() {
    use vargate_engine::{ApprovalConfig, Approvals};
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path()).await;
    let (sim, client, _scenarios, agent, env) = editor_agent().await;
    let another_session = || new_session(&client, &agent, &env);
    let governor = |timeout: u64| {
        let config =
            ApprovalConfig { timeout: Duration::from_secs(timeout), poll: Duration::from_millis(50), webhook: None };
        Governor::new(demo_policies(), store.clone()).with_approvals(Arc::new(Approvals::new(store.clone(), config)))
    };
    let go = json!({"type": "user.message", "content": [{"type": "text", "text": "go"}]});
    let options = WatchOptions { max_reconnects: Some(20), ..WatchOptions::default() };
    let pending = || async { store.approvals(true).await.unwrap() };

    // Run 1: the call is held; the process stops while it waits.
    let session = another_session().await;
    let first = governor(60);
    client.send_events(&session, std::slice::from_ref(&go)).await.unwrap();
    let run = ingest_session(&client, &store, TENANT, &session, &first, &options);
    let held = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::pin!(run);
        loop {
            tokio::select! {
                _ = &mut run => panic!("ingest ended"),
                _ = tokio::time::sleep(Duration::from_millis(50)) => {
                    if let Some(row) = pending().await.into_iter().next() { return row; }
                }
            }
        }
    })
    .await;
    let held = match held {
        Ok(row) => row,
        Err(_) => {
            let all = store.timeline(TENANT, &session, &TimelineFilter { limit: 100, ..Default::default() }).await;
            panic!("no held call after 30 s; the session's records: {all:?}");
        }
    };
    assert_eq!((held.tool.as_str(), held.status.as_str()), ("open_in_editor", "pending"));
    let hold = decisions(&store, &session).await;
    assert_eq!(hold.last().unwrap().record.decision, "require_approval");

    // Another process approves (its own store handle on the same database, as `vargate approvals approve`).
    let other = open_store(dir.path()).await;
    Approvals::new(other.clone(), ApprovalConfig::default())
        .decide(&held.id, true, "alice", "cli", "fine")
        .await
        .unwrap();
    let again =
        Approvals::new(other.clone(), ApprovalConfig::default()).decide(&held.id, false, "bob", "cli", "").await;
    assert!(again.is_err(), "one resolution wins");
    other.close().await;

    // Run 2 (a restart): the hold is picked up, concluded with the approver and channel, and answered.
    let second = governor(60);
    let waiter = end_after_answer(&store, &client, &session, 2);
    let (ran, ()) = tokio::join!(ingest_session(&client, &store, TENANT, &session, &second, &options), waiter);
    ran.unwrap();
    let decided = decisions(&store, &session).await;
    assert_eq!(decided.len(), 2, "{decided:?}");
    let last = &decided[1].record;
    assert_eq!(last.decision, "allow");
    assert_eq!(last.payload["approval"]["approver"], "alice");
    assert_eq!(last.payload["approval"]["channel"], "cli");
    assert!(last.payload["reason"].as_str().unwrap().starts_with("approved by alice via cli"));
    // Re-evaluated at approval time: the recheck's evaluation is recorded.
    assert!(last.payload["evaluation"]["bundle_hash"].is_string());
    let results = store
        .timeline(
            TENANT,
            &session,
            &TimelineFilter { types: vec!["user.custom_tool_result".into()], limit: 10, ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(results.len(), 1, "answered exactly once");
    // Approved, it went to the executors on its original parameters (recorded as sent: they held no PII).
    let executions = TimelineFilter { types: vec!["vargate.execution".into()], limit: 10, ..Default::default() };
    let executions = store.timeline(TENANT, &session, &executions).await.unwrap();
    let said = executions[0].record.payload["content"].to_string();
    assert!(said.contains("no executor is configured for tool open_in_editor"), "{said}");

    // Nobody decides: the request expires into a recorded deny.
    let session = another_session().await;
    let third = governor(1);
    client.send_events(&session, std::slice::from_ref(&go)).await.unwrap();
    let waiter = end_after_decisions(&store, &client, &session, 2);
    let (ran, ()) = tokio::join!(ingest_session(&client, &store, TENANT, &session, &third, &options), waiter);
    ran.unwrap();
    let decided = decisions(&store, &session).await;
    assert_eq!(decided.len(), 2, "{decided:?}");
    assert_eq!(decided[1].record.decision, "deny");
    assert_eq!(decided[1].record.payload["approval"]["status"], "expired");
    assert!(pending().await.is_empty());
    sim.shutdown().await;
}

/// A session of [`editor_agent`], its turn started, and a governor with an approval queue (60 s timeout) over
/// a fresh log in `dir`.
struct HeldTurn {
    store: Store,
    sim: SimHandle,
    client: Client,
    _scenarios: tempfile::TempDir,
    session: String,
    approvals: Arc<vargate_engine::Approvals>,
    governor: Governor,
}

async fn held_turn(dir: &std::path::Path) -> HeldTurn {
    use vargate_engine::{ApprovalConfig, Approvals};
    let store = open_store(dir).await;
    let (sim, client, _scenarios, agent, env) = editor_agent().await;
    let session = new_session(&client, &agent, &env).await;
    let config = ApprovalConfig { timeout: Duration::from_secs(60), poll: Duration::from_millis(50), webhook: None };
    let approvals = Arc::new(Approvals::new(store.clone(), config));
    let governor = Governor::new(demo_policies(), store.clone()).with_approvals(approvals.clone());
    let go = json!({"type": "user.message", "content": [{"type": "text", "text": "go"}]});
    client.send_events(&session, std::slice::from_ref(&go)).await.unwrap();
    HeldTurn { store, sim, client, _scenarios, session, approvals, governor }
}

/// A watch that fails (here: the API goes away) is not the session's end: a call held for approval stays
/// pending for the next run, and no deny claiming that the session ended is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_watch_leaves_held_calls_pending() {
    let dir = tempfile::tempdir().unwrap();
    let HeldTurn { store, sim, session, governor, .. } = held_turn(dir.path()).await;
    // A client that gives up quickly once the API is gone.
    let mut quick = ClientConfig::new(sim.base_url(), "sk-test");
    (quick.initial_backoff, quick.max_backoff) = (Duration::from_millis(10), Duration::from_millis(20));
    let quick = Client::new(quick).unwrap();
    let options = WatchOptions { max_reconnects: Some(2), ..WatchOptions::default() };
    let run = ingest_session(&quick, &store, TENANT, &session, &governor, &options);
    tokio::pin!(run);
    let held = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            tokio::select! {
                _ = &mut run => panic!("ingest ended before the call was held"),
                _ = tokio::time::sleep(Duration::from_millis(50)) => {
                    if let Some(row) = store.approvals(true).await.unwrap().into_iter().next() { return row; }
                }
            }
        }
    })
    .await
    .expect("a held call within 30 s");
    sim.shutdown().await;
    let ended = tokio::time::timeout(Duration::from_secs(30), run).await.expect("the watch gives up");
    assert!(ended.is_err(), "the failed watch is an error: {ended:?}");
    let pending = store.approvals(true).await.unwrap();
    assert_eq!(pending.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [held.id.as_str()], "still pending");
    let decided = decisions(&store, &session).await;
    assert_eq!(decided.len(), 1, "only the hold: {decided:?}");
    assert_eq!(decided[0].record.decision, "require_approval");
}

/// A held call answered outside Vargate (someone sent the session its result directly) is no longer
/// awaited: its hold ends with a recorded deny that says so, and its approval is expired, so that approving
/// it later runs nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_call_answered_elsewhere_ends_its_hold() {
    let dir = tempfile::tempdir().unwrap();
    let HeldTurn { store, sim, client, session, governor, approvals, .. } = held_turn(dir.path()).await;
    let options = WatchOptions { max_reconnects: Some(20), ..WatchOptions::default() };
    let run = ingest_session(&client, &store, TENANT, &session, &governor, &options);
    let outside = async {
        let held = loop {
            if let Some(row) = store.approvals(true).await.unwrap().into_iter().next() {
                break row;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let answer = json!({"type": "user.custom_tool_result", "custom_tool_use_id": held.tool_use_id,
                            "content": [{"type": "text", "text": "opened by hand"}]});
        client.send_events(&session, &[answer]).await.unwrap();
        end_after_decisions(&store, &client, &session, 2).await;
        held
    };
    let (ran, held) = tokio::time::timeout(Duration::from_secs(60), async { tokio::join!(run, outside) })
        .await
        .expect("the hold ended");
    let report = ran.unwrap();
    let decided = decisions(&store, &session).await;
    assert_eq!(decided.len(), 2, "{decided:?}");
    assert_eq!(decided[1].record.decision, "deny");
    let reason = decided[1].record.payload["reason"].as_str().unwrap();
    assert!(reason.contains("answered outside Vargate"), "{reason}");
    assert_eq!(decided[1].record.payload["approval"]["status"], "expired");
    assert!(store.approvals(true).await.unwrap().is_empty(), "nothing is pending");
    assert!(approvals.decide(&held.id, true, "alice", "cli", "").await.is_err(), "too late to approve");
    assert_eq!(report.decisions, 1, "only the hold: {report:?}");
    sim.shutdown().await;
}

/// The same when the run that recorded the answer died before ending the hold: the next run, finding the
/// answer in the log (the watcher does not bring it again), ends the hold at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_whose_end_was_recorded_but_not_acted_on_ends_on_reattach() {
    let dir = tempfile::tempdir().unwrap();
    let HeldTurn { store, sim, client, session, governor, .. } = held_turn(dir.path()).await;
    let options = WatchOptions { max_reconnects: Some(20), ..WatchOptions::default() };
    let held = async {
        loop {
            if let Some(row) = store.approvals(true).await.unwrap().into_iter().next() {
                return row;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    // Run 1 holds the call, then stops (as a process would die).
    let (tx, rx) = tokio::sync::oneshot::channel::<vargate_store::ApprovalRow>();
    let stop = async move {
        let _ = rx.await;
    };
    let first = vargate_engine::ingest_session_until(&client, &store, TENANT, &session, &governor, &options, stop);
    let (ran, ()) = tokio::join!(first, async {
        let _ = tx.send(held.await);
    });
    ran.unwrap();
    let row = store.approvals(true).await.unwrap().into_iter().next().expect("a pending hold");
    // Someone answers the call outside Vargate; the log gets the answer as that run would have recorded it.
    let answer = json!({"type": "user.custom_tool_result", "custom_tool_use_id": row.tool_use_id,
                        "content": [{"type": "text", "text": "opened by hand"}]});
    let echo = client.send_events(&session, &[answer]).await.unwrap().remove(0);
    let record = vargate_store::NewRecord {
        session_id: session.clone(),
        ts: echo.processed_at().unwrap().to_owned(),
        kind: echo.event_type().to_owned(),
        source: "sse".into(),
        decision: "observed".into(),
        payload: Value::Object(echo.raw.clone()),
    };
    store.append(TENANT, record).await.unwrap();

    // Run 2 ends the hold from the log alone.
    let waiter = end_after_decisions(&store, &client, &session, 2);
    let (ran, ()) = tokio::join!(ingest_session(&client, &store, TENANT, &session, &governor, &options), waiter);
    ran.unwrap();
    let decided = decisions(&store, &session).await;
    assert_eq!(decided.len(), 2, "{decided:?}");
    let reason = decided[1].record.payload["reason"].as_str().unwrap();
    assert!(reason.contains("answered outside Vargate"), "{reason}");
    assert!(store.approvals(true).await.unwrap().is_empty(), "nothing is pending");
    sim.shutdown().await;
}
