//! What pass 2 of a policy sees: each agent's recent governed actions (per 10 minutes and 24 hours, per
//! tool, denials, violations, high-value actions) and each session's token use. Kept in memory, fed by the
//! governor's own decisions and the sessions' usage events, and rebuilt after a restart from what the log
//! recorded: decision records of the last 24 hours ([`Recorded`]) and a session's usage events (by ingest,
//! when it attaches).

use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use vargate_detect::Observation;
use vargate_policy::HistoryInput;

pub(crate) const DAY_MS: u64 = 24 * 3600 * 1000;
const TEN_MINUTES_MS: u64 = 10 * 60 * 1000;

/// One governed action, as the history keeps it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub at_ms: u64,
    pub tool: String,
    pub denied: bool,
    pub violation: bool,
    pub high_value: bool,
}

#[derive(Debug, Default)]
pub(crate) struct History {
    /// (tenant, agent) → its governed actions of the last 24 hours, oldest first.
    agents: HashMap<(String, String), VecDeque<Entry>>,
    /// (tenant, session) → tokens used.
    tokens: HashMap<(String, String), u64>,
    /// When `agents` holds this many, those with no action in the last 24 hours are dropped (each agent's
    /// own old entries go as it records a new one, but an agent that stops recording would stay for good:
    /// the demo creates one per session). Twice what remained after, so the sweeps cost O(1) per record.
    next_sweep: usize,
}

impl History {
    pub fn record(&mut self, tenant: &str, agent: &str, entry: Entry) {
        let at_ms = entry.at_ms;
        let entries = self.agents.entry((tenant.to_owned(), agent.to_owned())).or_default();
        entries.push_back(entry);
        let horizon = at_ms.saturating_sub(DAY_MS);
        while entries.front().is_some_and(|e| e.at_ms < horizon) {
            entries.pop_front();
        }
        if self.agents.len() >= self.next_sweep {
            self.agents.retain(|_, entries| entries.back().is_some_and(|e| e.at_ms >= horizon));
            self.next_sweep = (self.agents.len() * 2).max(64);
        }
    }

    /// Agents with a governed action in the history.
    #[cfg(test)]
    pub fn agents(&self) -> usize {
        self.agents.len()
    }

    /// Sets the session's token count to what its recorded usage events add up to, unless this history has
    /// counted more already (it then counted those events itself).
    pub fn restore_tokens(&mut self, tenant: &str, session: &str, tokens: u64) {
        let total = self.tokens.entry((tenant.to_owned(), session.to_owned())).or_default();
        *total = (*total).max(tokens);
    }

    /// Adds a model call's tokens to the session's count; returns the new total.
    pub fn add_tokens(&mut self, tenant: &str, session: &str, tokens: u64) -> u64 {
        let total = self.tokens.entry((tenant.to_owned(), session.to_owned())).or_default();
        *total = total.saturating_add(tokens);
        *total
    }

    pub fn violations_24h(&self, tenant: &str, agent: &str, at_ms: u64) -> u64 {
        self.window(tenant, agent, at_ms, DAY_MS).filter(|e| e.violation).count() as u64
    }

    fn window<'a>(&'a self, tenant: &str, agent: &str, at_ms: u64, span: u64) -> impl Iterator<Item = &'a Entry> {
        let from = at_ms.saturating_sub(span);
        self.agents
            .get(&(tenant.to_owned(), agent.to_owned()))
            .into_iter()
            .flatten()
            .filter(move |e| e.at_ms >= from && e.at_ms <= at_ms)
    }

    pub fn snapshot(&self, tenant: &str, agent: &str, session: &str, tool: &str, at_ms: u64) -> HistoryInput {
        let day: Vec<&Entry> = self.window(tenant, agent, at_ms, DAY_MS).collect();
        HistoryInput {
            actions_10m: self.window(tenant, agent, at_ms, TEN_MINUTES_MS).count() as u64,
            actions_24h: day.len() as u64,
            tool_actions_24h: day.iter().filter(|e| e.tool == tool).count() as u64,
            denials_24h: day.iter().filter(|e| e.denied).count() as u64,
            violations_24h: day.iter().filter(|e| e.violation).count() as u64,
            high_value_24h: day.iter().filter(|e| e.high_value).count() as u64,
            tokens_used: self.tokens.get(&(tenant.to_owned(), session.to_owned())).copied().unwrap_or(0),
        }
    }
}

