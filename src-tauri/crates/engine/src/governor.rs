//! The governance pipeline behind [`Decider`]: normalise the call to an action → PII findings (parameters
//! already redacted by ingest) → dangerous-behaviour detectors → the session's behavioural score → policy
//! pass 1 → (history) → pass 2 → decision. Every fault — a detector or policy panic, an evaluation error or
//! time-out, a storage error — is a deny that names its cause. Observed tool uses feed the same detectors
//! and score; over the profile's threshold the session is interrupted.

use crate::decision::{Decider, Decision, DecisionRequest, Interrupt, ToolCallKind, Verdict};
use crate::history::History;
use crate::policy_set::PolicySet;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use vargate_detect::{BehaviourConfig, Finding, Observation, SessionBehaviour};
use vargate_policy::{ActionInput, DangerFinding, FindingsInput, PiiFinding, PolicyInput};
use vargate_store::{NewRecord, Store};

/// Record type of a policy bundle as it was loaded: its hash and files, so that `vargate replay` can
/// re-evaluate any decision on exactly the bundle that made it.
pub const POLICY_BUNDLE: &str = "vargate.policy_bundle";
/// The stream (session id) policy bundle records go to in each tenant's log.
pub const POLICY_STREAM: &str = "vargate:policy";

/// Default behavioural score at which an observed session is interrupted; a profile sets its own with
/// `params.general.interrupt_score`.
pub const INTERRUPT_SCORE: f64 = 80.0;
/// The budget template's default token cap per session (policies/templates/budget.rego).
pub const BUDGET_TOKENS: u64 = 1_000_000;

/// Decides with the active policy bundle and profile.
#[derive(Debug)]
pub struct Governor {
    policies: Arc<PolicySet>,
    store: Store,
    approvals: Option<Arc<crate::approvals::Approvals>>,
    executors: Vec<Arc<dyn crate::executor::Executor>>,
    state: Mutex<State>,
    behaviour: BehaviourConfig,
    /// Tenants whose history this governor has rebuilt from their log ([`Governor::restore_history`]); held
    /// while one is rebuilt, so that it is rebuilt once.
    restored: tokio::sync::Mutex<HashSet<String>>,
}

#[derive(Debug, Default)]
struct State {
    history: History,
    /// (tenant, session) → behaviour.
    sessions: HashMap<(String, String), SessionBehaviour>,
    /// (tenant, bundle hash) already recorded in the tenant's log by this process.
    recorded_bundles: HashSet<(String, String)>,
}

/// What the detectors found in one call.
#[derive(Debug, Clone, Default)]
struct Analysis {
    pii: Vec<PiiFinding>,
    dangerous: Vec<Finding>,
    destination: Option<String>,
}

impl Governor {
    pub fn new(policies: Arc<PolicySet>, store: Store) -> Governor {
        Governor {
            policies,
            store,
            approvals: None,
            executors: Vec::new(),
            state: Mutex::new(State::default()),
            behaviour: BehaviourConfig::default(),
            restored: tokio::sync::Mutex::default(),
        }
    }

    /// Holds calls that need a human in `approvals` (without a queue they are denied).
    pub fn with_approvals(mut self, approvals: Arc<crate::approvals::Approvals>) -> Governor {
        self.approvals = Some(approvals);
        self
    }

