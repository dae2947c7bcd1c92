//! The app's one state: the engine's [`Console`], started at launch (or the reason it could not start, which
//! the window shows instead of failing silently), and the views its commands return to the UI.

use crate::verify::{ErrorCode, IpcError};
use serde::Serialize;
use specta::Type;
use std::path::PathBuf;
use std::sync::Arc;
use vargate_engine::console::{Console, ConsoleConfig, ConsoleError, ConsoleEvent};
use vargate_engine::{ApprovalEvent, export::Stage};
use vargate_store::{ApprovalRow, KeystoreKind};

/// What the app runs on: the console, or why it could not start. The console is replaced when the API key
/// is set or forgotten (demo mode ⇄ the API).
#[derive(Debug)]
pub struct AppState {
    /// Write-locked while a console starts: commands wait for it rather than fail.
    console: Arc<tokio::sync::RwLock<Result<Arc<Console>, String>>>,
    /// How to start a console again; `None` when the configuration itself is invalid.
    config: Option<ConsoleConfig>,
    /// Who decides in this app: recorded as the approver.
    pub reviewer: String,
    /// Where exported packs go.
    pub export_dir: PathBuf,
}

impl AppState {
    /// The running console, or why there is none.
    pub async fn console(&self) -> Result<Arc<Console>, IpcError> {
        self.console.read().await.clone().map_err(|why| IpcError { code: ErrorCode::NotStarted, message: why })
    }

    /// The console or why it did not start, for the app's status.
    pub async fn status(&self) -> Result<Arc<Console>, String> {
        self.console.read().await.clone()
    }

    /// Stops the running console and starts a new one with the same configuration (which reads the API key
    /// afresh); returns it.
    pub async fn restart(&self) -> Result<Arc<Console>, IpcError> {
        let mut current = self.console.write().await;
        if let Ok(console) = current.as_ref() {
            console.shutdown().await;
        }
        *current = match &self.config {
            Some(config) => start_console(config.clone()).await,
            None => current.clone(),
        };
        current.clone().map_err(|why| IpcError { code: ErrorCode::NotStarted, message: why })
    }
}

/// The app's state, its console still starting: the log in `VARGATE_DATA_DIR` (or the user's data
/// directory, shared with the `vargate` CLI), keys in `VARGATE_KEYSTORE` (default: the desktop keychain),
/// the API at `ANTHROPIC_BASE_URL` (default: the public API), a policy folder over the shipped bundle in
/// `VARGATE_POLICIES` (as `vargate --policies`). With no API key in the keychain the app runs in
/// demo mode against the built-in simulator. The console starts while the window opens (the two take about as
/// long); [`Starting::finish`] completes it, and until then commands wait.
pub async fn starting(documents: Option<PathBuf>) -> (AppState, Starting) {
    let data_dir = std::env::var_os("VARGATE_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/vargate")))
        .unwrap_or_else(|| PathBuf::from("vargate-data"));
    let export_dir = std::env::var_os("VARGATE_EXPORT_DIR")
        .map(PathBuf::from)
        .or_else(|| documents.map(|d| d.join("Vargate")))
        .unwrap_or_else(|| data_dir.join("exports"));
    let keystore = match std::env::var("VARGATE_KEYSTORE") {
        Ok(k) => k.parse::<KeystoreKind>().map_err(|e| format!("VARGATE_KEYSTORE: {e}")),
        Err(_) => Ok(KeystoreKind::SecretService),
    };
    let config = keystore.map(|keystore| {
        let mut config = ConsoleConfig::new(data_dir, keystore);
        if let Ok(url) = std::env::var("ANTHROPIC_BASE_URL") {
            config.base_url = url;
        }
        config.policies = std::env::var_os("VARGATE_POLICIES").filter(|p| !p.is_empty()).map(PathBuf::from);
        config
    });
    let console = Arc::new(tokio::sync::RwLock::new(Err("the engine is starting".to_owned())));
    let guard = console.clone().write_owned().await;
    let starting = Starting { guard, config: config.clone() };
    (AppState { console, config: config.ok(), reviewer: reviewer(), export_dir }, starting)
}

/// A console being started; holds the state's lock until it has.
#[derive(Debug)]
pub struct Starting {
    guard: tokio::sync::OwnedRwLockWriteGuard<Result<Arc<Console>, String>>,
    config: Result<ConsoleConfig, String>,
}

impl Starting {
    /// Starts the console and releases the commands waiting for it; returns it, or why it did not start.
    pub async fn finish(mut self) -> Result<Arc<Console>, String> {
        let console = match self.config {
            Ok(config) => start_console(config).await,
            Err(e) => Err(e),
        };
        if let Err(why) = &console {
            tracing::error!("the engine did not start: {why}");
        }
        *self.guard = console.clone();
        console
    }
}

