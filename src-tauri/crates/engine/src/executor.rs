//! Where a custom tool call that policy allowed is run. Executing it is a connector's job (with credentials
//! from the keychain, which the agent never sees); until a connector for a tool exists, the call's result is
//! an error saying so — never a fake success. Either way the result is recorded before it is sent.

use serde_json::{Map, Value, json};
use std::future::Future;
use std::pin::Pin;

/// What running a call gave: content blocks for `user.custom_tool_result`, and whether it failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub is_error: bool,
    pub content: Vec<Value>,
    /// Which executor ran it; `None` when none is configured for the tool.
    pub executor: Option<String>,
}

impl Execution {
    /// A call that did not run, saying why.
    pub fn failed(text: String) -> Execution {
        Execution { is_error: true, content: vec![json!({"type": "text", "text": text})], executor: None }
    }

    /// The result of a call no executor is configured for.
    pub fn not_configured(tool: &str) -> Execution {
        Execution::failed(format!("allowed by Vargate, but no executor is configured for tool {tool}"))
    }
}

pub type ExecutionFuture<'a> = Pin<Box<dyn Future<Output = Execution> + Send + 'a>>;

/// Runs allowed custom tool calls: implemented by connectors.
pub trait Executor: Send + Sync + std::fmt::Debug {
    /// Its name in the records.
    fn name(&self) -> &str;
    /// Whether it runs `tool`.
    fn handles(&self, tool: &str) -> bool;
    /// Runs `tool` with `input` (the original parameters: the executor is trusted, the agent is not).
    fn execute<'a>(&'a self, tool: &'a str, input: &'a Map<String, Value>) -> ExecutionFuture<'a>;
}