    /// Adds a connector that runs the custom tools it handles once policy allows a call.
    pub fn with_executor(mut self, executor: Arc<dyn crate::executor::Executor>) -> Governor {
        self.executors.push(executor);
        self
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes sure the tenant's log holds the bundle a decision is about to cite.
    async fn record_bundle(&self, tenant: &str, bundle: &vargate_policy::Bundle, at: &str) -> Result<(), String> {
        let key = (tenant.to_owned(), bundle.hash().to_owned());
        if self.state().recorded_bundles.contains(&key) {
            return Ok(());
        }
        let record = NewRecord {
            session_id: POLICY_STREAM.into(),
            ts: at.to_owned(),
            kind: POLICY_BUNDLE.into(),
            source: "pipeline".into(),
            decision: "observed".into(),
            payload: json!({"hash": bundle.hash(), "files": bundle.files()}),
        };
        self.store.append(tenant, record).await.map_err(|e| format!("recording the policy bundle: {e}"))?;
        self.state().recorded_bundles.insert(key);
        Ok(())
    }

    /// Rebuilds what the policies see of the tenant's past — each agent's governed actions, denials,
    /// violations (the cooldown) and high-value actions, each session's behaviour — from the decision records
    /// of the 24 hours before `at_ms` in its log: once, before this governor's first evaluation for the
    /// tenant, so that a restart neither resets a quota nor forgets a cooldown. A bounded read through the
    /// store's decisions index (at most [`crate::history::MAX_RESTORED`] records, a few values each). Until
    /// it succeeds nothing is decided for the tenant: the caller denies with the cause.
    async fn restore_history(&self, tenant: &str, at_ms: u64) -> Result<(), String> {
        use crate::history::{DAY_MS, MAX_RESTORED, RECORD_PATHS, Recorded};
        let mut restored = self.restored.lock().await;
        if restored.contains(tenant) {
            return Ok(());
        }
        let since = i64::try_from(at_ms.saturating_sub(DAY_MS) / 1000).unwrap_or(i64::MAX);
        let rows = self
            .store
            .recent_decisions(tenant, since, &RECORD_PATHS, MAX_RESTORED)
            .await
            .map_err(|e| format!("rebuilding the policy history from the log: {e}"))?;
        let mut recorded: Vec<Recorded> = rows.iter().filter_map(|values| Recorded::from_values(values)).collect();
        recorded.sort_by_key(|r| r.entry.at_ms);
        let mut state = self.state();
        for Recorded { session, agent, entry, observation } in recorded {
            if let Some(observation) = observation {
                state
                    .sessions
                    .entry((tenant.to_owned(), session))
                    .or_insert_with(|| SessionBehaviour::new(self.behaviour.clone()))
                    .observe(observation);
            }
            state.history.record(tenant, &agent, entry);
        }
        drop(state);
        restored.insert(tenant.to_owned());
        Ok(())
    }

    /// Runs the detectors over the original parameters (in memory only).
    fn analyse(request: &DecisionRequest) -> Analysis {
        // The parameters were scanned once, when they were redacted; their findings came with the request.
        let pii = request
            .pii
            .iter()
            .filter_map(|p| {
                Some(PiiFinding {
                    kind: p.get("kind")?.as_str()?.to_owned(),
                    path: p.get("path")?.as_str()?.to_owned(),
                })
            })
            .collect();
        let text = |key: &str| request.input.get(key).and_then(Value::as_str);
        let mut analysis = Analysis { pii, ..Analysis::default() };
        if request.kind == ToolCallKind::BuiltIn {
            match request.tool.as_str() {
                "bash" => {
                    if let Some(command) = text("command") {
                        analysis.dangerous = vargate_detect::analyse_command(command).findings;
                    }
                }
                "read" | "glob" | "grep" => {
                    if let Some(path) = text("file_path").or(text("path")) {
                        analysis.dangerous = vargate_detect::analyse_path(path, false);
                    }
                }
                "write" | "edit" => {
                    if let Some(path) = text("file_path").or(text("path")) {
                        analysis.dangerous = vargate_detect::analyse_path(path, true);
                    }
                }
                "web_fetch" => {
                    if let Some(url) = text("url") {
                        analysis.dangerous = vargate_detect::analyse_url(url);
                        analysis.destination = host(url);
                    }
                }
                _ => {}
            }
        }
        analysis
    }

    /// The detectors, made panic-proof: a panic is a fault, which denies.
    fn analyse_safely(request: &DecisionRequest) -> Result<Analysis, String> {
        catch_unwind(AssertUnwindSafe(|| Self::analyse(request))).map_err(|_| "a detector failed (panicked)".to_owned())
    }

    /// The session's behavioural score at `at_ms`, from what it did before this call.
    fn behaviour_score(&self, request: &DecisionRequest, at_ms: u64) -> f64 {
        let state = self.state();
        state.sessions.get(&(request.tenant.clone(), request.session_id.clone())).map_or(0.0, |b| b.score(at_ms))
    }

    /// Feeds the session's behaviour; returns its score now and any new anomalies.
    fn observe_behaviour(
        &self,
        request: &DecisionRequest,
        analysis: &Analysis,
        at_ms: u64,
        denied: bool,
    ) -> (f64, Vec<Value>) {
        let mut state = self.state();
        let behaviour = state
            .sessions
            .entry((request.tenant.clone(), request.session_id.clone()))
            .or_insert_with(|| SessionBehaviour::new(self.behaviour.clone()));
        let anomalies = behaviour.observe(Observation {
            at_ms,
            findings: analysis.dangerous.clone(),
            destination: analysis.destination.clone(),
            denied,
        });
        let score = behaviour.score(at_ms);
        (score, anomalies.iter().filter_map(|a| serde_json::to_value(a).ok()).collect())
    }

    fn findings_input(analysis: &Analysis, score: f64) -> FindingsInput {
        FindingsInput {
            pii: analysis.pii.clone(),
            dangerous: analysis
                .dangerous
                .iter()
                .map(|f| DangerFinding {
                    category: f.category.as_str().to_owned(),
                    rule: f.rule.to_string(),
                    score: f.score,
                })
                .collect(),
            behaviour_score: (score * 10.0).round() / 10.0,
            ..FindingsInput::default()
        }
        .complete()
    }

    async fn decide_or_fail(&self, request: &DecisionRequest) -> Result<Decision, String> {
        let active = self.policies.active();
        self.record_bundle(&request.tenant, &active.bundle, &request.at).await?;
        let (at_ms, hour_utc, weekday) = parse_time(&request.at)?;
        self.restore_history(&request.tenant, at_ms).await?;
        let analysis = Self::analyse_safely(request)?;
        // The policy sees the score of what the session did before; this call's own findings are in the
        // input, and join the score (with whether it was denied) once decided.
        let score = self.behaviour_score(request, at_ms);
        let action_id = new_action_id(at_ms);
        let input = PolicyInput {
            action: ActionInput {
                id: action_id.clone(),
                tenant: request.tenant.clone(),
                agent: request.agent.clone(),
                session: request.session_id.clone(),
                tool: request.tool.clone(),
                kind: request.kind.as_str().to_owned(),
                source: if request.kind == ToolCallKind::Custom { "custom_tool" } else { "tool_confirmation" }.into(),
                params: request.redacted.clone(),
                at: request.at.clone(),
                hour_utc,
                weekday,
            },
            findings: Self::findings_input(&analysis, score),
            profile: active.profile.clone(),
            history: None,
            pass: 1,
        };
        let mut decision =
            self.evaluate(&active, input, &request.tenant, &request.agent, &request.session_id, at_ms)?;
        let (_, anomalies) = self.observe_behaviour(request, &analysis, at_ms, decision.verdict == Verdict::Deny);
        let findings = json!({"pii": analysis.pii, "dangerous": analysis.dangerous, "behaviour_score": score, "anomalies": anomalies});
        decision.evidence.insert("findings".into(), findings);
        Ok(decision)
    }

    /// Pass 1 (and 2) on `active` (whose bundle the caller recorded), the decision, and the history it leaves.
    fn evaluate(
        &self,
        active: &crate::policy_set::Active,
        input: PolicyInput,
        tenant: &str,
        agent: &str,
        session: &str,
        at_ms: u64,
    ) -> Result<Decision, String> {
        let action_id = input.action.id.clone();
        let tool = input.action.tool.clone();
        let has_violations = self.state().history.violations_24h(tenant, agent, at_ms) > 0;
        let snapshot = self.state().history.snapshot(tenant, agent, session, &tool, at_ms);
        let evaluation = catch_unwind(AssertUnwindSafe(|| {
            vargate_policy::decide(&active.bundle, input, has_violations, || Ok(snapshot))
        }))
        .map_err(|_| "the policy engine failed (panicked)".to_owned())?
        .map_err(|e| e.to_string())?;
        let policy = &evaluation.decision;
        let (verdict, reason) = match policy.decision {
            vargate_policy::Verdict::Allow => (Verdict::Allow, "allowed by policy".to_owned()),
            vargate_policy::Verdict::Deny => (Verdict::Deny, policy.reasons.join("; ")),
            vargate_policy::Verdict::RequireApproval if self.approvals.is_some() => {
                (Verdict::Hold, format!("held for a human's approval: {}", policy.reasons.join("; ")))
            }
            vargate_policy::Verdict::RequireApproval => (
                Verdict::Deny,
                format!("needs a human's approval ({}), and no approver is configured", policy.reasons.join("; ")),
            ),
        };
        let entry = crate::history::Entry {
            at_ms,
            tool,
            denied: verdict == Verdict::Deny,
            violation: !policy.violations.is_empty(),
            high_value: policy.risk_indicators.iter().any(|r| r == "high_value"),
        };
        self.state().history.record(tenant, agent, entry);
        let mut evidence = Map::new();
        evidence.insert("action_id".into(), json!(action_id));
        evidence.insert("policy".into(), serde_json::to_value(policy).map_err(|e| e.to_string())?);
        evidence.insert(
            "evaluation".into(),
            json!({"bundle_hash": evaluation.bundle_hash, "pass1_input": evaluation.pass1_input, "pass2_input": evaluation.pass2_input}),
        );
        Ok(Decision { verdict, reason, evidence })
    }
}

impl Decider for Governor {
    fn approvals(&self) -> Option<&crate::approvals::Approvals> {
        self.approvals.as_deref()
    }

