//! Calls held for approval: queued with their decision record, waited on beside the event stream, and
//! concluded — re-evaluated when approved — with a final decision record and the answer to the session. An
//! approved custom call runs on its original parameters, unsealed from the record of its tool-use event
//! only for the call.

use super::{DECISION, IngestError, Originals, SessionState, decision_payload, now};
use crate::approvals::{ApprovalError, Approvals, resolution_evidence};
use crate::decision::{Decider, Decision, DecisionRequest, ToolCallKind, Verdict};
use crate::redact::{SEALED_MEMBER, redact_only};
use serde_json::{Map, Value, json};
use vargate_agents::client::Client;
use vargate_store::{ApprovalRow, Sealed, Store, TimelineFilter};

/// Why a hold ends unanswered, when nobody awaits the call any more.
pub(super) const ANSWERED_ELSEWHERE: &str = "the call was answered outside Vargate while it waited for approval";
pub(super) const RUN_ENDED: &str = "the session's run ended while the call waited for approval";

/// A held call: what answering it needs, from its decision record.
#[derive(Debug, Clone)]
pub(super) struct Held {
    pub(super) tool_use_id: String,
    /// The action the hold decided on; its conclusion is the same action.
    action_id: String,
    kind: ToolCallKind,
    tool: String,
    agent: String,
    params: Value,
    /// The session seq of the call's tool-use event record (holds recorded before it was cited lack it).
    event_seq: Option<u64>,
}

