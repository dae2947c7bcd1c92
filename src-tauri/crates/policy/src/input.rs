//! The policy input document (`docs/policies.md`). Typed, so that every field a template reads is filled:
//! a template reading a field that is not here is a bug the test cases catch, never silently undefined.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything a policy sees about one tool call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    pub action: ActionInput,
    #[serde(default)]
    pub findings: FindingsInput,
    pub profile: Profile,
    /// Only in pass 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryInput>,
    /// 1 or 2.
    #[serde(default = "one")]
    pub pass: u8,
}

fn one() -> u8 {
    1
}

/// The tool call, normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ActionInput {
    /// Vargate's id for this action (`act_…`), recorded with the decision.
    pub id: String,
    pub tenant: String,
    pub agent: String,
    pub session: String,
    /// The tool's name, e.g. `bash`, `send_email`.
    pub tool: String,
    /// `builtin`, `mcp` or `custom`.
    pub kind: String,
    /// Where the call came from: `tool_confirmation` (an ask), `custom_tool`, `observed`.
    pub source: String,
    /// The parameters, redacted: each PII span replaced by `[REDACTED:<kind>]`.
    pub params: Value,
    /// RFC 3339 time of the call.
    pub at: String,
    /// Hour of `at` in UTC, 0–23.
    pub hour_utc: u8,
    /// ISO weekday of `at` in UTC: 1 = Monday … 7 = Sunday.
    pub weekday: u8,
}

impl Default for ActionInput {
    fn default() -> Self {
        ActionInput {
            id: "act_test".into(),
            tenant: "acme".into(),
            agent: "agent_test".into(),
            session: "sesn_test".into(),
            tool: String::new(),
            kind: "custom".into(),
            source: "custom_tool".into(),
            params: Value::Object(Default::default()),
            at: "2026-11-25T10:00:00Z".into(),
            hour_utc: 10,
            weekday: 3,
        }
    }
}

/// What the detectors found in the call's parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FindingsInput {
    pub pii: Vec<PiiFinding>,
    /// The distinct kinds of `pii`, sorted.
    pub pii_kinds: Vec<String>,
    pub dangerous: Vec<DangerFinding>,
    /// The distinct categories of `dangerous`, sorted.
    pub categories: Vec<String>,
    /// Highest score among `dangerous`, 0–100.
    pub max_score: u8,
    /// The session's decaying behavioural score, 0–100.
    pub behaviour_score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PiiFinding {
    pub kind: String,
    /// Where in the parameters, as a JSON pointer.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DangerFinding {
    pub category: String,
    pub rule: String,
    pub score: u8,
}

/// The session's and agent's recent history: pass 2 only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryInput {
    /// The agent's governed actions in the last 10 minutes and 24 hours.
    pub actions_10m: u64,
    pub actions_24h: u64,
    /// The agent's calls of this same tool in the last 24 hours.
    pub tool_actions_24h: u64,
    pub denials_24h: u64,
    pub violations_24h: u64,
    /// Actions a template marked `high_value` in the last 24 hours.
    pub high_value_24h: u64,
    /// Tokens the session used so far (from its usage events).
    pub tokens_used: u64,
}

/// A governance profile: which templates apply, with which parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub templates: Vec<String>,
    #[serde(default = "empty_object")]
    pub params: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

impl FindingsInput {
    /// Fills the derived fields (`pii_kinds`, `categories`, `max_score`) from the lists.
    pub fn complete(mut self) -> Self {
        let mut kinds: Vec<String> = self.pii.iter().map(|p| p.kind.clone()).collect();
        kinds.append(&mut self.pii_kinds);
        kinds.sort();
        kinds.dedup();
        self.pii_kinds = kinds;
        let mut categories: Vec<String> = self.dangerous.iter().map(|d| d.category.clone()).collect();
        categories.append(&mut self.categories);
        categories.sort();
        categories.dedup();
        self.categories = categories;
        self.max_score = self.dangerous.iter().map(|d| d.score).max().unwrap_or(0).max(self.max_score);
        self
    }
}