    /// The held call's recorded policy input, evaluated again on the active bundle with today's history.
    async fn recheck(&self, held: &vargate_store::ApprovalRow) -> Decision {
        let now = crate::ingest::now();
        let active = self.policies.active();
        let result = async {
            self.record_bundle(&held.tenant, &active.bundle, &now).await?;
            let input: PolicyInput = serde_json::from_value(held.details["pass1_input"].clone())
                .map_err(|e| format!("the held call's policy input is unreadable: {e}"))?;
            let (at_ms, _, _) = parse_time(&now)?;
            self.restore_history(&held.tenant, at_ms).await?;
            self.evaluate(&active, input, &held.tenant, &held.agent, &held.session_id, at_ms)
        };
        match result.await {
            Ok(decision) => decision,
            Err(cause) => {
                let mut decision = Decision::deny(format!("denied on a fault: {cause}"));
                decision.evidence.insert("fault".into(), json!(cause));
                decision
            }
        }
    }

    fn restore_usage(&self, tenant: &str, session: &str, tokens: u64) {
        self.state().history.restore_tokens(tenant, session, tokens);
    }

    /// The budget template's cap (`params.budget.token_cap`, as the policy reads it) applies to observed
    /// sessions too: a session that spends it is stopped, not only denied its next asking call.
    fn usage(&self, tenant: &str, session: &str, tokens: u64) -> Option<Interrupt> {
        let used = self.state().history.add_tokens(tenant, session, tokens);
        let active = self.policies.active();
        if !active.profile.templates.iter().any(|t| t == "budget") {
            return None;
        }
        let cap = active.profile.params.pointer("/budget/token_cap").and_then(Value::as_u64).unwrap_or(BUDGET_TOKENS);
        if used < cap {
            return None;
        }
        let mut evidence = Map::new();
        evidence.insert("tokens_used".into(), json!(used));
        evidence.insert("token_cap".into(), json!(cap));
        evidence.insert("rule".into(), json!("budget.exhausted"));
        Some(Interrupt { reason: format!("token budget spent: {used} of {cap} tokens"), evidence })
    }

