//! The session worker: one task per session that plays the scenario's next turn for each `user.message`,
//! emitting spans, agent output and tool calls, pausing idle with `requires_action` on calls that need a
//! confirmation or a custom tool result, and going idle at once on `user.interrupt`.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::agent_shape::{Permission, permission};
use super::emit::{append, over_budget};
use super::scenario::{Content, RetryStatus, Scenario, Step, Usage};
use super::state::{Blocker, Decision, Input, Shared};

/// Why a turn stopped early.
#[derive(Debug, PartialEq, Eq)]
enum Stop {
    /// `user.interrupt`: go idle.
    Interrupted,
    /// The session was deleted (or the simulator is shutting down).
    Gone,
}

/// How a turn ended.
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    Idle,
    Terminated,
}

type Step0<T> = Result<T, Stop>;

pub fn spawn(sh: Arc<Shared>, session_id: String, scenario: Arc<Scenario>, inbox: mpsc::UnboundedReceiver<Input>) {
    let worker = Worker { sh, session_id, scenario, inbox, queued: 0, turns_run: 0 };
    tokio::spawn(worker.run());
}

struct Worker {
    sh: Arc<Shared>,
    session_id: String,
    scenario: Arc<Scenario>,
    inbox: mpsc::UnboundedReceiver<Input>,
    /// `user.message`s waiting for their turn.
    queued: usize,
    turns_run: usize,
}

impl Worker {
    async fn run(mut self) {
        while let Some(input) = self.inbox.recv().await {
            if input == Input::Message {
                self.queued += 1;
            }
            while self.queued > 0 {
                self.queued -= 1;
                let turn = &self.scenario.turns[self.turns_run % self.scenario.turns.len()];
                let steps = turn.steps.clone();
                self.turns_run += 1;
                match self.turn(&steps).await {
                    Ok(Ended::Idle) => {}
                    Ok(Ended::Terminated) | Err(Stop::Gone) => return,
                    Err(Stop::Interrupted) => {
                        self.clear_blockers();
                        if self.emit_now(json!({"type": "session.status_idle", "stop_reason": {"type": "end_turn"}, "stop_details": null}), None).is_none() {
                            return;
                        }
                    }
                }
            }
        }
    }

    async fn turn(&mut self, steps: &[Step]) -> Step0<Ended> {
        self.emit(json!({"type": "session.status_running"}), None).await?;
        for step in steps {
            match step {
                Step::Message { text, usage } => {
                    self.model_request(
                        *usage,
                        json!({"type": "agent.message", "content": [{"type": "text", "text": text}]}),
                        None,
                    )
                    .await?;
                }
                Step::Thinking { usage } => {
                    self.model_request(*usage, json!({"type": "agent.thinking"}), None).await?;
                }
                Step::ToolUse { name, input, result, is_error, auto, usage } => {
                    self.tool_call(None, name, input, result, *is_error, auto, *usage).await?;
                }
                Step::McpToolUse { server, name, input, result, is_error, auto, usage } => {
                    self.tool_call(Some(server), name, input, result, *is_error, auto, *usage).await?;
                }
                Step::CustomToolUse { name, input, usage } => {
                    let ev = json!({"type": "agent.custom_tool_use", "name": name, "input": input, "session_thread_id": null});
                    let id = self.model_request(*usage, ev, Some(Blocker::CustomResult { answered: false })).await?;
                    self.wait_for(&id).await?;
                }
                Step::Error { error, retry_status } => {
                    let mut err = error.clone();
                    if let Some(o) = err.as_object_mut() {
                        o.insert("retry_status".to_owned(), json!({"type": retry_status.as_str()}));
                    }
                    self.emit(json!({"type": "session.error", "error": err}), None).await?;
                    match retry_status {
                        RetryStatus::Retrying => {}
                        RetryStatus::Exhausted => {
                            self.idle("retries_exhausted").await?;
                            return Ok(Ended::Idle);
                        }
                        RetryStatus::Terminal => {
                            self.emit(json!({"type": "session.status_terminated"}), None).await?;
                            return Ok(Ended::Terminated);
                        }
                    }
                }
                Step::Raw { event } => {
                    self.emit(event.clone(), None).await?;
                }
                Step::BudgetReached => {
                    self.emit(json!({"type": "session.usage"}), None).await?;
                    self.idle("budget_reached").await?;
                    return Ok(Ended::Idle);
                }
            }
            if self.over_budget() {
                self.emit(json!({"type": "session.usage"}), None).await?;
                self.idle("budget_reached").await?;
                return Ok(Ended::Idle);
            }
        }
        self.emit(json!({"type": "session.usage"}), None).await?;
        self.idle("end_turn").await?;
        Ok(Ended::Idle)
    }

