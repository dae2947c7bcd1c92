//! The decision interface. Every tool call that waits on Vargate — a built-in or MCP tool use the runtime
//! asks about, or a custom (governed) tool call — is put to a [`Decider`]; its answer goes back to the
//! session and into the audit log.

use serde_json::{Map, Value};

/// A tool call waiting on a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRequest {
    pub tenant: String,
    pub session_id: String,
    /// The tool-use event's id: what the answer refers to.
    pub tool_use_id: String,
    pub kind: ToolCallKind,
    /// Tool name (for MCP tools, `server/name`).
    pub tool: String,
    pub input: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolCallKind {
    /// `agent.tool_use` with `evaluated_permission: "ask"`: answered with `user.tool_confirmation`.
    BuiltIn,
    /// `agent.mcp_tool_use` with `evaluated_permission: "ask"`: answered with `user.tool_confirmation`.
    Mcp,
    /// `agent.custom_tool_use`: answered with `user.custom_tool_result`.
    Custom,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny { reason: String },
}

/// Decides on tool calls. The policy pipeline (a later issue) implements this; until then [`FailClosed`].
pub trait Decider: Send + Sync {
    fn decide(&self, request: &DecisionRequest) -> impl std::future::Future<Output = Decision> + Send;
}

/// Denies everything: what Vargate does when no policy is loaded.
#[derive(Debug, Clone, Copy, Default)]
pub struct FailClosed;

pub const NO_POLICY: &str = "no policy loaded";

impl Decider for FailClosed {
    async fn decide(&self, _request: &DecisionRequest) -> Decision {
        Decision::Deny { reason: NO_POLICY.into() }
    }
}
