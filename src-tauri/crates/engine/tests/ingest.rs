//! Live ingest end to end against the in-process simulator: every event lands in the audit log exactly once
//! and in order (also when the stream drops every few events), tool calls that wait are denied fail-closed
//! with the decision recorded and sent, and the session's proof file verifies. What a re-attach after a crash
//! does is in `recovery.rs`.

mod common;

use common::ingest_rig::*;
use serde_json::{Value, json};
use std::time::Duration;
use vargate_agents::stream::{WatchEnd, WatchOptions};
use vargate_engine::decision::NO_POLICY;
use vargate_engine::{FailClosed, ingest_session};
use vargate_store::TimelineFilter;

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
