//! Session events, as the stream and the history deliver them.

use serde::Deserialize;
use serde_json::{Map, Value};

/// One event: its exact JSON object, plus what Vargate acts on.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionEvent {
    /// The event as received, unknown fields included. This is what the audit log records.
    pub raw: Map<String, Value>,
    pub kind: EventKind,
}

/// Why bytes are not an event at all (as opposed to an event of a type or shape we do not know).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    #[error("event is not a JSON object: {0}")]
    NotAnObject(String),
    #[error("event has no string \"type\"")]
    NoType,
}

/// The tool-call events Vargate governs, the state changes it follows, and everything else.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventKind {
    /// `agent.tool_use`: a built-in tool call; `evaluated_permission: "ask"` waits for a confirmation.
    ToolUse(ToolUse),
    /// `agent.mcp_tool_use`: an MCP tool call, confirmed like a built-in one.
    McpToolUse(McpToolUse),
    /// `agent.custom_tool_use`: a call of a custom tool, answered with `user.custom_tool_result`.
    CustomToolUse(CustomToolUse),
    /// `session.status_idle`.
    Idle { stop_reason: StopReason },
    /// `session.status_running`.
    Running,
    /// `session.status_terminated`: final.
    Terminated,
    /// `session.deleted`: the stream ends after it.
    Deleted,
    /// `session.error`.
    Error(SessionError),
    /// `user.tool_confirmation`, as echoed back.
    ToolConfirmation(ToolConfirmation),
    /// `user.custom_tool_result`, as echoed back.
    CustomToolResult(CustomToolResult),
    /// `event_start` / `event_delta`: live previews, never persisted and without an id.
    Preview,
    /// Any other type, known (messages, spans, usage, …) or not; only recorded.
    Other,
    /// A type we act on whose fields do not have the documented shape; recorded with the reason.
    Malformed { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    Allow,
    Ask,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ToolUse {
    pub name: String,
    pub input: Map<String, Value>,
    #[serde(default)]
    pub evaluated_permission: Option<Permission>,
    #[serde(default)]
    pub session_thread_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct McpToolUse {
    pub mcp_server_name: String,
    pub name: String,
    pub input: Map<String, Value>,
    #[serde(default)]
    pub evaluated_permission: Option<Permission>,
    #[serde(default)]
    pub session_thread_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CustomToolUse {
    pub name: String,
    pub input: Map<String, Value>,
    #[serde(default)]
    pub session_thread_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ToolConfirmation {
    pub tool_use_id: String,
    pub result: ConfirmationResult,
    #[serde(default)]
    pub deny_message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfirmationResult {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomToolResult {
    pub custom_tool_use_id: String,
    #[serde(default)]
    pub is_error: Option<bool>,
}

/// Why a session went idle. `requires_action` lists the tool-use events it waits on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    EndTurn,
    RequiresAction {
        event_ids: Vec<String>,
    },
    RetriesExhausted,
    BudgetReached,
    Refusal,
    /// A stop reason newer than this build.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SessionError {
    /// e.g. `model_overloaded_error`; an open set.
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    /// `retrying`, `exhausted` or `terminal` (an open set: branch on it, not on `kind`).
    pub retry_status: String,
}

#[derive(Deserialize)]
struct Tagged {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct IdleFields {
    stop_reason: RawStopReason,
}

#[derive(Deserialize)]
struct RawStopReason {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    event_ids: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct ErrorFields {
    error: RawSessionError,
}

#[derive(Deserialize)]
struct RawSessionError {
    #[serde(rename = "type")]
    kind: String,
    message: String,
    retry_status: Tagged,
}

impl SessionEvent {
    /// Parses one event's JSON. Fails only for bytes that are not an event object with a string `type`.
    pub fn parse(json: &[u8]) -> Result<Self, EventError> {
        match serde_json::from_slice::<Value>(json) {
            Ok(Value::Object(raw)) => Self::from_object(raw),
            Ok(other) => Err(EventError::NotAnObject(format!("found {}", json_kind(&other)))),
            Err(e) => Err(EventError::NotAnObject(e.to_string())),
        }
    }

    pub fn from_object(raw: Map<String, Value>) -> Result<Self, EventError> {
        let kind_str = raw.get("type").and_then(Value::as_str).ok_or(EventError::NoType)?.to_owned();
        let kind = classify(&kind_str, &raw);
        Ok(SessionEvent { raw, kind })
    }

    /// The event's `type`.
    pub fn event_type(&self) -> &str {
        self.raw.get("type").and_then(Value::as_str).unwrap_or_default()
    }

    /// The event's id (`sevt_…`); stream-only previews have none.
    pub fn id(&self) -> Option<&str> {
        self.raw.get("id").and_then(Value::as_str)
    }

    /// When the server processed it (RFC 3339), if it says.
    pub fn processed_at(&self) -> Option<&str> {
        self.raw.get("processed_at").and_then(Value::as_str)
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn fields<T: serde::de::DeserializeOwned>(raw: &Map<String, Value>) -> Result<T, String> {
    T::deserialize(Value::Object(raw.clone())).map_err(|e| e.to_string())
}

fn classify(kind: &str, raw: &Map<String, Value>) -> EventKind {
    let typed = match kind {
        "agent.tool_use" => fields(raw).map(EventKind::ToolUse),
        "agent.mcp_tool_use" => fields(raw).map(EventKind::McpToolUse),
        "agent.custom_tool_use" => fields(raw).map(EventKind::CustomToolUse),
        "user.tool_confirmation" => fields(raw).map(EventKind::ToolConfirmation),
        "user.custom_tool_result" => fields(raw).map(EventKind::CustomToolResult),
        "session.status_idle" => fields::<IdleFields>(raw).and_then(|f| stop_reason(f.stop_reason)),
        "session.error" => fields::<ErrorFields>(raw).map(|f| {
            EventKind::Error(SessionError {
                kind: f.error.kind,
                message: f.error.message,
                retry_status: f.error.retry_status.kind,
            })
        }),
        "session.status_running" => Ok(EventKind::Running),
        "session.status_terminated" => Ok(EventKind::Terminated),
        "session.deleted" => Ok(EventKind::Deleted),
        "event_start" | "event_delta" => Ok(EventKind::Preview),
        _ => Ok(EventKind::Other),
    };
    typed.unwrap_or_else(|reason| EventKind::Malformed { reason })
}

fn stop_reason(raw: RawStopReason) -> Result<EventKind, String> {
    let stop_reason = match raw.kind.as_str() {
        "end_turn" => StopReason::EndTurn,
        "requires_action" => {
            StopReason::RequiresAction { event_ids: raw.event_ids.ok_or("requires_action without event_ids")? }
        }
        "retries_exhausted" => StopReason::RetriesExhausted,
        "budget_reached" => StopReason::BudgetReached,
        "refusal" => StopReason::Refusal,
        other => StopReason::Other(other.to_owned()),
    };
    Ok(EventKind::Idle { stop_reason })
}
