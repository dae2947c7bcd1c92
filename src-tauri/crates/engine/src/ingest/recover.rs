//! Attaching again after ingest stopped between recording a call that waits on Vargate and deciding it (a
//! crash, a kill): the log holds the call, and maybe the idle that asks for it, but no decision. The watcher
//! does not deliver recorded events again, so such calls are rebuilt from their records, and an idle the log
//! holds already is acted on at once. Without this the session would wait for an answer for good.

use super::{IngestError, IngestReport, SessionState, event_id};
use crate::decision::Decider;
use serde_json::Value;
use vargate_agents::client::Client;
use vargate_agents::events::SessionEvent;
use vargate_proof::AuditRecord;
use vargate_store::{Store, TimelineEntry, TimelineFilter};

impl SessionState {
    /// While loading the log: what `record` says of the calls that wait on Vargate — a call that asks, the
    /// answer to one seen on the stream, or the idle that asks for answers (until a later status replaces it).
    pub(super) fn note_call(&mut self, record: &AuditRecord) {
        let p = &record.payload;
        let answers = |member: &str| p.get(member).and_then(Value::as_str).map(str::to_owned);
        match record.kind.as_str() {
            "agent.tool_use" | "agent.mcp_tool_use" | "agent.custom_tool_use" => {
                let asks = record.kind == "agent.custom_tool_use" || p["evaluated_permission"] == "ask";
                if let Some(id) = event_id(record).filter(|_| asks) {
                    self.unanswered.insert(id.to_owned(), record.seq);
                }
            }
            "user.tool_confirmation" => {
                answers("tool_use_id").map(|id| self.unanswered.remove(&id));
            }
            "user.custom_tool_result" => {
                answers("custom_tool_use_id").map(|id| self.unanswered.remove(&id));
            }
            "session.status_idle" if p["stop_reason"]["type"] == "requires_action" => {
                let ids = p["stop_reason"]["event_ids"].as_array().into_iter().flatten();
                self.asked = Some((ids.filter_map(Value::as_str).map(str::to_owned).collect(), record.ts.clone()));
            }
            "session.status_idle" | "session.status_running" | "session.status_terminated" => self.asked = None,
            _ => {}
        }
    }

    /// Once the session's agent is known: the calls noted unanswered and never decided wait again, rebuilt
    /// from their records with their original parameters. One whose original cannot be had (its session was
    /// shredded) is left unanswered, so the session stays blocked: nothing runs undecided.
    pub(super) async fn recover_waiting(&mut self, store: &Store) {
        for (id, seq) in std::mem::take(&mut self.unanswered) {
            if self.answered.contains(&id) {
                continue;
            }
            let Some(entry) = record_at(store, &self.tenant, &self.session_id, seq).await else { continue };
            let event = match self.original_event(store, entry.record.payload).await {
                Ok(Value::Object(raw)) => SessionEvent::from_object(raw),
                Ok(_) => continue,
                Err(e) => {
                    tracing::error!(session = self.session_id, call = id, "a recorded call cannot be decided: {e}");
                    continue;
                }
            };
            if let Ok(event) = event {
                self.follow(Some(&id), &event.kind, &entry.record.ts, Some(seq));
            }
        }
    }

    /// At the start of a run: the calls the session's last recorded status (an idle that requires action)
    /// asks for are decided now, as the stream will not bring that idle again.
    pub(super) async fn decide_asked<D: Decider>(
        &mut self,
        client: &Client,
        store: &Store,
        decider: &D,
        report: &mut IngestReport,
    ) -> Result<(), IngestError> {
        let Some((ids, ts)) = self.asked.take() else { return Ok(()) };
        for id in ids {
            if let Some((request, event_seq)) = self.waiting.remove(&id) {
                self.decide(client, store, decider, &request, event_seq, &ts).await?;
                report.decisions += 1;
            }
        }
        Ok(())
    }
}

/// The session's record at `seq`, if the log holds it.
pub(super) async fn record_at(store: &Store, tenant: &str, session: &str, seq: u64) -> Option<TimelineEntry> {
    let filter = TimelineFilter { after_seq: seq.checked_sub(1), limit: 1, ..TimelineFilter::default() };
    let page = store.timeline(tenant, session, &filter).await.ok()?;
    page.into_iter().find(|e| e.record.seq == seq)
}
