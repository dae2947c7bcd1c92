//! Attaching again after ingest stopped between recording a call that waits on Vargate and answering it (a
//! crash, a kill): the log holds the call, and maybe the idle that asks for it, and no decision — or a
//! decision whose answer was never sent. The watcher does not deliver recorded events again, so such calls
//! are rebuilt from their records, and an idle the log holds already is acted on at once: undecided calls are
//! decided, decided ones answered as recorded (a tool is never run twice). Without this the session would wait
//! for an answer for good.

use super::decide::answer;
use super::held::{ANSWERED_ELSEWHERE, RUN_ENDED};
use super::{DECISION, EXECUTION, IngestError, IngestReport, SessionState, event_id};
use crate::approvals::Approvals;
use crate::decision::{Decider, ToolCallKind, Verdict};
use serde_json::Value;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use vargate_agents::client::Client;
use vargate_agents::events::SessionEvent;
use vargate_proof::AuditRecord;
use vargate_store::{Store, StoreError, TimelineEntry, TimelineFilter};

/// What loading the log found that a new run acts on first, before it follows the stream.
#[derive(Debug, Default)]
pub(super) struct Recovery {
    /// Recorded calls that wait on Vargate with no answer seen, by id, with their record's seq.
    unanswered: HashMap<String, u64>,
    /// The session's last recorded status when it is an idle that requires action.
    asked: Option<Asked>,
    /// Decisions recorded with no answer seen, by call id.
    unsent: HashMap<String, Unsent>,
    /// Holds the log shows nobody awaits any more, by approval id, with the cause (the run that saw it may
    /// have died before recording their end).
    hold_ends: HashMap<String, &'static str>,
}

/// A decision the log holds whose answer it does not: what sending that answer again needs.
#[derive(Debug)]
struct Unsent {
    kind: ToolCallKind,
    tool: String,
    verdict: Verdict,
    reason: String,
    /// The record of an allowed custom call's execution, whose result is the answer.
    execution: Option<u64>,
}

/// The idle a session's last recorded status is, when it requires action: the calls it asks answers for, its
/// time and its event id.
#[derive(Debug)]
struct Asked {
    calls: Vec<String>,
    ts: String,
    idle_id: String,
}

impl SessionState {
    /// While loading the log: what `record` says of the calls that wait on Vargate — a call that asks, the
    /// answer to one seen on the stream, or the idle that asks for answers (until a later status replaces it;
    /// a run that ended otherwise leaves no call waiting).
    pub(super) fn note_call(&mut self, record: &AuditRecord) {
        let p = &record.payload;
        let answers = |member: &str| p.get(member).and_then(Value::as_str).map(str::to_owned);
        match record.kind.as_str() {
            "agent.tool_use" | "agent.mcp_tool_use" | "agent.custom_tool_use" => {
                let asks = record.kind == "agent.custom_tool_use" || p["evaluated_permission"] == "ask";
                if let Some(id) = event_id(record).filter(|_| asks) {
                    self.recovery.unanswered.insert(id.to_owned(), record.seq);
                }
            }
            // An answer on the stream. (A delivery that failed is no answer: re-attaching sends it again.)
            "user.tool_confirmation" | "user.custom_tool_result" => {
                let id = answers("tool_use_id").or_else(|| answers("custom_tool_use_id"));
                if let Some(id) = id {
                    self.recovery.unanswered.remove(&id);
                    self.recovery.unsent.remove(&id);
                    self.note_holds_ended(Some(&id), ANSWERED_ELSEWHERE);
                }
            }
            DECISION if matches!(record.decision.as_str(), "allow" | "deny") => {
                if let Some(id) = answers("tool_use_id") {
                    let kind = ToolCallKind::from_record(p["tool_kind"].as_str());
                    let verdict = if record.decision == "allow" { Verdict::Allow } else { Verdict::Deny };
                    let (tool, reason) = (answers("tool").unwrap_or_default(), answers("reason").unwrap_or_default());
                    self.recovery.unsent.insert(id, Unsent { kind, tool, verdict, reason, execution: None });
                }
            }
            EXECUTION => {
                if let Some(unsent) = answers("tool_use_id").and_then(|id| self.recovery.unsent.get_mut(&id)) {
                    unsent.execution = Some(record.seq);
                }
            }
            "session.status_idle" if p["stop_reason"]["type"] == "requires_action" => {
                let calls = p["stop_reason"]["event_ids"].as_array().into_iter().flatten();
                self.recovery.asked = event_id(record).map(|idle| Asked {
                    calls: calls.filter_map(Value::as_str).map(str::to_owned).collect(),
                    ts: record.ts.clone(),
                    idle_id: idle.to_owned(),
                });
            }
            "session.status_running" => self.recovery.asked = None,
            "session.status_idle" | "session.status_terminated" | "session.deleted" => {
                // The run ended without answers (an interrupt, the end): no call of it waits any more.
                self.recovery.asked = None;
                self.recovery.unanswered.clear();
                self.recovery.unsent.clear();
                // (A deletion ends the stream too, and with it every hold: see `end_held`.)
                if record.kind != "session.deleted" {
                    self.note_holds_ended(None, RUN_ENDED);
                }
            }
            _ => {}
        }
    }

    /// While loading: the pending holds of `call` (of every call: `None`) are no longer awaited — an answer
    /// seen on the stream (Vargate answers a hold only after the record that concludes it, which comes first),
    /// or a status that ends their run.
    fn note_holds_ended(&mut self, call: Option<&str>, cause: &'static str) {
        for (id, held) in &self.held {
            if call.is_none_or(|c| c == held.tool_use_id) {
                self.recovery.hold_ends.entry(id.clone()).or_insert(cause);
            }
        }
    }

