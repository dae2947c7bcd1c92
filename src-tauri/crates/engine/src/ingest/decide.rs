//! Deciding on tool calls as ingest meets them: the decider's decision, recorded before it is answered; an
//! allowed custom call run through the executor (its result recorded first too); tool uses shown to the
//! behaviour detectors, and the session interrupted when they say it must stop.

use super::{DECISION, DELIVERY_FAILED, EXECUTION, INTERRUPT, IngestError, SessionState, now};
use crate::decision::{Decider, Decision, DecisionRequest, Interrupt, ToolCallKind, Verdict};
use crate::redact::redact_event;
use serde_json::{Value, json};
use vargate_agents::client::Client;
use vargate_store::Store;

impl SessionState {
    /// Shows an unasked tool use to the decider; if it says the session must stop, records why, then
    /// interrupts the session and tells the agent (once per run).
    pub(super) async fn watch_behaviour<D: Decider>(
        &mut self,
        client: &Client,
        store: &Store,
        decider: &D,
        request: &DecisionRequest,
    ) -> Result<(), IngestError> {
        let Some(Interrupt { reason, evidence }) = decider.observe(request).await else { return Ok(()) };
        if self.interrupted {
            return Ok(());
        }
        let mut payload = evidence;
        payload.insert("tool_use_id".into(), json!(request.tool_use_id));
        payload.insert("reason".into(), json!(reason));
        self.interrupt(client, store, payload, &reason).await
    }

    /// Records an interrupt, then sends `user.interrupt` and a message saying why.
    pub(super) async fn interrupt(
        &mut self,
        client: &Client,
        store: &Store,
        payload: serde_json::Map<String, Value>,
        reason: &str,
    ) -> Result<(), IngestError> {
        let mut payload = payload;
        payload.insert("agent_told".into(), json!(!self.run_ended));
        store
            .append(&self.tenant, self.record(INTERRUPT, &now(), "pipeline", "interrupt", Value::Object(payload)))
            .await?;
        self.interrupted = true;
        // A message to a session whose run has ended would start a new turn, undoing the interrupt: then the
        // record alone says why (the reviewer is alerted by it; the agent is not woken).
        let message = format!("Vargate interrupted this session: {reason}");
        let events = interrupt_events((!self.run_ended).then_some(message.as_str()));
        if let Err(e) = client.send_events(&self.session_id, &events).await {
            tracing::error!(session = self.session_id, "delivering an interrupt failed: {e}");
            let payload = json!({ "answer": events, "error": e.to_string() });
            store.append(&self.tenant, self.record(DELIVERY_FAILED, &now(), "pipeline", "interrupt", payload)).await?;
        }
        Ok(())
    }

    /// Decides, records the decision durably, then answers the session. A failed delivery is recorded too; the
    /// session then stays blocked, which is the safe side. `event_seq` is the session seq of the call's
    /// tool-use event record, which a hold cites.
    pub(super) async fn decide<D: Decider>(
        &mut self,
        client: &Client,
        store: &Store,
        decider: &D,
        request: &DecisionRequest,
        event_seq: Option<u64>,
        ts: &str,
    ) -> Result<(), IngestError> {
        let mut decision = match self.faulted.remove(&request.tool_use_id) {
            Some(cause) => Decision::deny(format!("denied on a fault: {cause}")),
            None => decide_or_deny(decider, request).await,
        };
        if decision.verdict == Verdict::Hold {
            match decider.approvals() {
                Some(queue) => match self.hold(client, store, queue, request, &decision, event_seq, ts).await {
                    Ok(()) => return Ok(()),
                    Err(cause) => {
                        decision = Decision::deny(format!("denied on a fault: queueing the approval failed: {cause}"));
                    }
                },
                None => decision = Decision::deny("held for approval, but there is no approval queue"),
            }
        }
        self.record_and_answer(client, store, decider, request, Originals::InRequest, &decision, ts).await
    }

    /// Records the decision on a call, then sends the answer (for an allowed custom call, what running it on
    /// its `originals` gave).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record_and_answer<D: Decider>(
        &mut self,
        client: &Client,
        store: &Store,
        decider: &D,
        request: &DecisionRequest,
        originals: Originals,
        decision: &Decision,
        ts: &str,
    ) -> Result<(), IngestError> {
        let verdict = decision.verdict.as_str();
        let payload = decision_payload(request, decision);
        store.append(&self.tenant, self.record(DECISION, ts, "pipeline", verdict, payload)).await?;
        self.answered.insert(request.tool_use_id.clone());
        let answer = match (request.kind, decision.verdict) {
            (ToolCallKind::Custom, Verdict::Allow) => self.execute(store, decider, request, originals).await?,
            _ => answer_event(request, decision),
        };
        self.deliver(client, store, &request.tool_use_id, verdict, answer).await
    }

    /// Sends the answer to a call; a failed delivery is recorded (with the answer), and the session then stays
    /// blocked, which is the safe side.
    pub(super) async fn deliver(
        &self,
        client: &Client,
        store: &Store,
        tool_use_id: &str,
        verdict: &str,
        answer: Value,
    ) -> Result<(), IngestError> {
        if let Err(e) = client.send_events(&self.session_id, std::slice::from_ref(&answer)).await {
            tracing::error!(session = self.session_id, tool_use_id, "delivering a decision failed: {e}");
            let payload = json!({ "tool_use_id": tool_use_id, "answer": answer, "error": e.to_string() });
            store.append(&self.tenant, self.record(DELIVERY_FAILED, &now(), "pipeline", verdict, payload)).await?;
        }
        Ok(())
    }
}

