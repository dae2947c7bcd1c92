//! Live ingest: every event of a watched session becomes an audit record, exactly once and in order; every
//! tool call that waits on Vargate is put to the [`Decider`], and the answer is recorded *before* it is sent
//! to the session.

use crate::approvals::ApprovalError;
use crate::decision::{Decider, DecisionRequest, Interrupt, ToolCallKind};
use crate::redact::redact_only;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use tokio::sync::mpsc;
use vargate_agents::client::{Client, ClientError};
use vargate_agents::events::{EventKind, StopReason};
use vargate_agents::stream::{StreamItem, WatchEnd, WatchOptions, watch};
use vargate_store::ApprovalRow;
use vargate_store::{NewRecord, Store, StoreError, TimelineFilter};

/// Record type of Vargate's own decisions, and of frames that were not events.
pub const DECISION: &str = vargate_store::DECISION_KIND;
pub const DELIVERY_FAILED: &str = "vargate.delivery_failed";
pub const GARBLED: &str = "vargate.garbled_frame";
pub const INTERRUPT: &str = "vargate.interrupt";
/// Record type of an allowed custom call's result, from its executor (or the lack of one).
pub const EXECUTION: &str = "vargate.execution";

mod decide;
mod held;
mod prepare;
mod recover;
pub use decide::interrupt_events;
use decide::{Originals, decision_payload};
use held::Held;
use prepare::{MAX_BATCH, Prepared, Preparer};

/// Stream items in flight between the watcher and the preparer.
const CHANNEL: usize = 16_384;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    #[error("audit log: {0}")]
    Store(#[from] StoreError),
    #[error("managed-agents API: {0}")]
    Api(#[from] ClientError),
    /// A stage of ingest (the watcher or the preparer) stopped unexpectedly (it panicked).
    #[error("ingest stopped: {0}")]
    Stopped(String),
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
    ingest_session_until(client, store, tenant, session_id, decider, options, std::future::pending()).await
}

/// [`ingest_session`] that also stops when `stop` completes — cleanly: the batch being handled is finished
/// first (its decisions and interrupts recorded and sent), and calls held for approval stay pending for the
/// next run to wait on. Aborting the task instead could cut a batch between its append and its decisions.
pub async fn ingest_session_until<D: Decider>(
    client: &Client,
    store: &Store,
    tenant: &str,
    session_id: &str,
    decider: &D,
    options: &WatchOptions,
    stop: impl std::future::Future<Output = ()>,
) -> Result<IngestReport, IngestError> {
    let (mut state, recorded) = SessionState::load(store, tenant, session_id).await?;
    if state.tokens_recorded > 0 {
        decider.restore_usage(tenant, session_id, state.tokens_recorded);
    }
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
    state.recover_waiting(store).await?;
    let (tx, rx) = mpsc::channel::<StreamItem>(CHANNEL);
    let (over_tx, over_rx) = tokio::sync::oneshot::channel::<bool>();
    // Three stages, each a task: the watcher reads and decodes events, the preparer makes them records, the
    // consumer appends them durably and then acts on them. So reading, preparing and appending overlap (on
    // other cores when there are some). Each stage ends when the one after it does.
    let watcher = {
        let (client, session_id, options) = (client.clone(), session_id.to_owned(), options.clone());
        // The watcher skips what the log holds already (the only de-duplication: one set, one insert an event).
        tokio::spawn(async move {
            let end = watch(&client, &session_id, &options, recorded, tx).await;
            // Whether the session is over, not merely its watch: only then can held calls never be answered.
            let _ = over_tx.send(matches!(end, Ok(WatchEnd::Terminated | WatchEnd::Deleted | WatchEnd::Gone)));
            end
        })
    };
    let preparer =
        Preparer { store: store.clone(), tenant: tenant.to_owned(), session_id: session_id.to_owned(), prepared: 0 };
    let (preparer, mut rx) = preparer.spawn(rx);
    // Owns the receiver, so that the watcher ends when the consumer does.
    let consumer = async move {
        tokio::pin!(stop);
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
        state.end_noted_holds(store, queue.as_ref()).await?;
        spawn_waits(&mut waits, state.held.keys().cloned().collect());
        state.decide_asked(client, store, decider, &mut report).await?;
        spawn_waits(&mut waits, std::mem::take(&mut state.new_holds));
        let mut streaming = true;
        let mut over = Some(over_rx);
        while streaming || !waits.is_empty() {
            tokio::select! {
                prepared = rx.recv(), if streaming => match prepared {
                    Some(first) => {
                        // Whatever is ready is recorded in one durable append: under load this is what keeps
                        // ingest at group-commit speed instead of one commit per event.
                        let mut batch = first?;
                        while batch.batch.len() < MAX_BATCH {
                            match rx.try_recv() {
                                Ok(next) => batch.merge(next?)?,
                                Err(_) => break,
                            }
                        }
                        state.handle(client, store, decider, batch, &mut report).await?;
                        spawn_waits(&mut waits, std::mem::take(&mut state.new_holds));
                    }
                    None => {
                        streaming = false;
                        // The stream ended. The watcher says why once it has returned (it has: its sender is
                        // gone); a watcher that panicked says nothing, which counts as a failed watch.
                        let session_over = match over.take() {
                            Some(over) => over.await.unwrap_or(false),
                            None => false,
                        };
                        if !session_over {
                            // The watch failed; the session may well go on: held calls stay pending for the
                            // next run to wait on, as when ingest is stopped (the error is the watcher's).
                            break;
                        }
                        // The session is over: what still waits can never be answered.
                        waits.abort_all();
                        state.end_held(store, queue.as_ref()).await?;
                    }
                },
                () = &mut stop => break,
                Some(done) = waits.join_next(), if !waits.is_empty() => {
                    // A hold ended meanwhile (its run ended, the call was answered elsewhere) is concluded already.
                    if let Ok((id, result)) = done
                        && state.held.contains_key(&id)
                    {
                        state.conclude(client, store, decider, &id, result).await?;
                        report.decisions += 1;
                    }
                }
            }
        }
        Ok::<_, IngestError>(report)
    };
    let (watched, consumed, prepared) = tokio::join!(watcher, consumer, preparer);
    let mut report = consumed?;
    // A stage that panicked ends the run with an error, never as if ingest had been stopped.
    prepared.map_err(|e| IngestError::Stopped(format!("preparing the events of session {session_id}: {e}")))?;
    let watched =
        watched.map_err(|e| IngestError::Stopped(format!("watching the stream of session {session_id}: {e}")))?;
    report.end = match watched? {
        WatchEnd::Stopped => None,
        end => Some(end),
    };
    Ok(report)
}

/// What ingest knows about one session.
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
    /// Whether the session's current run has ended (idle other than for an answer, or terminated).
    run_ended: bool,
    /// Tool calls that wait on Vargate, by tool-use id, until answered, each with the session seq of its
    /// tool-use event's record (which seals its original parameters).
    waiting: HashMap<String, (DecisionRequest, Option<u64>)>,
    /// Tool-use ids Vargate has already decided on (in this run or an earlier one).
    answered: HashSet<String>,
    /// Tokens the session's recorded usage events add up to, when it was loaded.
    tokens_recorded: u64,
    /// What loading the log found that a run acts on when it starts (see `recover`).
    recovery: recover::Recovery,
    /// Calls to deny on a fault when decided, with the cause (their originals could not be had).
    faulted: HashMap<String, String>,
}