    #[allow(clippy::too_many_arguments)]
    async fn tool_call(
        &mut self,
        server: Option<&str>,
        name: &str,
        input: &Value,
        result: &Content,
        is_error: bool,
        auto: &str,
        usage: Usage,
    ) -> Step0<()> {
        let tools = self.agent_tools();
        let perm = permission(&tools, server, name, auto);
        let (evaluated, evaluation) = match &perm {
            Permission::Allow { policy } => ("allow", evaluation(policy, "allow")),
            Permission::Ask { policy } => ("ask", evaluation(policy, "ask")),
            Permission::Deny { policy: Some(policy) } => ("deny", evaluation(policy, "deny")),
            Permission::Deny { policy: None } => ("deny", Value::Null),
        };
        let mut ev = match server {
            None => json!({"type": "agent.tool_use", "name": name, "input": input}),
            Some(s) => json!({"type": "agent.mcp_tool_use", "mcp_server_name": s, "name": name, "input": input}),
        };
        ev["evaluated_permission"] = json!(evaluated);
        ev["evaluation"] = evaluation;
        ev["session_thread_id"] = Value::Null;
        let blocker = matches!(perm, Permission::Ask { .. }).then_some(Blocker::Confirmation { decision: None });
        let id = self.model_request(usage, ev, blocker).await?;
        let outcome = match perm {
            Permission::Allow { .. } => Decision::Allow,
            Permission::Deny { policy } => {
                let why = if policy.is_some() {
                    "denied by the auto permission policy"
                } else {
                    "not enabled for this agent"
                };
                Decision::Deny(Some(format!("Tool {name} is {why}.")))
            }
            Permission::Ask { .. } => self.wait_for(&id).await?.unwrap_or(Decision::Deny(None)),
        };
        let (content, is_error) = match outcome {
            Decision::Allow => (result.blocks(), is_error),
            Decision::Deny(msg) => {
                let text = match msg {
                    Some(m) => format!("The user denied this tool call: {m}"),
                    None => "The user denied this tool call.".to_owned(),
                };
                (json!([{"type": "text", "text": text}]), true)
            }
        };
        let ev = match server {
            None => json!({"type": "agent.tool_result", "tool_use_id": id, "content": content, "is_error": is_error}),
            Some(_) => {
                json!({"type": "agent.mcp_tool_result", "mcp_tool_use_id": id, "content": content, "is_error": is_error})
            }
        };
        self.emit(ev, None).await?;
        Ok(())
    }

    /// A model request span around `output`; returns the output event's id.
    async fn model_request(&mut self, usage: Usage, output: Value, blocker: Option<Blocker>) -> Step0<String> {
        let start = self.emit(json!({"type": "span.model_request_start"}), None).await?;
        let out = self.emit(output, blocker).await?;
        let model_usage = json!({
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_creation_input_tokens": usage.cache_creation_input_tokens,
            "cache_read_input_tokens": usage.cache_read_input_tokens,
            "speed": "standard",
        });
        self.emit(json!({"type": "span.model_request_end", "model_request_start_id": start, "model_usage": model_usage, "is_error": false}), None)
            .await?;
        Ok(out)
    }

