//! The demo: governed sessions against the built-in simulator, with no API key. One implementation for
//! `vargate demo` (runs each scenario once, then exports packs) and the desktop app's demo mode (keeps
//! sessions coming so that a first start shows the whole product); callers keep only their own wiring —
//! printing, exporting, windows.

use crate::approvals::{ApprovalEvent, Approvals};
use crate::governor::Governor;
use crate::ingest::{IngestError, ingest_session_until};
use serde_json::json;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use vargate_agents::client::{AgentParams, Client, ClientConfig, ClientError, EnvironmentParams, SessionParams};
use vargate_agents::sim::{SimConfig, SimHandle, SimStartError, Simulator};
use vargate_agents::stream::WatchOptions;
use vargate_store::{Store, StoreError, TimelineFilter};

/// The tenant demo sessions are recorded under, apart from real tenants.
pub const TENANT: &str = "demo";

/// One demo session: a label, the simulator scenario it runs, how many user turns it gets, and the
/// permission policy of its built-in tools (`always_ask` puts every call to Vargate; `always_allow` lets
/// them run, observed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSession {
    pub label: &'static str,
    pub scenario: &'static str,
    pub turns: usize,
    pub permission: &'static str,
}

const fn spec(label: &'static str, scenario: &'static str, turns: usize, permission: &'static str) -> DemoSession {
    DemoSession { label, scenario, turns, permission }
}

