//! Attaching again after ingest died mid-decision (a crash, a kill): what the log holds of the calls that
//! wait on Vargate — undecided, decided but not sent, run but not answered — is acted on at once and as
//! recorded, and nothing the session moved past is.

mod common;

use common::ingest_rig::*;
use serde_json::{Value, json};
use std::time::Duration;
use vargate_engine::decision::NO_POLICY;
use vargate_engine::redact::redact_event;
use vargate_store::TimelineFilter;

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