/// The id of the event a record observed on the stream: its own `id`, or the raw event's in a malformed
/// one (`{"event": <raw>, "note": …}`). Other records (decisions, garbled frames, notes of Vargate's own) are
/// not events of the session, whatever members they hold.
fn event_id(record: &vargate_proof::AuditRecord) -> Option<&str> {
    if record.source != "sse" || record.kind == GARBLED {
        return None;
    }
    let p = &record.payload;
    p.get("id").or_else(|| p.get("event").and_then(|e| e.get("id"))).and_then(Value::as_str)
}

impl SessionState {
    /// The session's state from what the log holds of it, and the ids of the events recorded (for the
    /// watcher, which does not deliver them again).
    async fn load(
        store: &Store,
        tenant: &str,
        session_id: &str,
    ) -> Result<(Self, foldhash::HashSet<String>), IngestError> {
        let mut state = SessionState {
            tenant: tenant.to_owned(),
            session_id: session_id.to_owned(),
            agent: "unknown".to_owned(),
            interrupted: false,
            run_ended: false,
            waiting: HashMap::new(),
            answered: HashSet::new(),
            held: HashMap::new(),
            new_holds: Vec::new(),
            tokens_recorded: 0,
            recovery: recover::Recovery::default(),
            faulted: HashMap::new(),
        };
        let mut recorded = foldhash::HashSet::default();
        let mut filter = TimelineFilter { limit: 10_000, ..TimelineFilter::default() };
        loop {
            let page = match store.timeline(tenant, session_id, &filter).await {
                Ok(p) => p,
                Err(StoreError::UnknownTenant(_)) => return Ok((state, recorded)),
                Err(e) => return Err(e.into()),
            };
            let Some(last) = page.last() else { return Ok((state, recorded)) };
            filter.after_seq = Some(last.record.seq);
            for entry in &page {
                state.note_call(&entry.record);
                let p = &entry.record.payload;
                if let Some(id) = event_id(&entry.record) {
                    recorded.insert(id.to_owned());
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
                    "span.model_request_end" => {
                        state.tokens_recorded =
                            state.tokens_recorded.saturating_add(model_tokens(p.get("model_usage")));
                    }
                    "session.status_running" => (state.interrupted, state.run_ended) = (false, false),
                    "session.status_idle" => state.run_ended = p["stop_reason"]["type"] != "requires_action",
                    "session.status_terminated" => state.run_ended = true,
                    _ => {}
                }
            }
        }
    }

    fn record(&self, kind: &str, ts: &str, source: &str, decision: &str, payload: Value) -> NewRecord {
        session_record(&self.session_id, kind, ts.to_owned(), source, decision, payload)
    }