/// Starts a console on a blocking thread of the runtime: the start's future is not provably `Send` for
/// every lifetime (a rustc limitation with nested async calls), which a command's future must be.
async fn start_console(config: ConsoleConfig) -> Result<Arc<Console>, String> {
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(Console::start(config)))
        .await
        .map_err(|e| format!("starting the engine: {e}"))?
        .map_err(|e| e.to_string())
}

/// The signed-in user's name, recorded as the approver of what they decide in the app.
fn reviewer() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|n| !n.trim().is_empty()))
        .unwrap_or_else(|| "desktop user".to_owned())
}

impl From<ConsoleError> for IpcError {
    fn from(e: ConsoleError) -> Self {
        match e {
            // The code says it was refused; the message is the reason alone (which limit), for the window to
            // put in its own sentence.
            ConsoleError::Refused(reason) => IpcError { code: ErrorCode::Refused, message: reason },
            ConsoleError::AnchoringOff => IpcError { code: ErrorCode::NotConfigured, message: e.to_string() },
            e => IpcError { code: ErrorCode::Failed, message: e.to_string() },
        }
    }
}

#[derive(Debug, Clone, Serialize, Type)]
pub struct AppInfo {
    pub version: String,
    /// Demo mode: the built-in simulator, no API key.
    pub demo: bool,
    /// The managed-agents API governed (the simulator's address in demo mode).
    pub api: String,
    pub tenant: String,
    pub reviewer: String,
    /// Why the engine did not start, when it did not.
    pub error: Option<String>,
}

/// A request in the approval queue, with what a reviewer needs (details are redacted; no PII in clear).
#[derive(Debug, Clone, Serialize, Type)]
pub struct ApprovalView {
    pub id: String,
    pub session_id: String,
    pub agent: String,
    pub tool: String,
    pub status: String,
    pub requested_at: String,
    pub expires_at: String,
    /// Redacted arguments, findings, matched rules and reasons, pretty-printed.
    pub details: String,
    pub decided_by: Option<String>,
    pub channel: Option<String>,
    pub reason: Option<String>,
}

impl From<ApprovalRow> for ApprovalView {
    fn from(r: ApprovalRow) -> Self {
        ApprovalView {
            details: serde_json::to_string_pretty(&r.details).unwrap_or_default(),
            id: r.id,
            session_id: r.session_id,
            agent: r.agent,
            tool: r.tool,
            status: r.status,
            requested_at: r.requested_at,
            expires_at: r.expires_at,
            decided_by: r.decided_by,
            channel: r.channel,
            reason: r.reason,
        }
    }
}

#[derive(Debug, Clone, Serialize, Type)]
pub struct ExportView {
    pub path: String,
    pub records: u32,
    pub anchored: bool,
    pub manifest_sha256: String,
}

/// Something changed: the UI refreshes what it shows.
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Changed {
    /// The log grew (new sessions, events, decisions).
    Log { size: u32 },
    /// A request for approval arrived.
    ApprovalRequested { id: String },
    /// A request was approved, denied or expired.
    ApprovalResolved { id: String, status: String },
}

impl From<ConsoleEvent> for Changed {
    fn from(e: ConsoleEvent) -> Self {
        match e {
            ConsoleEvent::LogGrew { size, .. } => Changed::Log { size: size.min(u64::from(u32::MAX)) as u32 },
            ConsoleEvent::Approval(ApprovalEvent::Requested(row)) => Changed::ApprovalRequested { id: row.id },
            ConsoleEvent::Approval(ApprovalEvent::Resolved { id, status }) => Changed::ApprovalResolved { id, status },
        }
    }
}

/// A notification's body was clicked: the window shows that approval request.
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
pub struct OpenApproval {
    pub id: String,
}

/// How far an export has got.
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
pub struct ExportProgress {
    pub session_id: String,
    /// proving, reporting, signing or writing.
    pub stage: String,
}

impl ExportProgress {
    pub fn new(session_id: &str, stage: &Stage) -> Self {
        let stage = match stage {
            Stage::Proving => "proving",
            Stage::Reporting { .. } => "reporting",
            Stage::Signing => "signing",
            Stage::Writing => "writing",
        };
        ExportProgress { session_id: session_id.to_owned(), stage: stage.to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window branches on the code: a refusal carries its reason alone, anchoring without a chain says
    /// what to set, and everything else is a failure with the engine's message.
    #[test]
    fn console_errors_cross_with_a_code_the_window_branches_on() {
        let refused = IpcError::from(ConsoleError::Refused("the profile allows 2".into()));
        assert_eq!((refused.code, refused.message.as_str()), (ErrorCode::Refused, "the profile allows 2"));
        let off = IpcError::from(ConsoleError::AnchoringOff);
        assert_eq!(off.code, ErrorCode::NotConfigured);
        assert!(off.message.contains("not configured"), "{}", off.message);
        let other = IpcError::from(ConsoleError::Invalid("a session needs an agent".into()));
        assert_eq!((other.code, other.message.as_str()), (ErrorCode::Failed, "a session needs an agent"));
    }
}
