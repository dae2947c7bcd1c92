//! The simulator's in-memory state: agents with their versions, environments, sessions with their event logs,
//! broadcast channels for live streams and the tool calls a session is blocked on. One `std` mutex guards it;
//! it is never held across an `.await`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::{broadcast, mpsc, watch};

use super::config::SimConfig;
use super::faults::FaultState;
use super::scenario::Scenario;

/// State shared by every handler and session worker.
#[derive(Debug)]
pub struct Shared {
    pub store: Mutex<Store>,
    pub config: SimConfig,
    pub scenarios: HashMap<String, Arc<Scenario>>,
    pub faults: Mutex<FaultState>,
    /// Becomes `true` when the simulator shuts down; open streams end then.
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    /// The store, even if a panicking thread poisoned the lock (state stays usable for a test bed).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[derive(Debug, Default)]
pub struct Store {
    /// In creation order.
    pub agents: Vec<AgentRecord>,
    pub environments: Vec<Value>,
    pub sessions: Vec<SessionRecord>,
}

#[derive(Debug)]
pub struct AgentRecord {
    pub id: String,
    /// Every version's full Agent object as JSON text; the last is current. Agents are kept for good (the API
    /// archives them, it never deletes one) but read seldom, and as text one takes a fraction of the room of
    /// its parsed `Value` (a few KiB against tens: the demo creates one per session).
    versions: Vec<Box<str>>,
}

impl AgentRecord {
    /// A record with its first version.
    pub fn new(id: String, first: &Value) -> AgentRecord {
        AgentRecord { id, versions: vec![first.to_string().into_boxed_str()] }
    }

    pub fn current(&self) -> Value {
        // `versions` is never empty: a record is created with its first version.
        self.versions.last().map_or(Value::Null, |v| parse(v))
    }

    /// Every version, oldest first.
    pub fn versions(&self) -> Vec<Value> {
        self.versions.iter().map(|v| parse(v)).collect()
    }

    pub fn version(&self, version: i64) -> Option<Value> {
        self.versions.iter().map(|v| parse(v)).find(|a| a["version"].as_i64() == Some(version))
    }

    /// Adds a version, which becomes current.
    pub fn push(&mut self, next: &Value) {
        self.versions.push(next.to_string().into_boxed_str());
    }

    /// Sets `archived_at` on every version not archived yet.
    pub fn archive(&mut self, now: &str) {
        for text in &mut self.versions {
            let mut v = parse(text);
            if v["archived_at"].is_null() {
                v["archived_at"] = Value::from(now);
                *text = v.to_string().into_boxed_str();
            }
        }
    }
}

/// A stored version back as a `Value` (the simulator wrote the text itself, so it always parses).
fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// Input a session worker acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A `user.message` was accepted: run the next turn.
    Message,
    /// A confirmation or custom tool result resolved a blocker.
    Resolved,
    /// `user.interrupt`.
    Interrupt,
}

/// What a blocked tool call is waiting for.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocker {
    /// `agent.tool_use` / `agent.mcp_tool_use` with `evaluated_permission: "ask"`.
    Confirmation { decision: Option<Decision> },
    /// `agent.custom_tool_use`.
    CustomResult { answered: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(Option<String>),
}

#[derive(Debug)]
pub struct SessionRecord {
    pub id: String,
    /// The Session object as `GET /v1/sessions/{id}` returns it.
    pub object: Value,
    /// Persisted events in emission order, each shared with the live streams it was broadcast to (one copy).
    pub events: Vec<Arc<Value>>,
    /// Broadcasts each event to the open streams; `None` while none is open. The buffer (`live_capacity`
    /// slots, allocated whole) exists only while a stream is open: a session nobody watches, such as every
    /// finished one, costs its history alone.
    pub live: Option<broadcast::Sender<Arc<Value>>>,
    pub inbox: mpsc::UnboundedSender<Input>,
    /// Tool-use event id → what it is blocked on (only while the session waits on it).
    pub blockers: Vec<(String, Blocker)>,
}

impl SessionRecord {
    pub fn status(&self) -> &str {
        self.object.get("status").and_then(Value::as_str).unwrap_or("idle")
    }

    pub fn is_archived(&self) -> bool {
        self.object.get("archived_at").is_some_and(|v| !v.is_null())
    }

    /// The session's events from now on, for a stream being opened; allocates the live buffer for the first.
    pub fn subscribe(&mut self, capacity: usize) -> broadcast::Receiver<Arc<Value>> {
        match &self.live {
            Some(live) => live.subscribe(),
            None => {
                let (live, rx) = broadcast::channel(capacity.max(1));
                self.live = Some(live);
                rx
            }
        }
    }

    /// Sends `ev` to the open streams; frees the live buffer when none is left.
    pub fn broadcast(&mut self, ev: Arc<Value>) {
        if let Some(live) = &self.live
            && live.send(ev).is_err()
        {
            self.live = None;
        }
    }

    /// Frees the live buffer if no stream is open any more (called as a stream ends).
    pub fn release_live(&mut self) {
        if self.live.as_ref().is_some_and(|live| live.receiver_count() == 0) {
            self.live = None;
        }
    }
}

impl Store {
    pub fn agent(&self, id: &str) -> Option<&AgentRecord> {
        self.agents.iter().find(|a| a.id == id)
    }

    pub fn agent_mut(&mut self, id: &str) -> Option<&mut AgentRecord> {
        self.agents.iter_mut().find(|a| a.id == id)
    }

    pub fn environment_mut(&mut self, id: &str) -> Option<&mut Value> {
        self.environments.iter_mut().find(|e| e.get("id").and_then(Value::as_str) == Some(id))
    }

    pub fn session(&self, id: &str) -> Option<&SessionRecord> {
        self.sessions.iter().find(|s| s.id == id)
    }

    pub fn session_mut(&mut self, id: &str) -> Option<&mut SessionRecord> {
        self.sessions.iter_mut().find(|s| s.id == id)
    }
}