/// Where an allowed custom call's original parameters are when it is to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Originals {
    /// In the request: the call was decided as it arrived.
    InRequest,
    /// Sealed in the log, in the record of the call's tool-use event (at `event_seq` of the session when the
    /// hold cited it): the call was concluded after a hold, and only its redacted parameters are at hand.
    InLog { event_seq: Option<u64> },
}

impl SessionState {
    /// Runs an allowed custom call through the decider's executor and records the result (redacted, its
    /// original sealed) before it is sent; returns the answer carrying it.
    async fn execute<D: Decider>(
        &self,
        store: &Store,
        decider: &D,
        request: &DecisionRequest,
        originals: Originals,
    ) -> Result<Value, IngestError> {
        let execution = match originals {
            Originals::InRequest => decider.execute(request).await,
            // Unsealed for the call alone: the plaintext lives in this arm and is dropped when the executor
            // returns. Never run on the redacted parameters: that would run something other than what was
            // approved.
            Originals::InLog { event_seq } => match self.unseal_params(store, request, event_seq).await {
                Ok(input) => decider.execute(&DecisionRequest { input, ..request.clone() }).await,
                Err(why) => crate::executor::Execution::failed(format!(
                    "allowed by Vargate, but tool {} was not run: its original parameters could not be unsealed: {why}",
                    request.tool
                )),
            },
        };
        let answer = json!({"type": "user.custom_tool_result", "custom_tool_use_id": request.tool_use_id,
                            "is_error": execution.is_error, "content": execution.content});
        let payload = json!({"tool_use_id": request.tool_use_id, "tool": request.tool, "executor": execution.executor,
                             "is_error": execution.is_error, "content": answer["content"]});
        let aad = format!("execution:{}", request.tool_use_id);
        let payload = redact_event(store, &self.tenant, &self.session_id, &aad, payload).await;
        let outcome = if execution.is_error { "error" } else { "ok" };
        store.append(&self.tenant, self.record(EXECUTION, &now(), "pipeline", outcome, payload)).await?;
        Ok(answer)
    }
}

/// The decider's decision; a decider that panics is a fault, and a fault is a deny that says so.
async fn decide_or_deny<D: Decider>(decider: &D, request: &DecisionRequest) -> Decision {
    use futures_util::FutureExt as _;
    match std::panic::AssertUnwindSafe(decider.decide(request)).catch_unwind().await {
        Ok(decision) => decision,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            let cause = format!("the decider panicked: {what}");
            tracing::error!(session = request.session_id, "denied on a fault: {cause}");
            let mut decision = Decision::deny(format!("denied on a fault: {cause}"));
            decision.evidence.insert("fault".into(), json!(cause));
            decision
        }
    }
}

/// The decision record's payload: the decider's evidence, then what the call was.
pub(super) fn decision_payload(request: &DecisionRequest, decision: &Decision) -> Value {
    let mut payload = decision.evidence.clone();
    payload.insert("tool_use_id".into(), json!(request.tool_use_id));
    payload.insert("tool".into(), json!(request.tool));
    payload.insert("tool_kind".into(), json!(request.kind.as_str()));
    payload.insert("agent".into(), json!(request.agent));
    payload.insert("params".into(), request.redacted.clone());
    payload.insert("reason".into(), json!(decision.reason));
    Value::Object(payload)
}

/// The events that interrupt a session: `user.interrupt`, then, when given, a message telling the agent why.
pub fn interrupt_events(message: Option<&str>) -> Vec<Value> {
    let mut events = vec![json!({"type": "user.interrupt"})];
    if let Some(text) = message {
        events.push(json!({"type": "user.message", "content": [{"type": "text", "text": text}]}));
    }
    events
}

/// The event that carries a decision back to the session.
fn answer_event(request: &DecisionRequest, decision: &Decision) -> Value {
    answer(request.kind, &request.tool, &request.tool_use_id, decision.verdict, &decision.reason)
}

/// The answer to call `tool_use_id` (of tool `tool`) that a verdict gives, `reason` its decision's: also built
/// from a decision record, to send again what a run that died did not (see `recover`).
pub(super) fn answer(kind: ToolCallKind, tool: &str, tool_use_id: &str, verdict: Verdict, reason: &str) -> Value {
    match (kind, verdict) {
        // Allowed custom calls are answered with what their executor gave (`SessionState::execute`), never
        // from here; should one reach here, it says it did not run.
        (ToolCallKind::Custom, Verdict::Allow) => {
            let ran = crate::executor::Execution::not_configured(tool);
            json!({"type": "user.custom_tool_result", "custom_tool_use_id": tool_use_id, "is_error": true,
                   "content": ran.content})
        }
        // A hold is never answered; it is concluded first. Should one reach here, it is a deny.
        (ToolCallKind::Custom, Verdict::Deny | Verdict::Hold) => {
            json!({"type": "user.custom_tool_result", "custom_tool_use_id": tool_use_id, "is_error": true,
                   "content": [{"type": "text", "text": format!("denied by Vargate: {reason}")}]})
        }
        (_, Verdict::Allow) => json!({"type": "user.tool_confirmation", "tool_use_id": tool_use_id, "result": "allow"}),
        (_, Verdict::Deny | Verdict::Hold) => json!({"type": "user.tool_confirmation", "tool_use_id": tool_use_id,
                   "result": "deny", "deny_message": format!("denied by Vargate: {reason}")}),
    }
}
