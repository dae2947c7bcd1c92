//! Calls held for approval: queued with their decision record, waited on beside the event stream, and
//! concluded — re-evaluated when approved — with a final decision record and the answer to the session.

use super::{DECISION, IngestError, SessionState, decision_payload, now};
use crate::approvals::{ApprovalError, Approvals, resolution_evidence};
use crate::decision::{Decider, Decision, DecisionRequest, ToolCallKind, Verdict};
use serde_json::{Value, json};
use vargate_agents::client::Client;
use vargate_store::{ApprovalRow, Store};

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
}

impl SessionState {
    /// Records the hold (the decision record, then the queue's row) and leaves the call waiting.
    pub(super) async fn hold(
        &mut self,
        store: &Store,
        queue: &Approvals,
        request: &DecisionRequest,
        decision: &Decision,
        ts: &str,
    ) -> Result<(), IngestError> {
        let approval_id = format!("apr_{:016x}{:08x}", rand::random::<u64>(), rand::random::<u32>());
        let mut decision = decision.clone();
        decision.evidence.insert("approval_id".into(), json!(approval_id));
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
            self.conclude_with(store, &approval_id, &e.to_string()).await?;
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
        self.record_and_answer(client, store, decider, &request, &decision, &now()).await
    }

    /// Concludes a hold without waiting (its queueing failed): a deny recorded with the cause.
    async fn conclude_with(&mut self, store: &Store, approval_id: &str, cause: &str) -> Result<(), IngestError> {
        let Some(held) = self.held.remove(approval_id) else { return Ok(()) };
        let mut decision = deny_with(format!("denied on a fault: {cause}"), None);
        decision.evidence.insert("action_id".into(), json!(held.action_id));
        let request = held.request(&self.tenant, &self.session_id);
        let payload = decision_payload(&request, &decision);
        store.append(&self.tenant, self.record(DECISION, &now(), "pipeline", "deny", payload)).await?;
        Ok(())
    }

    /// The session ended while calls were held: each is expired, and the final decision recorded.
    pub(super) async fn end_held(&mut self, store: &Store, queue: Option<&Approvals>) -> Result<(), IngestError> {
        let ids: Vec<String> = self.held.keys().cloned().collect();
        for id in ids {
            let row = match queue {
                Some(q) => q.expire(&id, "the session ended before a decision").await,
                None => Err(ApprovalError::Unknown(id.clone())),
            };
            let Some(held) = self.held.remove(&id) else { continue };
            let mut decision =
                deny_with("no decision: the session ended while the call waited for approval".into(), None);
            if let Ok(row) = &row {
                decision.evidence.insert("approval".into(), resolution_evidence(row));
            }
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
        let kind = match p.get("tool_kind").and_then(Value::as_str) {
            Some("builtin") => ToolCallKind::BuiltIn,
            Some("mcp") => ToolCallKind::Mcp,
            _ => ToolCallKind::Custom,
        };
        Held {
            tool_use_id: s("tool_use_id"),
            action_id: s("action_id"),
            kind,
            tool: s("tool"),
            agent: s("agent"),
            params: p.get("params").cloned().unwrap_or(Value::Null),
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