impl SessionState {
    /// Records the hold (the decision record, then the queue's row) and leaves the call waiting.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn hold(
        &mut self,
        client: &Client,
        store: &Store,
        queue: &Approvals,
        request: &DecisionRequest,
        decision: &Decision,
        event_seq: Option<u64>,
        ts: &str,
    ) -> Result<(), IngestError> {
        let approval_id = format!("apr_{:016x}{:08x}", rand::random::<u64>(), rand::random::<u32>());
        let mut decision = decision.clone();
        decision.evidence.insert("approval_id".into(), json!(approval_id));
        // Where the original parameters are sealed, for running the call once it is approved (in any process,
        // after any restart): the hold keeps no copy of them.
        if let Some(seq) = event_seq {
            decision.evidence.insert("event_seq".into(), json!(seq));
        }
        let payload = decision_payload(request, &decision);
        store.append(&self.tenant, self.record(DECISION, ts, "pipeline", "require_approval", payload.clone())).await?;
        self.answered.insert(request.tool_use_id.clone());
        let e = &decision.evidence;
        let row = ApprovalRow {
            id: approval_id.clone(),
            tenant: self.tenant.clone(),
            session_id: self.session_id.clone(),
            tool_use_id: request.tool_use_id.clone(),
            action_id: e.get("action_id").and_then(Value::as_str).unwrap_or_default().to_owned(),
            agent: request.agent.clone(),
            tool: request.tool.clone(),
            details: json!({
                "tool_kind": request.kind.as_str(),
                "params": request.redacted,
                "reason": decision.reason,
                "findings": e.get("findings"),
                "policy": e.get("policy"),
                "pass1_input": e.get("evaluation").and_then(|v| v.get("pass1_input")),
            }),
            requested_at: now(),
            expires_at: crate::approvals::deadline(queue.config().timeout),
            status: "pending".into(),
            decided_by: None,
            channel: None,
            reason: None,
            decided_at: None,
        };
        self.held.insert(approval_id.clone(), Held::from_record(&payload));
        if let Err(e) = queue.open(row).await {
            // The hold is recorded but could not be queued: conclude it now, as a deny with the cause.
            self.conclude_with(client, store, &approval_id, &e.to_string()).await?;
            return Ok(());
        }
        self.new_holds.push(approval_id);
        Ok(())
    }

    /// A held call's approval was resolved (or could not be waited on): re-evaluate when approved, then
    /// record the final decision and answer the session.
    pub(super) async fn conclude<D: Decider>(
        &mut self,
        client: &Client,
        store: &Store,
        decider: &D,
        approval_id: &str,
        result: Result<ApprovalRow, ApprovalError>,
    ) -> Result<(), IngestError> {
        let Some(held) = self.held.remove(approval_id) else { return Ok(()) };
        let decision = match result {
            Err(e) => deny_with(format!("denied on a fault: waiting for approval {approval_id} failed: {e}"), None),
            Ok(row) => {
                let who = format!(
                    "{} via {}",
                    row.decided_by.clone().unwrap_or_default(),
                    row.channel.clone().unwrap_or_default()
                );
                let said = row.reason.clone().filter(|r| !r.is_empty()).map(|r| format!(": {r}")).unwrap_or_default();
                let mut decision = match row.status.as_str() {
                    "approved" => {
                        let recheck = decider.recheck(&row).await;
                        match recheck.verdict {
                            Verdict::Allow | Verdict::Hold => Decision {
                                verdict: Verdict::Allow,
                                reason: format!("approved by {who}{said}"),
                                evidence: recheck.evidence,
                            },
                            Verdict::Deny => Decision {
                                verdict: Verdict::Deny,
                                reason: format!("approved by {who}, but policy now denies: {}", recheck.reason),
                                evidence: recheck.evidence,
                            },
                        }
                    }
                    "denied" => deny_with(format!("denied by {who}{said}"), None),
                    _ => deny_with(format!("no decision in time: the approval request expired{said}"), None),
                };
                decision.evidence.insert("approval".into(), resolution_evidence(&row));
                decision
            }
        };
        let mut decision = decision;
        decision.evidence.insert("action_id".into(), json!(held.action_id));
        let request = held.request(&self.tenant, &self.session_id);
        let originals = Originals::InLog { event_seq: held.event_seq };
        self.record_and_answer(client, store, decider, &request, originals, &decision, &now()).await
    }

    /// The original parameters of a concluded call, from the sealed part of its tool-use event's record
    /// (through the store's unsealing, as a reviewer's reveal), checked to redact to exactly the parameters
    /// that were approved. `Err` says why they cannot be had: the session or tenant was crypto-shredded, the
    /// originals could not be sealed when recorded, the record is not the call's.
    pub(super) async fn unseal_params(
        &self,
        store: &Store,
        request: &DecisionRequest,
        event_seq: Option<u64>,
    ) -> Result<Map<String, Value>, String> {
        let record = match event_seq {
            Some(seq) => super::recover::record_at(store, &self.tenant, &self.session_id, seq)
                .await
                .map_err(|e| e.to_string())?,
            None => self.find_tool_use(store, &request.tool_use_id).await?,
        };
        let record = record.ok_or("the record of its tool-use event is not in the log")?.record;
        if record.payload.get("id").and_then(Value::as_str) != Some(request.tool_use_id.as_str()) {
            return Err(format!("record {} of the session is not its tool-use event", record.seq));
        }
        let event = self.original_event(store, record.payload).await?;
        let Some(Value::Object(input)) = event.get("input").cloned() else {
            return Err("the tool-use event has no parameters".into());
        };
        let input = Value::Object(input);
        // What runs must be what was approved: the reviewer saw these parameters redacted.
        if redact_only(&input).0 != request.redacted {
            return Err("the sealed original does not match the parameters that were approved".into());
        }
        match input {
            Value::Object(input) => Ok(input),
            _ => Err("the tool-use event has no parameters".into()),
        }
    }

    /// The event an observed event's record holds, as it was sent: its sealed original when redaction sealed
    /// one (unsealed through the store, as a reviewer's reveal), else the payload itself.
    pub(super) async fn original_event(&self, store: &Store, payload: Value) -> Result<Value, String> {
        let Some(member) = payload.get(SEALED_MEMBER) else {
            return Ok(payload); // nothing was redacted: the record holds the event as it was sent
        };
        let sealed = serde_json::from_value::<Sealed>(member["sealed"].clone()).map_err(|_| {
            member["error"].as_str().map_or_else(|| "its record holds no sealed original".to_owned(), str::to_owned)
        })?;
        let aad = member["aad"].as_str().ok_or("its record's sealed original names no binding")?;
        let bytes =
            store.unseal(&self.tenant, &self.session_id, &sealed, aad.as_bytes()).await.map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| format!("the sealed original is not JSON: {e}"))
    }

    /// The record of a custom tool-use event, by id: for holds recorded before they cited it (one pass over
    /// the session's custom tool uses).
    async fn find_tool_use(
        &self,
        store: &Store,
        tool_use_id: &str,
    ) -> Result<Option<vargate_store::TimelineEntry>, String> {
        let mut filter =
            TimelineFilter { types: vec!["agent.custom_tool_use".into()], limit: 1_000, ..TimelineFilter::default() };
        loop {
            let page = store.timeline(&self.tenant, &self.session_id, &filter).await.map_err(|e| e.to_string())?;
            let Some(last) = page.last() else { return Ok(None) };
            filter.after_seq = Some(last.record.seq);
            if let Some(found) = page.into_iter().find(|e| e.record.payload["id"] == tool_use_id) {
                return Ok(Some(found));
            }
        }
    }

    /// Concludes a hold without waiting (its queueing failed): a deny recorded with the cause, then sent.
    async fn conclude_with(
        &mut self,
        client: &Client,
        store: &Store,
        approval_id: &str,
        cause: &str,
    ) -> Result<(), IngestError> {
        let Some(held) = self.held.remove(approval_id) else { return Ok(()) };
        let mut decision = deny_with(format!("denied on a fault: {cause}"), None);
        decision.evidence.insert("action_id".into(), json!(held.action_id));
        let request = held.request(&self.tenant, &self.session_id);
        let payload = decision_payload(&request, &decision);
        store.append(&self.tenant, self.record(DECISION, &now(), "pipeline", "deny", payload)).await?;
        let answer = super::decide::answer(held.kind, &held.tool, &held.tool_use_id, Verdict::Deny, &decision.reason);
        self.deliver(client, store, &held.tool_use_id, "deny", answer).await
    }

    /// The session ended while calls were held: each is expired, and the final decision recorded.
    pub(super) async fn end_held(&mut self, store: &Store, queue: Option<&Approvals>) -> Result<(), IngestError> {
        self.end_holds(store, queue, |_, _| true, "the session ended while the call waited for approval").await
    }

    /// Ends the holds `which` picks without an answer (none is awaited any more: the run or the session ended,
    /// or someone answered the call outside Vargate): each is expired in the queue, so that a later approval
    /// runs nothing, and a deny saying `cause` recorded.
    pub(super) async fn end_holds(
        &mut self,
        store: &Store,
        queue: Option<&Approvals>,
        which: impl Fn(&str, &Held) -> bool,
        cause: &str,
    ) -> Result<(), IngestError> {
        let ids: Vec<String> = self.held.iter().filter(|(id, h)| which(id, h)).map(|(id, _)| id.clone()).collect();
        for id in ids {
            let row = match queue {
                Some(q) => q.expire(&id, cause).await,
                None => Err(ApprovalError::Unknown(id.clone())),
            };
            let Some(held) = self.held.remove(&id) else { continue };
            let mut decision = match &row {
                // Someone decided it just before: their decision stands on record, but nothing comes of it.
                Ok(row) if row.status != "expired" => deny_with(
                    format!("{} by {}, but {cause}: nothing ran", row.status, row.decided_by.as_deref().unwrap_or("?")),
                    None,
                ),
                _ => deny_with(format!("no decision: {cause}"), None),
            };
            match &row {
                Ok(row) => decision.evidence.insert("approval".into(), resolution_evidence(row)),
                Err(e) => decision.evidence.insert("approval_error".into(), json!(e.to_string())),
            };
            decision.evidence.insert("action_id".into(), json!(held.action_id));
            let request = held.request(&self.tenant, &self.session_id);
            let payload = decision_payload(&request, &decision);
            store.append(&self.tenant, self.record(DECISION, &now(), "pipeline", "deny", payload)).await?;
        }
        Ok(())
    }
}

impl Held {
    pub(super) fn from_record(p: &Value) -> Held {
        let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let kind = ToolCallKind::from_record(p.get("tool_kind").and_then(Value::as_str));
        Held {
            tool_use_id: s("tool_use_id"),
            action_id: s("action_id"),
            kind,
            tool: s("tool"),
            agent: s("agent"),
            params: p.get("params").cloned().unwrap_or(Value::Null),
            event_seq: p.get("event_seq").and_then(Value::as_u64),
        }
    }

    fn request(&self, tenant: &str, session: &str) -> DecisionRequest {
        DecisionRequest {
            tenant: tenant.to_owned(),
            session_id: session.to_owned(),
            agent: self.agent.clone(),
            tool_use_id: self.tool_use_id.clone(),
            kind: self.kind,
            tool: self.tool.clone(),
            input: serde_json::Map::new(),
            redacted: self.params.clone(),
            pii: Vec::new(),
            at: now(),
        }
    }
}

fn deny_with(reason: String, evidence: Option<serde_json::Map<String, Value>>) -> Decision {
    Decision { verdict: Verdict::Deny, reason, evidence: evidence.unwrap_or_default() }
}
