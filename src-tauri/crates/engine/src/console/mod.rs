//! The console: everything the desktop app (and later a headless server's control plane) does, behind one
//! value. It owns the audit log, the policies, the approval queue and the session listeners, runs the demo
//! when there is no API key, and tells its subscribers what changed. It knows nothing of windows: the shell
//! turns each of its methods into one command and each of its changes into one UI event.

mod anchoring;
mod live;
mod policies;
mod sessions;
mod settings;
mod start;
mod timeline;

pub use anchoring::{AnchorNowView, AnchorView, AnchoringView};
pub use policies::{CaseView, PolicyView, ReplayView};
pub use sessions::{SessionRow, SessionStatus};
pub use settings::Settings;
pub use start::{Choice, NewSession, SessionChoices};
pub use timeline::{TimelinePage, TimelineRow, summary};

use crate::approvals::{ApprovalConfig, ApprovalError, ApprovalEvent, Approvals};
use crate::demo::{self, Demo, DemoError};
use crate::governor::Governor;
use crate::ingest::{INTERRUPT, now};
use crate::policy_set::{PolicySet, PolicySetError, ProfileChoice};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use vargate_agents::client::{Client, ClientError};
use vargate_store::{ApprovalRow, Keychain, KeystoreKind, NewRecord, Store, StoreError, StoreOptions};

/// How the console starts.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    pub data_dir: PathBuf,
    pub keystore: KeystoreKind,
    /// How long a held call waits for a human before it is denied.
    pub approval_timeout: Duration,
    /// Demo mode: a new demo session this often (after every scenario has run once).
    pub demo_every: Duration,
    /// Demo mode: the simulator's pause between events, so that a human can watch.
    pub demo_event_delay: Duration,
    /// The keychain entry holding the managed-agents API key.
    pub api_key_name: String,
    /// The managed-agents API (live mode).
    pub base_url: String,
    /// The tenant live sessions are recorded under.
    pub tenant: String,
    /// Live mode: how often the API is asked for new sessions to watch.
    pub discover_every: Duration,
    /// A policy folder whose .rego files and profiles/*.json join the shipped bundle (a profile of the same
    /// name replaces the shipped one); `None`: the shipped bundle alone.
    pub policies: Option<PathBuf>,
}

impl ConsoleConfig {
    pub fn new(data_dir: PathBuf, keystore: KeystoreKind) -> ConsoleConfig {
        ConsoleConfig {
            data_dir,
            keystore,
            approval_timeout: Duration::from_secs(120),
            demo_every: Duration::from_secs(30),
            demo_event_delay: Duration::from_millis(300),
            api_key_name: "anthropic-api-key".to_owned(),
            base_url: vargate_agents::client::DEFAULT_BASE_URL.to_owned(),
            tenant: "default".to_owned(),
            discover_every: Duration::from_secs(15),
            policies: None,
        }
    }
}

