//! Live ingest end to end against the in-process simulator: every event lands in the audit log exactly once
//! and in order (also when the stream drops every few events), tool calls that wait are denied fail-closed
//! with the decision recorded and sent, and the session's proof file verifies.

use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use vargate_agents::client::{AgentParams, Client, ClientConfig, EnvironmentParams, SessionParams};
use vargate_agents::sim::{SimConfig, SimHandle, Simulator};
use vargate_agents::stream::{WatchEnd, WatchOptions};
use vargate_engine::decision::NO_POLICY;
use vargate_engine::redact::redact_event;
use vargate_engine::{FailClosed, IngestReport, ingest_session};
use vargate_store::{FixedKey, Store, StoreOptions, TimelineFilter};

struct Rig {
    sim: SimHandle,
    client: Client,
    store: Store,
    _dirs: Vec<tempfile::TempDir>,
}

async fn rig(drop_stream_after: Option<usize>) -> Rig {
    rig_with(drop_stream_after, None).await
}

/// A simulator (with `scenario` added to the bundled ones), a client of it and a fresh audit log.
async fn rig_with(drop_stream_after: Option<usize>, scenario: Option<Value>) -> Rig {
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
async fn session(client: &Client, scenario: &str) -> String {
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
async fn run_turn(rig: &Rig, scenario: &str) -> (IngestReport, String, Vec<String>) {
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

fn recorded_ids(timeline: &[vargate_store::TimelineEntry]) -> Vec<String> {
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
async fn blocked_session(rig: &Rig, scenario: &str) -> (String, Vec<vargate_agents::events::SessionEvent>) {
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
async fn attach_until_the_turn_ends(rig: &Rig, id: &str, why: &str) -> IngestReport {
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
fn observed_records(id: &str, events: &[vargate_agents::events::SessionEvent]) -> Vec<vargate_store::NewRecord> {
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
async fn turn_ends_in_the_log(store: &Store, id: &str) -> bool {
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

#[tokio::test]
async fn an_asking_tool_call_is_denied_fail_closed_and_everything_is_recorded() {
    let rig = rig(None).await;
    let (report, id, history) = run_turn(&rig, "tool_use").await;
    assert_eq!((report.decisions, report.garbled, report.malformed), (1, 0, 0));
    assert_eq!(report.end, Some(WatchEnd::Deleted));

    let timeline =
        rig.store.timeline("acme", &id, &TimelineFilter { limit: 1000, ..Default::default() }).await.unwrap();
    let decision = timeline.iter().find(|e| e.record.kind == "vargate.decision").expect("a decision record");
    assert_eq!(decision.record.decision, "deny");
    assert_eq!(decision.record.payload["reason"], NO_POLICY);
    assert_eq!(decision.record.payload["tool"], "bash");
    // The deny reached the session: its echo is in the log, after the decision.
    let echo = timeline.iter().find(|e| e.record.kind == "user.tool_confirmation").expect("the confirmation echo");
    assert_eq!(echo.record.payload["result"], "deny");
    assert!(echo.record.payload["deny_message"].as_str().unwrap().contains(NO_POLICY));
    assert!(echo.index > decision.index);
    assert!(timeline.iter().any(|e| e.record.kind == "session.deleted"));

    // Every event of the session, exactly once, in order: the simulator's history, then session.deleted.
    let recorded = recorded_ids(&timeline);
    assert_eq!(&recorded[..recorded.len() - 1], &history[..]);

    let proof = rig.store.session_proof("acme", &id).await.unwrap();
    let verdict = vargate_proof::verify_proof_file(&serde_json::to_vec(&proof).unwrap(), None).unwrap();
    assert!(verdict.passed(), "{verdict:#?}");
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn a_custom_tool_call_gets_an_error_result() {
    let rig = rig(None).await;
    let (report, id, _) = run_turn(&rig, "custom_tool").await;
    assert_eq!(report.decisions, 1);
    let timeline =
        rig.store.timeline("acme", &id, &TimelineFilter { limit: 1000, ..Default::default() }).await.unwrap();
    let result = timeline.iter().find(|e| e.record.kind == "user.custom_tool_result").expect("the result echo");
    assert_eq!(result.record.payload["is_error"], true);
    rig.sim.shutdown().await;
}

#[tokio::test]
async fn dropped_streams_lose_and_duplicate_nothing() {
    for n in [1usize, 2, 3, 5, 8] {
        let rig = rig(Some(n)).await;
        let (report, id, history) = run_turn(&rig, "tool_use").await;
        assert_eq!(report.decisions, 1, "drop every {n}");
        let timeline =
            rig.store.timeline("acme", &id, &TimelineFilter { limit: 1000, ..Default::default() }).await.unwrap();
        let ids = recorded_ids(&timeline);
        // Nothing lost, nothing duplicated, same order: the history before deletion, then session.deleted —
        // unless the stream dropped just before it, and the session (with its history) was already gone.
        assert_eq!(&ids[..history.len()], &history[..], "drop every {n}");
        match report.end {
            Some(WatchEnd::Deleted) => {
                assert_eq!(ids.len(), history.len() + 1, "drop every {n}");
                assert_eq!(timeline.last().map(|e| e.record.kind.as_str()), Some("session.deleted"));
            }
            Some(WatchEnd::Gone) => assert_eq!(ids.len(), history.len(), "drop every {n}"),
            other => panic!("drop every {n}: watch ended with {other:?}"),
        }
        rig.sim.shutdown().await;
    }
}

/// A burst larger than the simulator's live buffer: the lagging stream is dropped, and backfill from the
/// history (from the last delivered time on) must still record every event exactly once, in order.
#[tokio::test]
async fn a_burst_beyond_the_live_buffer_is_recorded_exactly_once() {
    let steps: Vec<Value> = (0..3000).map(|i| json!({"type": "message", "text": format!("step {i}")})).collect();
    let scenario = json!({"name": "burst", "description": "a long turn", "turns": [{"steps": steps}]});
    let rig = rig_with(None, Some(scenario)).await;
    let (report, id, history) = run_turn(&rig, "burst").await;
    assert_eq!(history.len(), 3 * 3000 + 4);
    let timeline =
        rig.store.timeline("acme", &id, &TimelineFilter { limit: 10_000, ..Default::default() }).await.unwrap();
    let ids = recorded_ids(&timeline);
    assert_eq!(&ids[..ids.len() - 1], &history[..]);
    assert_eq!(report.events as usize, ids.len());
    rig.sim.shutdown().await;
}

/// Events Vargate cannot interpret are still recorded whole: an unknown type as it is, a known type with the
/// wrong shape with a note saying what is wrong.
#[tokio::test]
async fn unknown_and_malformed_events_are_recorded_with_a_note() {
    let scenario = json!({"name": "odd", "description": "odd events", "turns": [{"steps": [
        {"type": "raw", "event": {"type": "agent.teleport", "destination": {"planet": "mars"}}},
        {"type": "raw", "event": {"type": "agent.tool_use", "input": {"command": "ls"}}},
        {"type": "message", "text": "done"}
    ]}]});
    let rig = rig_with(None, Some(scenario)).await;
    let (report, id, history) = run_turn(&rig, "odd").await;
    assert_eq!((report.malformed, report.decisions), (1, 0));
    let timeline =
        rig.store.timeline("acme", &id, &TimelineFilter { limit: 1000, ..Default::default() }).await.unwrap();
    let unknown = timeline.iter().find(|e| e.record.kind == "agent.teleport").expect("unknown type recorded");
    assert_eq!(unknown.record.payload["destination"]["planet"], "mars");
    let malformed = timeline.iter().find(|e| e.record.kind == "agent.tool_use").expect("malformed event recorded");
    assert!(
        malformed.record.payload["note"].as_str().unwrap().contains("missing field `name`"),
        "{}",
        malformed.record.payload
    );
    assert_eq!(malformed.record.payload["event"]["input"]["command"], "ls");
    // Still exactly once, in order.
    let ids: Vec<String> = timeline
        .iter()
        .filter(|e| e.record.source == "sse")
        .filter_map(|e| {
            e.record
                .payload
                .get("id")
                .or_else(|| e.record.payload["event"].get("id"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(&ids[..history.len()], &history[..]);
    rig.sim.shutdown().await;
}

/// Attaching to a session that is already blocked on a tool call: the backfill brings the ask, Vargate
/// decides, the turn finishes. Attaching again later records nothing twice and decides nothing twice.
#[tokio::test]
async fn attaching_late_and_reattaching_is_exactly_once() {
    let rig = rig(None).await;
    // The session blocks on the bash confirmation with nobody watching.
    let (id, _) = blocked_session(&rig, "tool_use").await;

    let attach = |rig: &Rig| {
        let (client, store, id) = (rig.client.clone(), rig.store.clone(), id.clone());
        tokio::spawn(async move {
            ingest_session(&client, &store, "acme", &id, &FailClosed, &WatchOptions::default()).await
        })
    };
    let first = attach(&rig);
    assert!(turn_ends_in_the_log(&rig.store, &id).await, "the turn did not end");
    first.abort();
    let _ = first.await;
    let all = TimelineFilter { limit: 1000, ..Default::default() };
    let before = rig.store.timeline("acme", &id, &all).await.unwrap();
    assert_eq!(before.iter().filter(|e| e.record.kind == "vargate.decision").count(), 1);
    assert_eq!(
        recorded_ids(&before),
        rig.client.all_events(&id).await.unwrap().iter().filter_map(|e| e.id().map(str::to_owned)).collect::<Vec<_>>()
    );

    // Re-attach (as after a restart), then end the session.
    let second = attach(&rig);
    tokio::time::sleep(Duration::from_millis(200)).await;
    rig.client.delete_session(&id).await.unwrap();
    let report = tokio::time::timeout(Duration::from_secs(10), second).await.unwrap().unwrap().unwrap();
    assert_eq!((report.events, report.decisions), (1, 0), "only session.deleted is new");
    let after = rig.store.timeline("acme", &id, &all).await.unwrap();
    assert_eq!(after.len(), before.len() + 1);
    rig.sim.shutdown().await;
}

/// Ingest died (a crash, a kill) after recording a call that waits on Vargate and the idle that asks for it,
/// before deciding: attaching again decides the call at once, though the watcher does not bring those events
/// again, and the turn goes on.
#[tokio::test]
async fn a_call_recorded_but_never_decided_is_decided_on_reattach() {
    let rig = rig(None).await;
    let (id, history) = blocked_session(&rig, "tool_use").await;
    assert!(history.last().is_some_and(|e| e.raw["stop_reason"]["type"] == "requires_action"), "{history:?}");
    // What the run that died left: every event so far, recorded as ingest records them, and no decision.
    rig.store.append_batch("acme", observed_records(&id, &history)).await.unwrap();

    let report = attach_until_the_turn_ends(&rig, &id, "the recorded call was never decided").await;
    assert_eq!(report.decisions, 1);
    let all = rig.store.timeline("acme", &id, &TimelineFilter { limit: 1000, ..Default::default() }).await.unwrap();
    let decisions: Vec<_> = all.iter().filter(|e| e.record.kind == "vargate.decision").collect();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].record.payload["reason"].as_str().map(|r| r.contains(NO_POLICY)), Some(true));
    rig.sim.shutdown().await;
}

/// Ingest died after recording its decision on the call, before sending the answer (or sending it failed):
/// attaching again sends the answer as recorded, decides nothing anew, and the turn goes on.
#[tokio::test]
async fn a_decision_recorded_but_never_sent_is_sent_on_reattach() {
    let rig = rig(None).await;
    // Never sent (the run died), or sent and failed (recorded as such): either way it is sent again.
    for delivery_failed in [false, true] {
        let (id, history) = blocked_session(&rig, "tool_use").await;
        let call = history.last().unwrap().raw["stop_reason"]["event_ids"][0].as_str().unwrap().to_owned();
        let mut records = observed_records(&id, &history);
        let ts = records.last().unwrap().ts.clone();
        let record = |kind: &str, payload: Value| vargate_store::NewRecord {
            session_id: id.clone(),
            ts: ts.clone(),
            kind: kind.into(),
            source: "pipeline".into(),
            decision: "deny".into(),
            payload,
        };
        let reason = "denied before the crash";
        records.push(record(
            "vargate.decision",
            json!({"tool_use_id": call, "tool": "bash", "tool_kind": "builtin", "agent": "a", "params": {},
                   "reason": reason}),
        ));
        if delivery_failed {
            let payload = json!({"tool_use_id": call, "answer": {}, "error": "simulated: the API was unreachable"});
            records.push(record("vargate.delivery_failed", payload));
        }
        rig.store.append_batch("acme", records).await.unwrap();

        let report = attach_until_the_turn_ends(&rig, &id, "the recorded decision was never sent").await;
        assert_eq!(report.decisions, 0, "{report:?}");
        let all = rig.store.timeline("acme", &id, &TimelineFilter { limit: 1000, ..Default::default() }).await.unwrap();
        assert_eq!(all.iter().filter(|e| e.record.kind == "vargate.decision").count(), 1);
        let echo = all.iter().find(|e| e.record.kind == "user.tool_confirmation").expect("the answer, echoed");
        assert_eq!(echo.record.payload["result"], "deny");
        assert_eq!(echo.record.payload["deny_message"], format!("denied by Vargate: {reason}"));
    }
    rig.sim.shutdown().await;
}

/// The same for an allowed custom call: the answer is the result its execution record holds (the tool is
/// not run again); with no execution record (the run died while the tool ran) it is an error that says so.
#[tokio::test]
async fn an_allowed_custom_call_is_answered_with_its_recorded_result() {
    let rig = rig(None).await;
    for (executed, text, is_error) in
        [(true, "opened in the editor", false), (false, "its result was lost when Vargate stopped", true)]
    {
        let (id, history) = blocked_session(&rig, "custom_tool").await;
        let call = history.last().unwrap().raw["stop_reason"]["event_ids"][0].as_str().unwrap().to_owned();
        let mut records = observed_records(&id, &history);
        let ts = records.last().unwrap().ts.clone();
        let record = |kind: &str, decision: &str, payload: Value| vargate_store::NewRecord {
            session_id: id.clone(),
            ts: ts.clone(),
            kind: kind.into(),
            source: "pipeline".into(),
            decision: decision.into(),
            payload,
        };
        records.push(record(
            "vargate.decision",
            "allow",
            json!({"tool_use_id": call, "tool": "open_in_editor", "tool_kind": "custom", "reason": "fine"}),
        ));
        if executed {
            let content = json!([{"type": "text", "text": text}]);
            let payload = json!({"tool_use_id": call, "tool": "open_in_editor", "executor": "test",
                                 "is_error": false, "content": content});
            records.push(record("vargate.execution", "ok", payload));
        }
        rig.store.append_batch("acme", records).await.unwrap();

        let report = attach_until_the_turn_ends(&rig, &id, "the recorded result was never sent").await;
        assert_eq!(report.decisions, 0, "{report:?}");
        let all = rig.store.timeline("acme", &id, &TimelineFilter { limit: 1000, ..Default::default() }).await.unwrap();
        let echo = all.iter().find(|e| e.record.kind == "user.custom_tool_result").expect("the answer, echoed");
        assert_eq!(echo.record.payload["is_error"], is_error, "{}", echo.record.payload);
        assert!(echo.record.payload["content"][0]["text"].as_str().unwrap().contains(text));
    }
    rig.sim.shutdown().await;
}

/// The same log, but the session went on without Vargate: someone answered the call and the turn ended. The
/// recorded idle is no longer the session's newest event, so nothing is decided on it; the stream brings what
/// followed.
#[tokio::test]
async fn a_recorded_idle_the_session_moved_past_is_not_acted_on() {
    let rig = rig(None).await;
    let (id, history) = blocked_session(&rig, "tool_use").await;
    let idle = history.last().unwrap();
    let call = idle.raw["stop_reason"]["event_ids"][0].as_str().unwrap().to_owned();
    rig.store.append_batch("acme", observed_records(&id, &history)).await.unwrap();
    let answer = json!({"type": "user.tool_confirmation", "tool_use_id": call, "result": "allow"});
    rig.client.send_events(&id, &[answer]).await.unwrap();
    for _ in 0..400 {
        let now = rig.client.all_events(&id).await.unwrap();
        if now.iter().any(|e| e.raw.get("stop_reason").is_some_and(|r| r["type"] == "end_turn")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let report = attach_until_the_turn_ends(&rig, &id, "what followed was not recorded").await;
    assert_eq!(report.decisions, 0, "{report:?}");
    let all = rig.store.timeline("acme", &id, &TimelineFilter { limit: 1000, ..Default::default() }).await.unwrap();
    assert!(all.iter().all(|e| e.record.kind != "vargate.decision"));
    rig.sim.shutdown().await;
}

/// The same, when the call's original parameters cannot be had (its PII was sealed, and the session's key
/// shredded since): the call is denied with that cause, not left waiting.
#[tokio::test]
async fn a_recorded_call_whose_originals_are_shredded_is_denied_with_the_cause() {
    let scenario = json!({"name": "pii", "turns": [{"steps": [
        {"type": "tool_use", "name": "bash", "input": {"command": "echo 4111 1111 1111 1111 | mail alice@example.org"}},
        {"type": "message", "text": "done"}
    ]}]});
    let rig = rig_with(None, Some(scenario)).await;
    let (id, history) = blocked_session(&rig, "pii").await;
    let mut records = observed_records(&id, &history);
    for (record, event) in records.iter_mut().zip(&history) {
        let payload = record.payload.take();
        record.payload = redact_event(&rig.store, "acme", &id, event.id().unwrap(), payload).await;
    }
    assert!(records.iter().any(|r| r.payload.get("vargate_sealed").is_some()), "the call's PII is sealed");
    rig.store.append_batch("acme", records).await.unwrap();
    rig.store.shred("acme", Some(&id)).await.unwrap();

    let report = attach_until_the_turn_ends(&rig, &id, "the recorded call was never decided").await;
    assert_eq!(report.decisions, 1);
    let all = rig.store.timeline("acme", &id, &TimelineFilter { limit: 1000, ..Default::default() }).await.unwrap();
    let decision = all.iter().find(|e| e.record.kind == "vargate.decision").unwrap();
    let reason = decision.record.payload["reason"].as_str().unwrap();
    assert!(reason.starts_with("denied on a fault: its original parameters cannot be had"), "{reason}");
    rig.sim.shutdown().await;
}

/// Stopping ingest ends it cleanly and at once, even on a quiet session whose stream sends nothing more:
/// the report says the consumer stopped, and what was recorded stays recorded.
#[tokio::test]
async fn stopping_ingest_ends_a_quiet_watch_at_once() {
    let rig = rig(None).await;
    let id = session(&rig.client, "default").await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let ingest = {
        let (client, store, id) = (rig.client.clone(), rig.store.clone(), id.clone());
        tokio::spawn(async move {
            let stopped = async {
                let _ = stopped.await;
            };
            let options = WatchOptions::default();
            vargate_engine::ingest_session_until(&client, &store, "acme", &id, &FailClosed, &options, stopped).await
        })
    };
    rig.client
        .send_events(&id, &[json!({"type": "user.message", "content": [{"type": "text", "text": "go"}]})])
        .await
        .unwrap();
    let filter = TimelineFilter { types: vec!["session.status_idle".into()], ..TimelineFilter::default() };
    for _ in 0..400 {
        let idle = rig.store.timeline("acme", &id, &filter).await.unwrap_or_default();
        if idle.iter().any(|e| e.record.payload["stop_reason"]["type"] == "end_turn") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    stop.send(()).unwrap();
    let report =
        tokio::time::timeout(Duration::from_secs(5), ingest).await.expect("ingest stops at once").unwrap().unwrap();
    assert_eq!(report.end, None, "{report:?}");
    assert!(report.events > 0);
    let recorded =
        rig.store.timeline("acme", &id, &TimelineFilter { limit: 1000, ..Default::default() }).await.unwrap();
    assert_eq!(recorded.len() as u64, report.events + report.decisions, "{report:?}");
}

/// A decider that panics (a bug in the engine) does not take ingest down or leave the call waiting: the call
/// is denied, the record names the panic, and the session gets the deny.
#[tokio::test]
async fn a_panicking_decider_is_a_recorded_deny() {
    #[derive(Debug)]
    struct Panics;
    impl vargate_engine::Decider for Panics {
        async fn decide(&self, _request: &vargate_engine::DecisionRequest) -> vargate_engine::Decision {
            panic!("injected fault")
        }
    }
    let rig = rig(None).await;
    let id = session(&rig.client, "default").await;
    let ingest = {
        let (client, store, id) = (rig.client.clone(), rig.store.clone(), id.clone());
        tokio::spawn(async move {
            let options = WatchOptions::default();
            ingest_session(&client, &store, "acme", &id, &Panics, &options).await
        })
    };
    rig.client
        .send_events(&id, &[json!({"type": "user.message", "content": [{"type": "text", "text": "go"}]})])
        .await
        .unwrap();
    let filter = TimelineFilter { types: vec!["vargate.decision".into()], ..TimelineFilter::default() };
    let mut decided = Vec::new();
    for _ in 0..400 {
        decided = rig.store.timeline("acme", &id, &filter).await.unwrap_or_default();
        if !decided.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let d = &decided.first().expect("a decision was recorded").record;
    assert_eq!(d.decision, "deny");
    assert!(d.payload["reason"].as_str().unwrap().contains("the decider panicked: injected fault"), "{}", d.payload);
    assert!(!ingest.is_finished(), "ingest goes on");
    // The session was answered: it does not stay blocked on the call.
    let mut answered = false;
    for _ in 0..200 {
        let history = rig.client.all_events(&id).await.unwrap();
        answered = history.iter().any(|e| e.raw["type"] == "user.tool_confirmation" && e.raw["result"] == "deny");
        if answered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(answered, "the deny was sent");
    ingest.abort();
}

/// Attaching again to a session whose end the log holds already: its `session.status_terminated`, met again in
/// the history, ends the watch at once, and nothing is recorded twice.
#[tokio::test]
async fn reattaching_to_a_terminated_session_ends_at_once() {
    // A malformed event too: its id is inside the note that records it, and must be found there.
    let scenario = json!({"name": "ends", "turns": [{"steps": [
        {"type": "raw", "event": {"type": "agent.tool_use", "input": {"command": "ls"}}},
        {"type": "message", "text": "bye"},
        {"type": "error", "error": {"type": "api_error", "message": "gone"}, "retry_status": "terminal"},
    ]}]});
    let rig = rig_with(None, Some(scenario)).await;
    let id = session(&rig.client, "ends").await;
    rig.client
        .send_events(&id, &[json!({"type": "user.message", "content": [{"type": "text", "text": "go"}]})])
        .await
        .unwrap();
    let options = WatchOptions::default();
    let attach = || ingest_session(&rig.client, &rig.store, "acme", &id, &FailClosed, &options);
    let first = tokio::time::timeout(Duration::from_secs(10), attach()).await.expect("the first run ends").unwrap();
    assert_eq!(first.end, Some(WatchEnd::Terminated));
    assert!(first.events > 3 && first.malformed == 1, "{first:?}");
    let second = tokio::time::timeout(Duration::from_secs(10), attach()).await.expect("the second run ends").unwrap();
    assert_eq!((second.end, second.events), (Some(WatchEnd::Terminated), 0));
    let all = TimelineFilter { limit: 1000, ..Default::default() };
    assert_eq!(rig.store.timeline("acme", &id, &all).await.unwrap().len() as u64, first.events);
    rig.sim.shutdown().await;
}