/// Most decision records read back when a tenant's history is rebuilt: the newest of the last 24 hours. Far
/// beyond what any quota counts (the `rate_limited` template's default is 500 actions per agent a day), and
/// each is read as the few values of [`RECORD_PATHS`], not whole.
pub(crate) const MAX_RESTORED: u32 = 100_000;

/// What the history needs of a decision record, as JSON paths into it (read by the store, in this order).
pub(crate) const RECORD_PATHS: [&str; 13] = [
    "$.ts",
    "$.session_id",
    "$.decision",
    "$.payload.agent",
    "$.payload.tool",
    "$.payload.tool_kind",
    // Only a decision that evaluated policy has an evaluation; only those fed the history.
    "$.payload.evaluation.bundle_hash",
    "$.payload.evaluation.pass1_input.action.at",
    // A held call's conclusion: evaluated again at approval time.
    "$.payload.approval",
    "$.payload.policy.violations",
    "$.payload.policy.risk_indicators",
    "$.payload.findings.dangerous",
    "$.payload.params.url",
];

/// One recorded decision that evaluated policy, as the governor took it in when it made it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub session: String,
    pub agent: String,
    pub entry: Entry,
    /// What the session's behaviour saw of it: calls decided as they arrived feed it; a held call's
    /// conclusion (policy evaluated again) does not.
    pub observation: Option<Observation>,
}