    /// Records a prepared batch durably, then acts on its events in order: tool calls that wait are decided
    /// only once the events announcing them are in the log.
    async fn handle<D: Decider>(
        &mut self,
        client: &Client,
        store: &Store,
        decider: &D,
        prepared: Prepared,
        report: &mut IngestReport,
    ) -> Result<(), IngestError> {
        let Prepared { batch, events, garbled, malformed } = prepared;
        report.events += batch.len() as u64;
        (report.garbled, report.malformed) = (report.garbled + garbled, report.malformed + malformed);
        let appended = store.append_prepared(batch).await?;
        let mut over_budget = None;
        for tokens in events.iter().filter_map(|e| e.tokens) {
            if let Some(stop) = decider.usage(&self.tenant, &self.session_id, tokens) {
                over_budget = Some(stop);
            }
        }
        // Whether the session's run has ended by the time anything is sent: the batch is acted on after it
        // arrived whole, so its last status event says.
        if let Some(ended) = events.iter().rev().find_map(|e| run_ended(&e.kind)) {
            self.run_ended = ended;
        }
        for prepare::EventMeta { id, kind, ts, position, .. } in events {
            if matches!(kind, EventKind::Running) {
                self.interrupted = false;
            }
            let seq = appended.get(position).map(|a| a.seq);
            if let Some(observed) = self.follow(id.as_deref(), &kind, &ts, seq) {
                self.watch_behaviour(client, store, decider, &observed).await?;
            }
            // A held call nobody awaits any more ends without an answer: answered outside Vargate (its own
            // answers are sent only once a hold is concluded), or its run ended.
            let answered_elsewhere = match &kind {
                EventKind::ToolConfirmation(c) => Some(c.tool_use_id.as_str()),
                EventKind::CustomToolResult(r) => Some(r.custom_tool_use_id.as_str()),
                _ => None,
            };
            if let Some(call) = answered_elsewhere {
                let answered = |_: &str, h: &Held| h.tool_use_id == call;
                self.end_holds(store, decider.approvals(), answered, held::ANSWERED_ELSEWHERE).await?;
            }
            if run_ended(&kind) == Some(true) {
                self.end_holds(store, decider.approvals(), |_, _| true, held::RUN_ENDED).await?;
            }
            if let EventKind::Idle { stop_reason: StopReason::RequiresAction { event_ids } } = &kind {
                for id in event_ids {
                    if let Some((request, event_seq)) = self.waiting.remove(id) {
                        self.decide(client, store, decider, &request, event_seq, &ts).await?;
                        report.decisions += 1;
                    }
                }
            }
        }
        // A spent token budget stops the session (once per run, like any interrupt), after its events are on
        // record and its waiting calls answered.
        if let Some(Interrupt { reason, evidence }) = over_budget
            && !self.interrupted
        {
            let mut payload = evidence;
            payload.insert("reason".into(), json!(reason));
            self.interrupt(client, store, payload, &reason).await?;
        }
        Ok(())
    }

    /// Notes tool calls that will wait on Vargate (with `seq`, their event's place in the session), and answers
    /// seen on the wire. Returns a tool use that ran without asking, for the decider to watch.
    fn follow(&mut self, id: Option<&str>, kind: &EventKind, ts: &str, seq: Option<u64>) -> Option<DecisionRequest> {
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
        let (redacted, redaction) = redact_only(&Value::Object(input.clone()));
        let request = DecisionRequest {
            tenant: self.tenant.clone(),
            session_id: self.session_id.clone(),
            agent: self.agent.clone(),
            tool_use_id: id.to_owned(),
            kind,
            tool,
            input,
            redacted,
            pii: redaction.pii,
            at: ts.to_owned(),
        };
        if !waits {
            return Some(request);
        }
        if !self.answered.contains(id) {
            self.waiting.insert(id.to_owned(), (request, seq));
        }
        None
    }
}

/// The tokens a model call used, from its `span.model_request_end` event's `model_usage`.
fn model_tokens(usage: Option<&Value>) -> u64 {
    let tokens = |k: &str| usage.and_then(|u| u.get(k)).and_then(Value::as_u64).unwrap_or(0);
    tokens("input_tokens").saturating_add(tokens("output_tokens"))
}

/// Whether a status event says the run ended (`Some(true)`), is going on (`Some(false)`), or neither.
fn run_ended(kind: &EventKind) -> Option<bool> {
    match kind {
        EventKind::Running => Some(false),
        EventKind::Idle { stop_reason: StopReason::RequiresAction { .. } } => Some(false),
        EventKind::Idle { .. } | EventKind::Terminated => Some(true),
        _ => None,
    }
}

/// A record of `session_id`'s timeline.
fn session_record(session_id: &str, kind: &str, ts: String, source: &str, decision: &str, payload: Value) -> NewRecord {
    NewRecord {
        session_id: session_id.to_owned(),
        ts,
        kind: kind.to_owned(),
        source: source.to_owned(),
        decision: decision.to_owned(),
        payload,
    }
}

/// The current time, RFC 3339 in UTC.
pub fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
