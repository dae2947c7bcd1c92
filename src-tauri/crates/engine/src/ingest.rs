//! Live ingest: every event of a watched session becomes an audit record, exactly once and in order; every
//! tool call that waits on Vargate is put to the [`Decider`], and the answer is recorded *before* it is sent
//! to the session.

use crate::approvals::{ApprovalError, Approvals, resolution_evidence};
use crate::decision::{Decider, Decision, DecisionRequest, Interrupt, ToolCallKind, Verdict};
use crate::redact::{redact_event, redact_only};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use tokio::sync::mpsc;
use vargate_agents::client::{Client, ClientError};
use vargate_agents::events::{EventKind, SessionEvent, StopReason};
use vargate_agents::stream::{StreamItem, WatchEnd, WatchOptions, watch};
use vargate_store::ApprovalRow;
use vargate_store::{NewRecord, Store, StoreError, TimelineFilter};

/// Record type of Vargate's own decisions, and of frames that were not events.
pub const DECISION: &str = "vargate.decision";
pub const DELIVERY_FAILED: &str = "vargate.delivery_failed";
pub const GARBLED: &str = "vargate.garbled_frame";
pub const INTERRUPT: &str = "vargate.interrupt";

/// Most stream items recorded in one append.
const MAX_BATCH: usize = 4096;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    #[error("audit log: {0}")]
    Store(#[from] StoreError),
    #[error("managed-agents API: {0}")]
    Api(#[from] ClientError),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Events recorded (garbled frames and malformed events included).
    pub events: u64,
    pub garbled: u64,
    pub malformed: u64,
    pub decisions: u64,
    /// `None` when the watch stopped because the consumer did.
    pub end: Option<WatchEnd>,
}

/// Watches `session_id` until it is terminated or deleted, recording into `tenant`'s log and deciding on
/// every tool call that waits. Attaching to a session that was ingested before records only what is new
/// (event ids already in the log are skipped) and never answers a tool call twice.
pub async fn ingest_session<D: Decider>(
    client: &Client,
    store: &Store,
    tenant: &str,
    session_id: &str,
    decider: &D,
    options: &WatchOptions,
) -> Result<IngestReport, IngestError> {
    let mut state = SessionState::load(store, tenant, session_id).await?;
    // The agent a session runs, for the decider's per-agent history; a session we cannot read is still
    // watched (its events say what they say), under an unknown agent.
    state.agent = match client.get_session(session_id).await {
        Ok(s) => s
            .rest
            .get("agent")
            .and_then(|a| a.get("id").or(Some(a)))
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_owned(),
        Err(_) => "unknown".to_owned(),
    };
    let (tx, mut rx) = mpsc::channel::<StreamItem>(1024);
    let watcher = watch(client, session_id, options, tx);
    let consumer = async {
        let mut report = IngestReport::default();
        // Held calls wait in the approval queue beside the event stream, so that a pending approval never
        // stalls the recording of events; held calls of an earlier run are waited on again.
        let mut waits: tokio::task::JoinSet<(String, Result<ApprovalRow, ApprovalError>)> = tokio::task::JoinSet::new();
        let queue = decider.approvals().cloned();
        let spawn_waits = |waits: &mut tokio::task::JoinSet<_>, ids: Vec<String>| {
            for id in ids {
                match &queue {
                    Some(q) => {
                        let q = q.clone();
                        waits.spawn(async move {
                            let result = q.wait(&id).await;
                            (id, result)
                        });
                    }
                    None => tracing::warn!("approval {id} cannot be waited on: no approval queue"),
                }
            }
        };
        spawn_waits(&mut waits, state.held.keys().cloned().collect());
        let mut streaming = true;
        while streaming || !waits.is_empty() {
            tokio::select! {
                item = rx.recv(), if streaming => match item {
                    Some(first) => {
                        // Whatever has arrived is recorded in one durable append: under load this is what
                        // keeps ingest at group-commit speed instead of one commit per event.
                        let mut batch = vec![first];
                        while batch.len() < MAX_BATCH {
                            match rx.try_recv() {
                                Ok(item) => batch.push(item),
                                Err(_) => break,
                            }
                        }
                        state.handle(client, store, decider, batch, &mut report).await?;
                        spawn_waits(&mut waits, std::mem::take(&mut state.new_holds));
                    }
                    None => {
                        streaming = false;
                        // The session is over: what still waits can never be answered.
                        waits.abort_all();
                        state.end_held(store, queue.as_ref()).await?;
                    }
                },
                Some(done) = waits.join_next(), if !waits.is_empty() => {
                    if let Ok((id, result)) = done {
                        state.conclude(client, store, decider, &id, result).await?;
                        report.decisions += 1;
                    }
                }
            }
        }
        Ok::<_, IngestError>(report)
    };
    let (watched, consumed) = tokio::join!(watcher, consumer);
    let mut report = consumed?;
    report.end = Some(watched?);
    Ok(report)
}

/// What ingest knows about one session.
/// A held call: what answering it needs, from its decision record.
#[derive(Debug, Clone)]
struct Held {
    tool_use_id: String,
    /// The action the hold decided on; its conclusion is the same action.
    action_id: String,
    kind: ToolCallKind,
    tool: String,
    agent: String,
    params: Value,
}

struct SessionState {
    tenant: String,
    session_id: String,
    /// Calls held for approval, by approval id, until concluded.
    held: HashMap<String, Held>,
    /// Approval ids held by the last batch, not yet waited on.
    new_holds: Vec<String>,
    agent: String,
    /// Whether Vargate interrupted the session's current run already (it does so once per run: the run ends,
    /// and if the agent starts another and keeps going, it is interrupted again).
    interrupted: bool,
    /// Event ids already in the log.
    recorded: HashSet<String>,
    /// Tool calls that wait on Vargate, by tool-use id, until answered.
    waiting: HashMap<String, DecisionRequest>,
    /// Tool-use ids Vargate has already decided on (in this run or an earlier one).
    answered: HashSet<String>,
}

impl SessionState {
    async fn load(store: &Store, tenant: &str, session_id: &str) -> Result<Self, IngestError> {
        let mut state = SessionState {
            tenant: tenant.to_owned(),
            session_id: session_id.to_owned(),
            agent: "unknown".to_owned(),
            interrupted: false,
            recorded: HashSet::new(),
            waiting: HashMap::new(),
            answered: HashSet::new(),
            held: HashMap::new(),
            new_holds: Vec::new(),
        };
        let mut filter = TimelineFilter { limit: 10_000, ..TimelineFilter::default() };
        loop {
            let page = match store.timeline(tenant, session_id, &filter).await {
                Ok(p) => p,
                Err(StoreError::UnknownTenant(_)) => return Ok(state),
                Err(e) => return Err(e.into()),
            };
            let Some(last) = page.last() else { return Ok(state) };
            filter.after_seq = Some(last.record.seq);
            for entry in &page {
                let p = &entry.record.payload;
                if let Some(id) = p.get("id").and_then(Value::as_str) {
                    state.recorded.insert(id.to_owned());
                }
                if entry.record.kind == DECISION
                    && let Some(id) = p.get("tool_use_id").and_then(Value::as_str)
                {
                    state.answered.insert(id.to_owned());
                    // A hold is pending until a later decision record of the same call concludes it.
                    state.held.retain(|_, h| h.tool_use_id != id);
                    if entry.record.decision == "require_approval"
                        && let Some(approval) = p.get("approval_id").and_then(Value::as_str)
                    {
                        state.held.insert(approval.to_owned(), Held::from_record(p));
                    }
                }
                match entry.record.kind.as_str() {
                    INTERRUPT => state.interrupted = true,
                    "session.status_running" => state.interrupted = false,
                    _ => {}
                }
            }
        }
    }

    fn record(&self, kind: &str, ts: &str, source: &str, decision: &str, payload: Value) -> NewRecord {
        NewRecord {
            session_id: self.session_id.clone(),
            ts: ts.to_owned(),
            kind: kind.to_owned(),
            source: source.to_owned(),
            decision: decision.to_owned(),
            payload,
        }
    }

    /// Records a batch of stream items durably, then acts on them in order: tool calls that wait are decided
    /// only once the events announcing them are in the log.
    async fn handle<D: Decider>(
        &mut self,
        client: &Client,
        store: &Store,
        decider: &D,
        batch: Vec<StreamItem>,
        report: &mut IngestReport,
    ) -> Result<(), IngestError> {
        let mut records = Vec::with_capacity(batch.len());
        let mut events = Vec::with_capacity(batch.len());
        for item in batch {
            match item {
                StreamItem::Garbled { event, data, reason } => {
                    let payload = json!({ "event": event, "data": data, "note": reason });
                    let aad = format!("garbled:{}", report.events + records.len() as u64);
                    let payload = redact_event(store, &self.tenant, &self.session_id, &aad, payload).await;
                    records.push(self.record(GARBLED, &now(), "sse", "observed", payload));
                    report.garbled += 1;
                }
                StreamItem::Event(event) => {
                    let id = event.id().map(str::to_owned);
                    if let Some(id) = &id
                        && !self.recorded.insert(id.clone())
                    {
                        continue; // recorded by an earlier run
                    }
                    let ts = event.processed_at().map_or_else(now, str::to_owned);
                    let kind_name = event.event_type().to_owned();
                    // The raw object moves into the record: events can be large, and this is the hot path.
                    let SessionEvent { raw, kind } = event;
                    if kind_name == "span.model_request_end" {
                        let usage = raw.get("model_usage");
                        let tokens = |k: &str| usage.and_then(|u| u.get(k)).and_then(Value::as_u64).unwrap_or(0);
                        decider.usage(&self.tenant, &self.session_id, tokens("input_tokens") + tokens("output_tokens"));
                    }
                    let payload = match &kind {
                        EventKind::Malformed { reason } => {
                            report.malformed += 1;
                            json!({ "event": Value::Object(raw), "note": format!("malformed {kind_name}: {reason}") })
                        }
                        _ => Value::Object(raw),
                    };
                    // The sealed original is bound to the event's id (or, lacking one, its place and time).
                    let aad = id.clone().unwrap_or_else(|| format!("{kind_name}@{ts}"));
                    let payload = redact_event(store, &self.tenant, &self.session_id, &aad, payload).await;
                    records.push(self.record(&kind_name, &ts, "sse", "observed", payload));
                    events.push((id, kind, ts));
                }
            }
        }
        report.events += records.len() as u64;
        store.append_batch(&self.tenant, records).await?;
        for (id, kind, ts) in events {
            if matches!(kind, EventKind::Running) {
                self.interrupted = false;
            }
            if let Some(observed) = self.follow(id.as_deref(), &kind, &ts) {
                self.watch_behaviour(client, store, decider, &observed).await?;
            }
            if let EventKind::Idle { stop_reason: StopReason::RequiresAction { event_ids } } = &kind {
                for id in event_ids {
                    if let Some(request) = self.waiting.remove(id) {
                        self.decide(client, store, decider, &request, &ts).await?;
                        report.decisions += 1;
                    }
                }
            }
        }
        Ok(())
    }

    /// Notes tool calls that will wait on Vargate, and answers seen on the wire. Returns a tool use that ran
    /// without asking, for the decider to watch.
    fn follow(&mut self, id: Option<&str>, kind: &EventKind, ts: &str) -> Option<DecisionRequest> {
        use vargate_agents::events::Permission;
        let id = id?;
        let (call, waits) = match kind {
            EventKind::ToolUse(t) => (
                (ToolCallKind::BuiltIn, t.name.clone(), t.input.clone()),
                t.evaluated_permission == Some(Permission::Ask),
            ),
            EventKind::McpToolUse(t) => (
                (ToolCallKind::Mcp, format!("{}/{}", t.mcp_server_name, t.name), t.input.clone()),
                t.evaluated_permission == Some(Permission::Ask),
            ),
            EventKind::CustomToolUse(t) => ((ToolCallKind::Custom, t.name.clone(), t.input.clone()), true),
            EventKind::ToolConfirmation(c) => {
                self.waiting.remove(&c.tool_use_id);
                return None;
            }
            EventKind::CustomToolResult(r) => {
                self.waiting.remove(&r.custom_tool_use_id);
                return None;
            }
            _ => return None,
        };
        let (kind, tool, input) = call;
        let (redacted, _) = redact_only(&Value::Object(input.clone()));
        let request = DecisionRequest {
            tenant: self.tenant.clone(),
            session_id: self.session_id.clone(),
            agent: self.agent.clone(),
            tool_use_id: id.to_owned(),
            kind,
            tool,
            input,
            redacted,
            at: ts.to_owned(),
        };
        if !waits {
            return Some(request);
        }
        if !self.answered.contains(id) {
            self.waiting.insert(id.to_owned(), request);
        }
        None
    }

    /// Shows an unasked tool use to the decider; if it says the session must stop, records why, then
    /// interrupts the session and tells the agent (once per run).
    async fn watch_behaviour<D: Decider>(
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
    async fn interrupt(
        &mut self,
        client: &Client,
        store: &Store,
        payload: serde_json::Map<String, Value>,
        reason: &str,
    ) -> Result<(), IngestError> {
        store
            .append(&self.tenant, self.record(INTERRUPT, &now(), "pipeline", "interrupt", Value::Object(payload)))
            .await?;
        self.interrupted = true;
        let message = format!("Vargate interrupted this session: {reason}");
        let events = [
            json!({"type": "user.interrupt"}),
            json!({"type": "user.message", "content": [{"type": "text", "text": message}]}),
        ];
        if let Err(e) = client.send_events(&self.session_id, &events).await {
            tracing::error!(session = self.session_id, "delivering an interrupt failed: {e}");
            let payload = json!({ "answer": events, "error": e.to_string() });
            store.append(&self.tenant, self.record(DELIVERY_FAILED, &now(), "pipeline", "interrupt", payload)).await?;
        }
        Ok(())
    }

    /// Decides, records the decision durably, then answers the session. A failed delivery is recorded too; the
    /// session then stays blocked, which is the safe side.
    async fn decide<D: Decider>(
        &mut self,
        client: &Client,
        store: &Store,
        decider: &D,
        request: &DecisionRequest,
        ts: &str,
    ) -> Result<(), IngestError> {
        let mut decision = decider.decide(request).await;
        if decision.verdict == Verdict::Hold {
            match decider.approvals() {
                Some(queue) => match self.hold(store, queue, request, &decision, ts).await {
                    Ok(()) => return Ok(()),
                    Err(cause) => {
                        decision = Decision::deny(format!("denied on a fault: queueing the approval failed: {cause}"));
                    }
                },
                None => decision = Decision::deny("held for approval, but there is no approval queue"),
            }
        }
        self.record_and_answer(client, store, request, &decision, ts).await
    }

    /// Records the decision on a call, then sends the answer.
    async fn record_and_answer(
        &mut self,
        client: &Client,
        store: &Store,
        request: &DecisionRequest,
        decision: &Decision,
        ts: &str,
    ) -> Result<(), IngestError> {
        let verdict = match decision.verdict {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::Hold => "require_approval",
        };
        let payload = decision_payload(request, decision);
        store.append(&self.tenant, self.record(DECISION, ts, "pipeline", verdict, payload)).await?;
        self.answered.insert(request.tool_use_id.clone());
        let answer = answer_event(request, decision);
        if let Err(e) = client.send_events(&self.session_id, std::slice::from_ref(&answer)).await {
            tracing::error!(
                session = self.session_id,
                tool_use_id = request.tool_use_id,
                "delivering a decision failed: {e}"
            );
            let payload = json!({ "tool_use_id": request.tool_use_id, "answer": answer, "error": e.to_string() });
            store.append(&self.tenant, self.record(DELIVERY_FAILED, &now(), "pipeline", verdict, payload)).await?;
        }
        Ok(())
    }
}

impl SessionState {
    /// Records the hold (the decision record, then the queue's row) and leaves the call waiting.
    async fn hold(
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
    async fn conclude<D: Decider>(
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
        self.record_and_answer(client, store, &request, &decision, &now()).await
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
    async fn end_held(&mut self, store: &Store, queue: Option<&Approvals>) -> Result<(), IngestError> {
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
    fn from_record(p: &Value) -> Held {
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
            at: now(),
        }
    }
}

fn deny_with(reason: String, evidence: Option<serde_json::Map<String, Value>>) -> Decision {
    Decision { verdict: Verdict::Deny, reason, evidence: evidence.unwrap_or_default() }
}

/// The decision record's payload: the decider's evidence, then what the call was.
fn decision_payload(request: &DecisionRequest, decision: &Decision) -> Value {
    let mut payload = decision.evidence.clone();
    payload.insert("tool_use_id".into(), json!(request.tool_use_id));
    payload.insert("tool".into(), json!(request.tool));
    payload.insert("tool_kind".into(), json!(request.kind.as_str()));
    payload.insert("agent".into(), json!(request.agent));
    payload.insert("params".into(), request.redacted.clone());
    payload.insert("reason".into(), json!(decision.reason));
    Value::Object(payload)
}

/// The event that carries a decision back to the session.
fn answer_event(request: &DecisionRequest, decision: &Decision) -> Value {
    let reason = &decision.reason;
    match (request.kind, decision.verdict) {
        (ToolCallKind::Custom, Verdict::Allow) => {
            // Executing governed tools is the credential broker's job (a later issue); until it exists an
            // allowed custom call cannot run, and says so.
            json!({"type": "user.custom_tool_result", "custom_tool_use_id": request.tool_use_id, "is_error": true,
                   "content": [{"type": "text", "text": format!("allowed by Vargate, but no executor is configured for tool {}", request.tool)}]})
        }
        (ToolCallKind::Custom, Verdict::Deny) => {
            json!({"type": "user.custom_tool_result", "custom_tool_use_id": request.tool_use_id, "is_error": true,
                   "content": [{"type": "text", "text": format!("denied by Vargate: {reason}")}]})
        }
        // A hold is never answered; it is concluded first. Should one reach here, it is a deny.
        (ToolCallKind::Custom, Verdict::Hold) => {
            json!({"type": "user.custom_tool_result", "custom_tool_use_id": request.tool_use_id, "is_error": true,
                   "content": [{"type": "text", "text": format!("denied by Vargate: {reason}")}]})
        }
        (_, Verdict::Hold) => json!({"type": "user.tool_confirmation", "tool_use_id": request.tool_use_id,
                   "result": "deny", "deny_message": format!("denied by Vargate: {reason}")}),
        (_, Verdict::Allow) => {
            json!({"type": "user.tool_confirmation", "tool_use_id": request.tool_use_id, "result": "allow"})
        }
        (_, Verdict::Deny) => json!({"type": "user.tool_confirmation", "tool_use_id": request.tool_use_id,
                   "result": "deny", "deny_message": format!("denied by Vargate: {reason}")}),
    }
}

/// The current time, RFC 3339 in UTC.
pub(crate) fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