/// What changed, for the app to refresh what it shows.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsoleEvent {
    /// The tenant's log grew to `size` records (new sessions, events and decisions show up here).
    LogGrew { tenant: String, size: u64 },
    /// An approval was requested or resolved.
    Approval(ApprovalEvent),
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsoleError {
    #[error("audit log: {0}")]
    Store(#[from] StoreError),
    #[error("keystore: {0}")]
    Keys(#[from] vargate_store::KeyError),
    #[error("policies: {0}")]
    Policies(#[from] PolicySetError),
    #[error("demo: {0}")]
    Demo(#[from] DemoError),
    #[error("approvals: {0}")]
    Approvals(#[from] ApprovalError),
    #[error("managed-agents API: {0}")]
    Api(#[from] ClientError),
    #[error("export: {0}")]
    Export(#[from] crate::export::ExportError),
    #[error("anchoring: {0}")]
    Anchoring(#[from] crate::anchoring::AnchoringError),
    /// Anchoring was asked for, but the settings name no chain.
    #[error("anchoring is not configured: set an EVM JSON-RPC endpoint and a chain id in Settings")]
    AnchoringOff,
    /// A session start the profile's session limits refused (recorded): the message says which limit.
    #[error("session not started: {0}")]
    Refused(String),
    #[error("{0}")]
    Invalid(String),
}

/// What a console is made of, whichever mode starts it.
struct Parts {
    config: ConsoleConfig,
    keychain: Arc<Keychain>,
    store: Store,
    tenant: String,
    approvals: Arc<Approvals>,
    policies: Arc<PolicySet>,
    governor: Arc<Governor>,
    client: Client,
    demo: Option<Arc<Demo>>,
    settings: Settings,
}

/// The running engine of one app.
#[derive(Debug)]
pub struct Console {
    config: ConsoleConfig,
    settings: Settings,
    keychain: Arc<Keychain>,
    store: Store,
    tenant: String,
    approvals: Arc<Approvals>,
    policies: Arc<PolicySet>,
    /// Decides the calls of every session this console listens to.
    governor: Arc<Governor>,
    client: Client,
    demo: Option<Arc<Demo>>,
    changes: broadcast::Sender<ConsoleEvent>,
    /// Sessions with a listener (see [`Console::watch`]).
    watching: Arc<Mutex<HashSet<String>>>,
    /// The periodic anchorer's door for "anchor now", when the settings name a chain.
    anchoring: OnceLock<crate::anchoring::AnchorRequests>,
    /// The account that pays for anchoring on that chain, once asked of the keychain (through the log's
    /// writer, which waits for it: not on every status refresh).
    anchor_address: OnceLock<String>,
    /// Agent names by session id, asked of the API once (the demo tells them as it creates its sessions); at
    /// most [`sessions::MAX_AGENT_NAMES`], beyond which only those of listed sessions are kept.
    agents: Arc<Mutex<HashMap<String, String>>>,
    /// Session rows as last read, by session id, of the sessions last listed (see [`Console::sessions`]).
    rows: Mutex<HashMap<String, SessionRow>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Console {
    /// Opens the log in `config.data_dir` and starts: against the managed-agents API when the keychain
    /// holds an API key, in demo mode otherwise.
    pub async fn start(config: ConsoleConfig) -> Result<Arc<Console>, ConsoleError> {
        let keychain = open_keychain(&config).await?;
        let name = config.api_key_name.clone();
        let keys = keychain.clone();
        let api_key = tokio::task::spawn_blocking(move || keys.credential(&name))
            .await
            .map_err(|e| ConsoleError::Invalid(format!("reading the API key: {e}")))??;
        let settings = Settings::load(&config.data_dir, config.policies.as_deref())?;
        match api_key {
            Some(key) if !key.trim().is_empty() => live::start(config, keychain, settings, key).await,
            _ => Self::start_demo_with(config, keychain, settings).await,
        }
    }

    /// Starts in demo mode whatever the keychain holds: the built-in simulator, demo sessions coming every
    /// `demo_every`, their held calls waiting for a human. Requests still pending from an earlier run are
    /// expired first: the simulator that ran their sessions is gone.
    pub async fn start_demo(config: ConsoleConfig) -> Result<Arc<Console>, ConsoleError> {
        let keychain = open_keychain(&config).await?;
        let settings = Settings::load(&config.data_dir, config.policies.as_deref())?;
        Self::start_demo_with(config, keychain, settings).await
    }

    async fn start_demo_with(
        config: ConsoleConfig,
        keychain: Arc<Keychain>,
        settings: Settings,
    ) -> Result<Arc<Console>, ConsoleError> {
        let store = open_store(&config, keychain.clone()).await?;
        let profile = settings.profile.clone().unwrap_or_else(|| "demo".to_owned());
        let policies = Arc::new(PolicySet::load(config.policies.as_deref(), ProfileChoice::Named(profile))?);
        let approvals = Arc::new(Approvals::new(
            store.clone(),
            ApprovalConfig { timeout: config.approval_timeout, ..Default::default() },
        ));
        for row in approvals.list(true).await? {
            if row.tenant == demo::TENANT {
                approvals.expire(&row.id, "the demo simulator that ran this session has stopped").await?;
            }
        }
        let demo = Arc::new(Demo::start(None, config.demo_event_delay).await?);
        let governor = Arc::new(Governor::new(policies.clone(), store.clone()).with_approvals(approvals.clone()));
        let console = Arc::new(Console::new(Parts {
            config: config.clone(),
            keychain,
            store: store.clone(),
            tenant: demo::TENANT.to_owned(),
            approvals,
            policies,
            governor: governor.clone(),
            client: demo.client().clone(),
            demo: Some(demo.clone()),
            settings,
        }));
        let agents = console.agents.clone();
        let on_created: demo::OnCreated = Arc::new(move |session: &str, agent: &str| {
            agents.lock().unwrap_or_else(PoisonError::into_inner).insert(session.to_owned(), agent.to_owned());
        });
        console.spawn(demo::run_continuously(demo, store, governor, config.demo_every, on_created));
        console.spawn_anchoring();
        console.spawn_watchers();
        Ok(console)
    }

    fn new(parts: Parts) -> Console {
        let (changes, _) = broadcast::channel(1024);
        Console {
            config: parts.config,
            settings: parts.settings,
            keychain: parts.keychain,
            store: parts.store,
            tenant: parts.tenant,
            approvals: parts.approvals,
            policies: parts.policies,
            governor: parts.governor,
            client: parts.client,
            demo: parts.demo,
            changes,
            watching: Arc::default(),
            anchoring: OnceLock::new(),
            anchor_address: OnceLock::new(),
            agents: Arc::default(),
            rows: Mutex::new(HashMap::new()),
            tasks: Mutex::new(Vec::new()),
        }
    }

    /// Stores the managed-agents API key in the keychain (it is never shown again). The app then starts a
    /// new console, which runs against the API.
    pub async fn set_api_key(&self, key: &str) -> Result<(), ConsoleError> {
        let key = key.trim().to_owned();
        if key.is_empty() || key.chars().any(char::is_whitespace) {
            return Err(ConsoleError::Invalid("an API key is one word with no spaces".into()));
        }
        let (keys, name) = (self.keychain.clone(), self.config.api_key_name.clone());
        tokio::task::spawn_blocking(move || keys.set_credential(&name, &key))
            .await
            .map_err(|e| ConsoleError::Invalid(format!("storing the API key: {e}")))??;
        Ok(())
    }

    /// Deletes the stored API key; the next console runs the demo. True if there was one.
    pub async fn forget_api_key(&self) -> Result<bool, ConsoleError> {
        let (keys, name) = (self.keychain.clone(), self.config.api_key_name.clone());
        Ok(tokio::task::spawn_blocking(move || keys.delete_credential(&name))
            .await
            .map_err(|e| ConsoleError::Invalid(format!("deleting the API key: {e}")))??)
    }

    /// How this console was configured (to start the next one the same way).
    pub fn config(&self) -> &ConsoleConfig {
        &self.config
    }

    /// The API this console governs: the simulator's address in demo mode.
    pub fn api_base_url(&self) -> String {
        self.client.base_url().to_owned()
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.tasks.lock().unwrap_or_else(PoisonError::into_inner).push(tokio::spawn(task));
    }

    /// Anchors the log periodically when the settings name a chain (see `anchoring`); the same task anchors
    /// on request ([`Console::anchor_now`]).
    fn spawn_anchoring(&self) {
        if let Some(config) = self.anchor_config() {
            let (task, requests) =
                crate::anchoring::spawn_anchoring(self.store.clone(), config, self.config.data_dir.clone());
            self.tasks.lock().unwrap_or_else(PoisonError::into_inner).push(task);
            let _ = self.anchoring.set(requests);
        }
    }

    /// The log's growth (polled: one cheap read) and the approval queue's changes become console events.
    fn spawn_watchers(self: &Arc<Self>) {
        let (store, tenant, changes) = (self.store.clone(), self.tenant.clone(), self.changes.clone());
        self.spawn(async move {
            let mut last = None;
            loop {
                if let Ok(size) = store.size(&tenant).await
                    && last != Some(size)
                {
                    last = Some(size);
                    let _ = changes.send(ConsoleEvent::LogGrew { tenant: tenant.clone(), size });
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
        let (mut queue, changes) = (self.approvals.subscribe(), self.changes.clone());
        self.spawn(async move {
            loop {
                match queue.recv().await {
                    Ok(event) => {
                        let _ = changes.send(ConsoleEvent::Approval(event));
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
    }

    /// Changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ConsoleEvent> {
        self.changes.subscribe()
    }

    pub fn is_demo(&self) -> bool {
        self.demo.is_some()
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn approvals(&self) -> &Arc<Approvals> {
        &self.approvals
    }

    pub fn policies(&self) -> &Arc<PolicySet> {
        &self.policies
    }

    /// The approval queue: pending requests only, or all of them, newest first.
    /// The agent is named as the session list names it.
    pub async fn approval_queue(&self, pending_only: bool) -> Result<Vec<ApprovalRow>, ConsoleError> {
        let mut rows = self.approvals.list(pending_only).await?;
        for row in &mut rows {
            let name = self.agent_of(&row.session_id).await;
            if name != "unknown" {
                row.agent = name;
            }
        }
        Ok(rows)
    }

    /// Decides each request in `ids` (a batch) as `approver` in the app. Every request is tried; the first
    /// failure is returned after the rest were decided.
    pub async fn decide(
        &self,
        ids: &[String],
        approve: bool,
        approver: &str,
        reason: &str,
    ) -> Result<Vec<ApprovalRow>, ConsoleError> {
        let mut decided = Vec::with_capacity(ids.len());
        let mut first_error = None;
        for id in ids {
            match self.approvals.decide(id, approve, approver, "app", reason).await {
                Ok(row) => decided.push(row),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e.into()),
            None => Ok(decided),
        }
    }

    /// The kill switch: records who interrupted the session and why, then sends `user.interrupt` and a
    /// message saying so. The record comes first, so an interrupt that could not be delivered is still on
    /// file (with the delivery error after it).
    pub async fn interrupt(&self, session_id: &str, reason: &str, by: &str) -> Result<(), ConsoleError> {
        if reason.trim().is_empty() || by.trim().is_empty() {
            return Err(ConsoleError::Invalid("an interrupt needs a reason and the name of who interrupts".into()));
        }
        self.store.session_tail(&self.tenant, session_id).await?;
        let payload = json!({ "reason": reason, "by": by, "channel": "app" });
        let record = NewRecord {
            session_id: session_id.to_owned(),
            ts: now(),
            kind: INTERRUPT.to_owned(),
            source: "operator".to_owned(),
            decision: "interrupt".to_owned(),
            payload,
        };
        self.store.append(&self.tenant, record).await?;
        let text = format!("Vargate: {by} interrupted this session: {reason}");
        self.client.send_events(session_id, &crate::ingest::interrupt_events(Some(&text))).await?;
        Ok(())
    }

    /// Builds the session's signed evidence pack and writes it to `path`; returns what was written.
    pub async fn export(
        &self,
        session_id: &str,
        path: &std::path::Path,
        progress: &(dyn Fn(crate::export::Stage) + Sync),
    ) -> Result<crate::export::ExportedPack, ConsoleError> {
        let pack = crate::export::export_pack(&self.store, &self.tenant, session_id, &now(), progress).await?;
        let tmp = path.with_extension("zip.part");
        std::fs::write(&tmp, &pack.bytes)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| ConsoleError::Invalid(format!("writing {}: {e}", path.display())))?;
        Ok(pack)
    }

    /// Stops the session listeners and the demo, then closes the log (what was queued is written first).
    pub async fn shutdown(&self) {
        for task in self.tasks.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
            task.abort();
        }
        self.store.clone().close().await;
    }
}

/// Opens the keychain, connecting now, so that a keystore that cannot be reached is one clear error at
/// start.
async fn open_keychain(config: &ConsoleConfig) -> Result<Arc<Keychain>, ConsoleError> {
    let kind = config.keystore.clone();
    let keychain = tokio::task::spawn_blocking(move || Keychain::open_checked(kind))
        .await
        .map_err(|e| ConsoleError::Invalid(format!("opening the keystore: {e}")))??;
    Ok(Arc::new(keychain))
}

/// Opens the log in the data directory.
async fn open_store(config: &ConsoleConfig, keychain: Arc<Keychain>) -> Result<Store, ConsoleError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        ConsoleError::Invalid(format!("creating the data directory {}: {e}", config.data_dir.display()))
    })?;
    // The app runs beside a person's other work all day: small caches (see `StoreOptions::compact`).
    Ok(Store::open(&config.data_dir.join("vargate.db"), keychain, StoreOptions::compact()).await?)
}