    /// Goes idle with `requires_action` on `id` and waits until it is resolved; then running again. Returns the
    /// decision for a confirmation (None for a custom tool result).
    async fn wait_for(&mut self, id: &str) -> Step0<Option<Decision>> {
        self.idle_requires_action(id).await?;
        loop {
            if let Some(resolved) = self.take_resolved(id)? {
                self.emit(json!({"type": "session.status_running"}), None).await?;
                return Ok(resolved);
            }
            match self.inbox.recv().await {
                None => return Err(Stop::Gone),
                Some(Input::Interrupt) => return Err(Stop::Interrupted),
                Some(Input::Message) => self.queued += 1,
                Some(Input::Resolved) => {}
            }
        }
    }

    async fn idle_requires_action(&mut self, id: &str) -> Step0<()> {
        let ev = json!({"type": "session.status_idle", "stop_reason": {"type": "requires_action", "event_ids": [id]}, "stop_details": null});
        self.emit(ev, None).await.map(drop)
    }

    async fn idle(&mut self, reason: &str) -> Step0<()> {
        let ev = json!({"type": "session.status_idle", "stop_reason": {"type": reason}, "stop_details": null});
        self.emit(ev, None).await.map(drop)
    }

    /// If blocker `id` is resolved, removes it: `Some(decision)` (None for custom results).
    fn take_resolved(&self, id: &str) -> Step0<Option<Option<Decision>>> {
        let mut store = self.sh.store();
        let rec = store.session_mut(&self.session_id).ok_or(Stop::Gone)?;
        let Some(pos) = rec.blockers.iter().position(|(bid, _)| bid == id) else {
            return Ok(Some(None));
        };
        let resolved = match &rec.blockers[pos].1 {
            Blocker::Confirmation { decision: Some(d) } => Some(Some(d.clone())),
            Blocker::CustomResult { answered: true } => Some(None),
            _ => None,
        };
        if resolved.is_some() {
            rec.blockers.remove(pos);
        }
        Ok(resolved)
    }

    fn clear_blockers(&self) {
        if let Some(rec) = self.sh.store().session_mut(&self.session_id) {
            rec.blockers.clear();
        }
    }

    fn agent_tools(&self) -> Value {
        self.sh.store().session(&self.session_id).map(|s| s.object["agent"]["tools"].clone()).unwrap_or(Value::Null)
    }

    fn over_budget(&self) -> bool {
        self.sh.store().session(&self.session_id).is_some_and(over_budget)
    }

    /// Emits after the configured delay, unless an interrupt arrived first.
    async fn emit(&mut self, ev: Value, blocker: Option<Blocker>) -> Step0<String> {
        let delay = self.sh.faults().event_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        loop {
            match self.inbox.try_recv() {
                Ok(Input::Interrupt) => return Err(Stop::Interrupted),
                Ok(Input::Message) => self.queued += 1,
                Ok(Input::Resolved) => {}
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => return Err(Stop::Gone),
            }
        }
        self.emit_now(ev, blocker).ok_or(Stop::Gone)
    }

    fn emit_now(&self, ev: Value, blocker: Option<Blocker>) -> Option<String> {
        let mut store = self.sh.store();
        let rec = store.session_mut(&self.session_id)?;
        let stored = append(rec, ev, blocker);
        stored["id"].as_str().map(str::to_owned)
    }
}

/// The `evaluation` object for a policy and its verdict.
fn evaluation(policy: &str, verdict: &str) -> Value {
    match (policy, verdict) {
        ("auto", "ask") => {
            json!({"type": "auto", "evaluated_permission": {"type": "ask", "reason_code": "indeterminate"}})
        }
        ("auto", "deny") => {
            json!({"type": "auto", "evaluated_permission": {"type": "deny", "reason_code": "high_risk"}})
        }
        ("auto", _) => json!({"type": "auto", "evaluated_permission": {"type": "allow"}}),
        (p, _) => json!({"type": p}),
    }
}