    /// At the start of a run: the holds noted while loading as no longer awaited are ended (see
    /// [`SessionState::end_holds`]), unless a record concluded them since.
    pub(super) async fn end_noted_holds(
        &mut self,
        store: &Store,
        queue: Option<&Approvals>,
    ) -> Result<(), IngestError> {
        for (id, cause) in std::mem::take(&mut self.recovery.hold_ends) {
            self.end_holds(store, queue, |held, _| held == id, cause).await?;
        }
        Ok(())
    }

    /// Once the session's agent is known: the calls noted unanswered and never decided wait again, rebuilt
    /// from their records with their original parameters. One whose original cannot be had (its session was
    /// shredded, sealing had failed) waits as recorded, redacted, to be denied with that cause.
    pub(super) async fn recover_waiting(&mut self, store: &Store) -> Result<(), IngestError> {
        for (id, seq) in std::mem::take(&mut self.recovery.unanswered) {
            if self.answered.contains(&id) {
                continue;
            }
            let Some(entry) = record_at(store, &self.tenant, &self.session_id, seq).await? else { continue };
            let event = match self.original_event(store, entry.record.payload.clone()).await {
                Ok(event) => event,
                Err(cause) => {
                    self.faulted.insert(id.clone(), format!("its original parameters cannot be had: {cause}"));
                    entry.record.payload
                }
            };
            // A record that is no event (a malformed one, kept inside a note) waits on nobody, as it did live.
            if let Value::Object(raw) = event
                && let Ok(event) = SessionEvent::from_object(raw)
            {
                self.follow(Some(&id), &event.kind, &entry.record.ts, Some(seq));
            }
        }
        Ok(())
    }

    /// At the start of a run: the calls the session's last recorded status (an idle that requires action)
    /// asks for are answered now, as the stream will not bring that idle again — those the API's history
    /// shows no answer to since, while no status has followed the idle. A status that followed means the
    /// session went on without us (interrupted, deleted, answered by someone else): the stream brings that,
    /// and an idle that asks again finds the calls waiting.
    pub(super) async fn decide_asked<D: Decider>(
        &mut self,
        client: &Client,
        store: &Store,
        decider: &D,
        report: &mut IngestReport,
    ) -> Result<(), IngestError> {
        let Some(Asked { calls, ts, idle_id }) = self.recovery.asked.take() else { return Ok(()) };
        // What the session did after the idle (the API's history from its time on; an error ends the run,
        // which must not answer blindly).
        let since = client.events_since(&self.session_id, Some(&ts)).await?;
        let Some(at) = since.iter().position(|e| e.id() == Some(idle_id.as_str())) else {
            // Its recorded time is when it arrived, not when it was processed (the event said none).
            tracing::warn!(session = self.session_id, idle = idle_id, "the recorded idle is not in the history");
            return Ok(());
        };
        let after = &since[at + 1..];
        // A status (or the deletion) after it: the session went on. Other session events (errors) do not say so.
        let status = |t: &str| t.starts_with("session.status_") || t == "session.deleted";
        if after.iter().any(|e| status(e.event_type())) {
            return Ok(());
        }
        let answered: HashSet<&str> = after
            .iter()
            .filter_map(|e| ["tool_use_id", "custom_tool_use_id"].iter().find_map(|k| e.raw.get(*k)?.as_str()))
            .collect();
        for id in calls.iter().filter(|id| !answered.contains(id.as_str())) {
            if let Some((request, event_seq)) = self.waiting.remove(id) {
                self.decide(client, store, decider, &request, event_seq, &ts).await?;
                report.decisions += 1;
            } else if let Some(unsent) = self.recovery.unsent.remove(id) {
                let verdict = unsent.verdict.as_str();
                let answer = match (unsent.kind, unsent.verdict) {
                    (ToolCallKind::Custom, Verdict::Allow) => self.recorded_result(store, id, unsent.execution).await,
                    (kind, verdict) => answer(kind, &unsent.tool, id, verdict, &unsent.reason),
                };
                self.deliver(client, store, id, verdict, answer).await?;
            }
        }
        Ok(())
    }

    /// An allowed custom call's answer as its execution record holds it (the original, unsealed). Without
    /// one (the run died while the tool ran) it says so, as an error: the tool is not run again.
    async fn recorded_result(&self, store: &Store, id: &str, execution: Option<u64>) -> Value {
        let record = match execution {
            Some(seq) => record_at(store, &self.tenant, &self.session_id, seq)
                .await
                .map_err(|e| format!("its recorded result cannot be read: {e}")),
            None => Ok(None),
        };
        let result = match record {
            Ok(Some(entry)) => self
                .original_event(store, entry.record.payload)
                .await
                .map_err(|e| format!("its recorded result cannot be read: {e}")),
            Ok(None) => Err("its result was lost when Vargate stopped".to_owned()),
            Err(e) => Err(e),
        };
        match result {
            Ok(r) => json!({"type": "user.custom_tool_result", "custom_tool_use_id": id,
                            "is_error": r["is_error"].as_bool().unwrap_or(true), "content": r["content"]}),
            Err(why) => json!({"type": "user.custom_tool_result", "custom_tool_use_id": id, "is_error": true,
                               "content": [{"type": "text", "text": format!(
                                   "allowed by Vargate, but {why}; the tool is not run again")}]}),
        }
    }
}

/// The session's record at `seq`, if the log holds it.
pub(super) async fn record_at(
    store: &Store,
    tenant: &str,
    session: &str,
    seq: u64,
) -> Result<Option<TimelineEntry>, StoreError> {
    let filter = TimelineFilter { after_seq: seq.checked_sub(1), limit: 1, ..TimelineFilter::default() };
    let page = store.timeline(tenant, session, &filter).await?;
    Ok(page.into_iter().find(|e| e.record.seq == seq))
}
