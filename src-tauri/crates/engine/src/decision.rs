//! The decision interface. Every tool call that waits on Vargate — a built-in or MCP tool use the runtime
//! asks about, or a custom (governed) tool call — is put to a [`Decider`]; its answer goes back to the
//! session and into the audit log. Tool uses that ran without asking are shown to it too
//! ([`Decider::observe`]), so that it can interrupt a session whose behaviour turns dangerous.

use serde_json::{Map, Value};

/// A tool call waiting on a decision (or observed).
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRequest {
    pub tenant: String,
    pub session_id: String,
    /// The session's agent, when known.
    pub agent: String,
    /// The tool-use event's id: what the answer refers to.
    pub tool_use_id: String,
    pub kind: ToolCallKind,
    /// Tool name (for MCP tools, `server/name`).
    pub tool: String,
    /// The parameters as the agent sent them. Held in memory only: what is recorded is `redacted`.
    pub input: Map<String, Value>,
    /// The parameters with every PII and secret span replaced by `[REDACTED:<kind>]`.
    pub redacted: Value,
    /// What redaction found, as `{"path": JSON pointer, "kind": …}`: the PII findings the policy sees.
    pub pii: Vec<Value>,
    /// RFC 3339 time of the tool-use event.
    pub at: String,
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

impl ToolCallKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ToolCallKind::BuiltIn => "builtin",
            ToolCallKind::Mcp => "mcp",
            ToolCallKind::Custom => "custom",
        }
    }

    /// The kind a decision record's `tool_kind` names; a record that names none was of a custom call (holds
    /// recorded before the member existed).
    pub fn from_record(tool_kind: Option<&str>) -> ToolCallKind {
        match tool_kind {
            Some("builtin") => ToolCallKind::BuiltIn,
            Some("mcp") => ToolCallKind::Mcp,
            _ => ToolCallKind::Custom,
        }
    }
}

/// What goes back to the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Deny,
    /// Held for a human: the call waits in the decider's approval queue.
    Hold,
}

impl Verdict {
    /// The `decision` of the record a verdict is logged as.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::Hold => "require_approval",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    /// Why, in one sentence (sent to the agent on a denial).
    pub reason: String,
    /// What the decider adds to the decision record: action id, findings, the policy evaluation.
    pub evidence: Map<String, Value>,
}

impl Decision {
    pub fn deny(reason: impl Into<String>) -> Decision {
        Decision { verdict: Verdict::Deny, reason: reason.into(), evidence: Map::new() }
    }
}

/// Why a session must be stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Interrupt {
    pub reason: String,
    pub evidence: Map<String, Value>,
}

/// Decides on tool calls.
pub trait Decider: Send + Sync {
    fn decide(&self, request: &DecisionRequest) -> impl std::future::Future<Output = Decision> + Send;

    /// The queue held calls wait in; without one, a hold is a deny.
    fn approvals(&self) -> Option<&crate::approvals::Approvals> {
        None
    }

    /// Re-evaluates a held call when its approval is resolved: policy may have changed, or the agent may
    /// have done more since. The default denies.
    fn recheck(&self, _held: &vargate_store::ApprovalRow) -> impl std::future::Future<Output = Decision> + Send {
        std::future::ready(Decision::deny("no decider to re-evaluate the approved call"))
    }

    /// Tokens a session's model call used (from its usage events); `Some` when the session's token budget
    /// is spent and it must stop.
    fn usage(&self, _tenant: &str, _session: &str, _tokens: u64) -> Option<Interrupt> {
        None
    }

    /// The tokens a session had used before ingest (re)attached to it, from its recorded usage events: a
    /// decider that counts usage resumes from there after a restart.
    fn restore_usage(&self, _tenant: &str, _session: &str, _tokens: u64) {}

    /// Runs a custom tool call that policy allowed. The default has no executor for any tool.
    fn execute(
        &self,
        request: &DecisionRequest,
    ) -> impl std::future::Future<Output = crate::executor::Execution> + Send {
        std::future::ready(crate::executor::Execution::not_configured(&request.tool))
    }

    /// A tool use that ran without asking; `Some` stops the session.
    fn observe(&self, _request: &DecisionRequest) -> impl std::future::Future<Output = Option<Interrupt>> + Send {
        std::future::ready(None)
    }
}

/// Denies everything: what Vargate does when no policy is loaded.
#[derive(Debug, Clone, Copy, Default)]
pub struct FailClosed;

pub const NO_POLICY: &str = "no policy loaded";

impl Decider for FailClosed {
    async fn decide(&self, _request: &DecisionRequest) -> Decision {
        Decision::deny(NO_POLICY)
    }
}
