//! Scenarios: scripted agent behaviour, one turn per `user.message` (format documented in
//! `docs/simulator.md`). Bundled defaults are compiled in from `tests/fixtures/scenarios/`; more can be loaded
//! from a directory at start-up.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

/// The scenarios compiled into every simulator (file name without `.json` is not used; `name` is).
const BUNDLED: [&str; 11] = [
    include_str!("../../../../../tests/fixtures/scenarios/default.json"),
    include_str!("../../../../../tests/fixtures/scenarios/tool_use.json"),
    include_str!("../../../../../tests/fixtures/scenarios/custom_tool.json"),
    include_str!("../../../../../tests/fixtures/scenarios/mcp_tool.json"),
    include_str!("../../../../../tests/fixtures/scenarios/errors.json"),
    include_str!("../../../../../tests/fixtures/scenarios/budget.json"),
    include_str!("../../../../../tests/fixtures/scenarios/risky_bash.json"),
    include_str!("../../../../../tests/fixtures/scenarios/payments.json"),
    include_str!("../../../../../tests/fixtures/scenarios/support_email.json"),
    include_str!("../../../../../tests/fixtures/scenarios/exfiltration.json"),
    include_str!("../../../../../tests/fixtures/scenarios/outreach.json"),
];

/// A scripted agent: `turns[i % turns.len()]` answers the i-th `user.message` of a session.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub turns: Vec<Turn>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    pub steps: Vec<Step>,
}

/// One thing the agent does within a turn.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// A model request producing `agent.message` with one text block.
    Message {
        text: String,
        #[serde(default)]
        usage: Usage,
    },
    /// A model request producing `agent.thinking`.
    Thinking {
        #[serde(default)]
        usage: Usage,
    },
    /// A model request producing a built-in `agent.tool_use`, then the tool runs (or is denied) per the policy.
    ToolUse {
        name: String,
        #[serde(default = "empty_object")]
        input: Value,
        #[serde(default)]
        result: Content,
        #[serde(default)]
        is_error: bool,
        /// What an `auto` policy decides: `allow`, `ask` or `deny`.
        #[serde(default = "ask")]
        auto: String,
        #[serde(default)]
        usage: Usage,
    },
    /// Like `tool_use`, for a tool of an MCP server (`agent.mcp_tool_use` / `agent.mcp_tool_result`).
    McpToolUse {
        server: String,
        name: String,
        #[serde(default = "empty_object")]
        input: Value,
        #[serde(default)]
        result: Content,
        #[serde(default)]
        is_error: bool,
        #[serde(default = "ask")]
        auto: String,
        #[serde(default)]
        usage: Usage,
    },
    /// A model request producing `agent.custom_tool_use`; the turn waits for `user.custom_tool_result`.
    CustomToolUse {
        name: String,
        #[serde(default = "empty_object")]
        input: Value,
        #[serde(default)]
        usage: Usage,
    },
    /// `session.error`. `retrying` continues the turn, `exhausted` ends it idle (`retries_exhausted`),
    /// `terminal` terminates the session.
    Error { error: Value, retry_status: RetryStatus },
    /// `session.usage` then idle with `budget_reached`; the turn ends.
    BudgetReached,
    /// Emits `event` as it is (the simulator adds `id` and `processed_at`): an event type the client does not
    /// know, or a known type with the wrong shape, to test that clients keep what they cannot interpret.
    Raw { event: Value },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryStatus {
    Retrying,
    Exhausted,
    Terminal,
}

impl RetryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RetryStatus::Retrying => "retrying",
            RetryStatus::Exhausted => "exhausted",
            RetryStatus::Terminal => "terminal",
        }
    }
}

/// A tool result: a string (one text block) or a list of content blocks.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Blocks(Vec<Value>),
}

impl Default for Content {
    fn default() -> Self {
        Content::Text("ok".to_owned())
    }
}

impl Content {
    pub fn blocks(&self) -> Value {
        match self {
            Content::Text(t) => json!([{"type": "text", "text": t}]),
            Content::Blocks(b) => Value::Array(b.clone()),
        }
    }
}

/// Token counts of one model request (`span.model_request_end.model_usage`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    #[serde(default)]
    pub cache_creation_input_tokens: u64,
    #[serde(default)]
    pub cache_read_input_tokens: u64,
}

impl Default for Usage {
    fn default() -> Self {
        Self { input_tokens: 120, output_tokens: 40, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }
    }
}

fn empty_object() -> Value {
    json!({})
}

fn ask() -> String {
    "ask".to_owned()
}

/// Errors loading a scenario file.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("scenario {file}: {source}")]
    Parse { file: String, source: serde_json::Error },
    #[error("scenario {file}: no turns")]
    Empty { file: String },
    #[error("scenario directory {dir}: {source}")]
    Io { dir: String, source: std::io::Error },
}

pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let s: Scenario =
        serde_json::from_str(text).map_err(|source| ScenarioError::Parse { file: file.to_owned(), source })?;
    if s.turns.is_empty() {
        return Err(ScenarioError::Empty { file: file.to_owned() });
    }
    Ok(s)
}

/// The bundled scenarios plus every `*.json` in `dir` (which override bundled ones of the same name).
pub fn load(dir: Option<&Path>) -> Result<HashMap<String, Arc<Scenario>>, ScenarioError> {
    let mut out = HashMap::new();
    for (i, text) in BUNDLED.iter().enumerate() {
        let s = parse(&format!("bundled #{i}"), text)?;
        out.insert(s.name.clone(), Arc::new(s));
    }
    let Some(dir) = dir else { return Ok(out) };
    let io = |source| ScenarioError::Io { dir: dir.display().to_string(), source };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(io)?;
        let s = parse(&path.display().to_string(), &text)?;
        out.insert(s.name.clone(), Arc::new(s));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_scenarios_parse() {
        let all = load(None).expect("bundled scenarios");
        for name in ["default", "tool_use", "custom_tool", "mcp_tool", "errors", "budget"] {
            assert!(all.contains_key(name), "missing {name}");
        }
    }

    #[test]
    fn rejects_unknown_step() {
        let err = parse("x", r#"{"name":"x","turns":[{"steps":[{"type":"dance"}]}]}"#);
        assert!(err.is_err());
    }
}