    async fn decide(&self, request: &DecisionRequest) -> Decision {
        match self.decide_or_fail(request).await {
            Ok(decision) => decision,
            Err(cause) => {
                tracing::error!(tenant = request.tenant, session = request.session_id, "denied on a fault: {cause}");
                let mut decision = Decision::deny(format!("denied on a fault: {cause}"));
                decision.evidence.insert("fault".into(), json!(cause));
                decision
            }
        }
    }

    async fn execute(&self, request: &DecisionRequest) -> crate::executor::Execution {
        match self.executors.iter().find(|e| e.handles(&request.tool)) {
            Some(executor) => executor.execute(&request.tool, &request.input).await,
            None => crate::executor::Execution::not_configured(&request.tool),
        }
    }

    async fn observe(&self, request: &DecisionRequest) -> Option<Interrupt> {
        let (at_ms, _, _) = parse_time(&request.at).ok()?;
        if let Err(cause) = self.restore_history(&request.tenant, at_ms).await {
            // Watching goes on with what this process has seen; the next decision retries, and denies.
            tracing::error!(tenant = request.tenant, "observing a tool use: {cause}");
        }
        let analysis = match Self::analyse_safely(request) {
            Ok(a) => a,
            Err(cause) => {
                tracing::error!("observing a tool use: {cause}");
                return None;
            }
        };
        let (score, anomalies) = self.observe_behaviour(request, &analysis, at_ms, false);
        let threshold = self
            .policies
            .active()
            .profile
            .params
            .pointer("/general/interrupt_score")
            .and_then(Value::as_f64)
            .unwrap_or(INTERRUPT_SCORE);
        if score < threshold {
            return None;
        }
        let mut evidence = Map::new();
        evidence.insert("findings".into(), json!({"dangerous": analysis.dangerous, "anomalies": anomalies}));
        evidence.insert("behaviour_score".into(), json!(score));
        evidence.insert("threshold".into(), json!(threshold));
        evidence.insert("tool".into(), json!(request.tool));
        evidence.insert("params".into(), request.redacted.clone());
        let rules: Vec<String> = analysis.dangerous.iter().map(|f| f.rule.to_string()).collect();
        let what =
            if rules.is_empty() { "after earlier findings in this session".to_owned() } else { rules.join(", ") };
        Some(Interrupt {
            reason: format!("behavioural score {score:.0} reached the threshold {threshold:.0} ({what})"),
            evidence,
        })
    }
}

/// Milliseconds since the epoch, hour (UTC) and ISO weekday of an RFC 3339 time.
pub(crate) fn parse_time(at: &str) -> Result<(u64, u8, u8), String> {
    let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("the event time {at:?} is not RFC 3339: {e}"))?
        .to_offset(time::UtcOffset::UTC);
    let ms = u64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    Ok((ms, t.hour(), t.weekday().number_from_monday()))
}

pub(crate) fn host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    Some(host.to_ascii_lowercase()).filter(|h| !h.is_empty())
}

/// `act_` + the time and 64 random bits: unique, and sortable by time.
fn new_action_id(at_ms: u64) -> String {
    format!("act_{at_ms:012x}{:016x}", rand::random::<u64>())
}