impl Recorded {
    /// From the values at [`RECORD_PATHS`]; `None` for a decision that evaluated no policy (a fault, a
    /// human's denial, an expiry), which the history never counted.
    pub fn from_values(values: &[Value]) -> Option<Recorded> {
        let text = |i: usize| values.get(i).and_then(Value::as_str);
        let present = |i: usize| values.get(i).is_some_and(|v| !v.is_null());
        let strings = |i: usize| -> Vec<&str> {
            values
                .get(i)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default()
        };
        text(6)?;
        let ts = text(0)?;
        let concluded = present(8);
        // The time the governor evaluated at: the call's own time, or, for a conclusion, when it was made.
        let at = if concluded { ts } else { text(7).unwrap_or(ts) };
        let at_ms = crate::governor::parse_time(at).ok()?.0;
        let denied = text(2)? == "deny";
        let tool = text(4)?.to_owned();
        let observation = (!concluded).then(|| Observation {
            at_ms,
            findings: values.get(11).and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default(),
            destination: if text(5) == Some("builtin") && tool == "web_fetch" {
                text(12).and_then(crate::governor::host)
            } else {
                None
            },
            denied,
        });
        let entry = Entry {
            at_ms,
            tool,
            denied,
            violation: !strings(9).is_empty(),
            high_value: strings(10).contains(&"high_value"),
        };
        Some(Recorded { session: text(1)?.to_owned(), agent: text(3)?.to_owned(), entry, observation })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_what_they_should() {
        let mut h = History::default();
        let t0 = 10 * DAY_MS;
        let e = |at_ms, tool: &str, denied, violation, high_value| Entry {
            at_ms,
            tool: tool.into(),
            denied,
            violation,
            high_value,
        };
        h.record("t", "a", e(t0 - DAY_MS - 1, "send_email", true, true, false)); // expired
        h.record("t", "a", e(t0 - 3600 * 1000, "send_email", true, true, true));
        h.record("t", "a", e(t0 - 60_000, "make_payment", false, false, true));
        h.record("t", "b", e(t0, "send_email", false, false, false));
        h.add_tokens("t", "s", 1200);
        h.add_tokens("t", "s", 300);
        let s = h.snapshot("t", "a", "s", "send_email", t0);
        assert_eq!((s.actions_10m, s.actions_24h, s.tool_actions_24h), (1, 2, 1));
        assert_eq!((s.denials_24h, s.violations_24h, s.high_value_24h, s.tokens_used), (1, 1, 2, 1500));
        assert_eq!(h.violations_24h("t", "a", t0), 1);
        assert_eq!(h.violations_24h("t", "b", t0), 0);
    }

    /// An agent that stops acting is forgotten once its actions are a day old, even if it never acts again:
    /// the history of a day of one-off agents (a demo session each) stays as large as a day's worth.
    #[test]
    fn agents_idle_for_a_day_are_forgotten() {
        let mut h = History::default();
        let e = |at_ms| Entry { at_ms, tool: "read".into(), denied: false, violation: false, high_value: false };
        let per_hour = 120; // a demo session every 30 s, each with an agent of its own
        for n in 0..(3 * 24 * per_hour) {
            let at_ms = n * 3600 * 1000 / per_hour;
            h.record("t", &format!("agent_{n}"), e(at_ms));
            h.record("t", &format!("agent_{n}"), e(at_ms + 1000));
        }
        let day = (24 * per_hour) as usize;
        assert!(h.agents() <= 2 * day + 64, "{} agents remembered after three days, one day holds {day}", h.agents());
        // What counts is kept: the newest agent's actions, and an agent's actions within the day.
        let last = 3 * 24 * per_hour - 1;
        let now = last * 3600 * 1000 / per_hour + 1000;
        assert_eq!(h.snapshot("t", &format!("agent_{last}"), "s", "read", now).actions_24h, 2);
        let recent = last - per_hour;
        assert_eq!(h.snapshot("t", &format!("agent_{recent}"), "s", "read", now).actions_24h, 2);
    }

    /// A decision record counts as the governor counted it when deciding: at the call's time (a conclusion:
    /// when concluded), feeding the session's behaviour only when decided on arrival; one that evaluated no
    /// policy never counted.
    #[test]
    fn recorded_decisions_count_as_they_were_decided() {
        use serde_json::json;
        let values = |decision: &str, evaluated: bool, concluded: bool| {
            vec![
                json!("2026-11-25T10:05:00Z"),
                json!("sesn_1"),
                json!(decision),
                json!("agent_1"),
                json!("web_fetch"),
                json!("builtin"),
                if evaluated { json!("c0ffee") } else { Value::Null },
                json!("2026-11-25T10:00:00Z"),
                if concluded { json!({"status": "approved"}) } else { Value::Null },
                json!(["general.x"]),
                json!(["high_value"]),
                json!([{"category": "exfiltration", "rule": "r", "evidence": {"start": 0, "end": 1}, "score": 70}]),
                json!("https://Paste.Example.com/x"),
            ]
        };
        let direct = Recorded::from_values(&values("deny", true, false)).unwrap();
        assert_eq!((direct.session.as_str(), direct.agent.as_str()), ("sesn_1", "agent_1"));
        let e = &direct.entry;
        assert_eq!((e.at_ms, e.denied, e.violation, e.high_value), (1_795_600_800_000, true, true, true));
        let seen = direct.observation.unwrap();
        assert_eq!((seen.findings.len(), seen.destination.as_deref()), (1, Some("paste.example.com")));
        let concluded = Recorded::from_values(&values("allow", true, true)).unwrap();
        assert_eq!((concluded.entry.at_ms, concluded.entry.denied), (1_795_601_100_000, false));
        assert!(concluded.observation.is_none());
        assert!(Recorded::from_values(&values("deny", false, false)).is_none());
    }
}