/// The bundled demo, which between its sessions shows every outcome of the shipped policies.
pub const SESSIONS: &[DemoSession] = &[
    spec("research", "default", 1, "always_ask"),
    spec("risky-bash", "risky_bash", 1, "always_ask"),
    spec("payments", "payments", 1, "always_ask"),
    spec("support", "support_email", 1, "always_ask"),
    spec("editor", "custom_tool", 1, "always_ask"),
    spec("outreach", "outreach", 1, "always_ask"),
    spec("observed", "exfiltration", 1, "always_allow"),
    spec("errors", "errors", 3, "always_ask"),
];

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    #[error("starting the simulator: {0}")]
    Simulator(#[from] SimStartError),
    #[error("simulated managed-agents API: {0}")]
    Api(#[from] ClientError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("audit log: {0}")]
    Store(#[from] StoreError),
    #[error("session {0}: the turn did not end within 10 minutes")]
    TurnTimeout(String),
    #[error("session {0}: its ingest task failed: {1}")]
    Task(String, String),
}

/// Finished sessions of [`run_continuously`] the simulator keeps serving; older ones are deleted from it, with
/// their environments, and their agents archived (the API keeps an agent, archived, for good). The log keeps
/// every session: this bounds only what the simulator holds, which would otherwise grow by each session's
/// history for as long as the app runs.
pub const RETAINED: usize = 16;

/// What the demo created for one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub session: String,
    pub agent: String,
    pub environment: String,
}

/// The simulator and a client of it.
#[derive(Debug)]
pub struct Demo {
    sim: SimHandle,
    client: Client,
    /// Finished sessions of [`run_continuously`] still in the simulator, oldest first (at most [`RETAINED`]).
    finished: Mutex<VecDeque<Created>>,
}

impl Demo {
    /// Starts the simulator on a free loopback port. Streams drop every `drop_every` events when given (so
    /// reconnect and backfill are part of a run); `event_delay` paces the agents for a watching human.
    pub async fn start(drop_every: Option<usize>, event_delay: Duration) -> Result<Demo, DemoError> {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let sim = Simulator::start(addr, SimConfig::default()).await?;
        sim.set_drop_stream_after(drop_every);
        sim.set_event_delay(event_delay);
        let client = Client::new(ClientConfig::new(sim.base_url(), "demo-key"))?;
        Ok(Demo { sim, client, finished: Mutex::new(VecDeque::new()) })
    }

    pub fn base_url(&self) -> String {
        self.sim.base_url()
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates the agent, environment and session for `spec`; returns the session id.
    pub async fn create(&self, spec: &DemoSession) -> Result<String, DemoError> {
        Ok(create_session(&self.client, spec).await?.session)
    }

    /// Notes that the demo is done with `created`; once more than [`RETAINED`] are, deletes the oldest session
    /// and its environment from the simulator and archives its agent, all as the API allows.
    pub async fn retire(&self, created: Created) {
        let oldest = {
            let mut finished = self.finished.lock().unwrap_or_else(PoisonError::into_inner);
            finished.push_back(created);
            if finished.len() > RETAINED { finished.pop_front() } else { None }
        };
        let Some(Created { session, agent, environment }) = oldest else { return };
        let deleted = async {
            self.client.delete_session(&session).await?;
            self.client.delete_environment(&environment).await?;
            self.client.archive_agent(&agent).await.map(drop)
        };
        if let Err(e) = deleted.await {
            tracing::warn!(session, "the demo could not retire a finished session from the simulator: {e}");
        }
    }

    /// Ingests the session under `governor` while sending its user turns, each after the previous ended,
    /// then stops ingest cleanly.
    pub async fn drive(
        &self,
        store: &Store,
        governor: Arc<Governor>,
        session_id: &str,
        turns: usize,
    ) -> Result<(), DemoError> {
        drive(self.client.clone(), store.clone(), governor, session_id.to_owned(), turns).await
    }

    pub async fn shutdown(self) {
        self.sim.shutdown().await;
    }
}

/// Told of each session [`run_continuously`] creates: its id and its agent's name (which the simulator
/// forgets once the session is retired, see [`RETAINED`]).
pub type OnCreated = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// Keeps demo sessions coming until the task is aborted: every scenario once, then a new session every
/// `every`, in rotation, so that the app's first start shows live sessions and approvals arriving. A session
/// the demo is done with is retired ([`Demo::retire`]), so that the simulator holds a bounded number.
pub async fn run_continuously(
    demo: Arc<Demo>,
    store: Store,
    governor: Arc<Governor>,
    every: Duration,
    on_created: OnCreated,
) {
    for (n, spec) in SESSIONS.iter().cycle().enumerate() {
        let (demo, store, governor, on_created) = (demo.clone(), store.clone(), governor.clone(), on_created.clone());
        tokio::spawn(async move {
            let created = match create_session(&demo.client, spec).await {
                Ok(created) => created,
                Err(e) => {
                    tracing::warn!(session = spec.label, "a demo session failed: {e}");
                    return;
                }
            };
            on_created(&created.session, &agent_name(spec));
            if let Err(e) = demo.drive(&store, governor, &created.session, spec.turns).await {
                tracing::warn!(session = spec.label, "a demo session failed: {e}");
            }
            demo.retire(created).await;
        });
        if n + 1 >= SESSIONS.len() {
            tokio::time::sleep(every).await;
        }
    }
}

/// The demo's reviewer: approves every request to open a file in the editor as `vargate-demo` through the
/// queue's API (channel `app`) and leaves the rest to a human or to expiry, so both outcomes show.
pub async fn approve_editor_requests(approvals: Arc<Approvals>) {
    let mut changes = approvals.subscribe();
    while let Ok(change) = changes.recv().await {
        if let ApprovalEvent::Requested(row) = change
            && row.tool == "open_in_editor"
        {
            let reason = "the demo's reviewer allows opening files";
            if let Err(e) = approvals.decide(&row.id, true, "vargate-demo", "app", reason).await {
                tracing::warn!("the demo reviewer could not approve {}: {e}", row.id);
            }
        }
    }
}

/// The name of the agent the demo creates for `spec`.
pub fn agent_name(spec: &DemoSession) -> String {
    format!("demo-{}", spec.label)
}

async fn create_session(client: &Client, spec: &DemoSession) -> Result<Created, DemoError> {
    let mut metadata = serde_json::Map::new();
    metadata.insert("sim_scenario".into(), json!(spec.scenario));
    let permission = spec.permission;
    let agent = client
        .create_agent(&AgentParams {
            name: agent_name(spec),
            model: json!("claude-sonnet-4-5"),
            system: Some("You work under Vargate governance.".into()),
            tools: vec![
                json!({"type": "agent_toolset_20260401", "default_config": {"permission_policy": {"type": permission}}}),
                json!({"type": "custom", "name": "open_in_editor", "description": "Open a file in the editor",
                       "input_schema": {"type": "object", "properties": {"path": {"type": "string"}, "line": {"type": "integer"}}}}),
                json!({"type": "custom", "name": "make_payment", "description": "Pay a supplier",
                       "input_schema": {"type": "object", "properties": {"amount": {"type": "number"}, "currency": {"type": "string"}, "payee": {"type": "string"}}}}),
                json!({"type": "custom", "name": "send_email", "description": "Send an e-mail",
                       "input_schema": {"type": "object", "properties": {"to": {"type": "string"}, "subject": {"type": "string"}, "body": {"type": "string"}}}}),
            ],
            metadata,
            ..AgentParams::default()
        })
        .await?;
    let env = client
        .create_environment(&EnvironmentParams { name: format!("demo-{}", spec.label), ..Default::default() })
        .await?;
    let session = client
        .create_session(&SessionParams {
            agent: json!(agent.id),
            environment_id: env.id.clone(),
            title: Some(format!("Vargate demo: {}", spec.label)),
            ..Default::default()
        })
        .await?;
    Ok(Created { session: session.id, agent: agent.id, environment: env.id })
}

async fn drive(
    client: Client,
    store: Store,
    governor: Arc<Governor>,
    session_id: String,
    turns: usize,
) -> Result<(), DemoError> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let ingest = {
        let (client, store, id) = (client.clone(), store.clone(), session_id.clone());
        tokio::spawn(async move {
            let options = WatchOptions { max_reconnects: Some(100), ..WatchOptions::default() };
            let stopped = async {
                let _ = stopped.await;
            };
            ingest_session_until(&client, &store, TENANT, &id, governor.as_ref(), &options, stopped).await
        })
    };
    let mut ended = 0;
    for turn in 1..=turns {
        let text = format!("Turn {turn}: carry on with the task.");
        client
            .send_events(&session_id, &[json!({"type": "user.message", "content": [{"type": "text", "text": text}]})])
            .await?;
        ended = wait_for_turn_end(&store, &session_id, ended).await?;
        if ingest.is_finished() {
            break; // terminated
        }
    }
    // The turn's end is in the log, but the batch that held it may still be deciding (an interrupt over
    // what the turn did, say): stopping lets it finish.
    let _ = stop.send(());
    ingest.await.map_err(|e| DemoError::Task(session_id.clone(), e.to_string()))??;
    Ok(())
}

/// Waits until the log holds more turn endings (idle other than requires_action, or termination) than
/// `seen`; returns the new count.
async fn wait_for_turn_end(store: &Store, session_id: &str, seen: usize) -> Result<usize, DemoError> {
    let filter = TimelineFilter {
        types: vec!["session.status_idle".into(), "session.status_terminated".into()],
        limit: 10_000,
        ..TimelineFilter::default()
    };
    // Generous: the app paces events for a human, and a held call waits for one.
    for _ in 0..12_000 {
        let ends = match store.timeline(TENANT, session_id, &filter).await {
            Ok(entries) => {
                entries.iter().filter(|e| e.record.payload["stop_reason"]["type"] != "requires_action").count()
            }
            Err(StoreError::UnknownTenant(_)) => 0,
            Err(e) => return Err(e.into()),
        };
        if ends > seen {
            return Ok(ends);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(DemoError::TurnTimeout(session_id.to_owned()))
}
