//! What pass 2 of a policy sees: each agent's recent governed actions (per 10 minutes and 24 hours, per
//! tool, denials, violations, high-value actions) and each session's token use. Kept in memory, fed by the
//! governor's own decisions and the sessions' usage events.

use std::collections::{HashMap, VecDeque};
use vargate_policy::HistoryInput;

const DAY_MS: u64 = 24 * 3600 * 1000;
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
}
