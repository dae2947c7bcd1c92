//! The approval queue: tool calls policy holds for a human. A held call is a row in the store's `approvals`
//! table (state) and an audit record in its session (evidence). Whoever decides — this process's API (the
//! desktop app, a notification, the demo), the CLI in another process, a webhook receiver — resolves the row
//! with one conditional update, so exactly one resolution wins; the process holding the call notices,
//! records the outcome with the approver and channel, re-evaluates policy and answers the session. A timer
//! denies on expiry, and the expiry is itself a record. New requests are announced on a broadcast channel
//! (for the app) and, when configured, to an HMAC-signed webhook.

use hmac::{Hmac, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;
use std::time::Duration;
use tokio::sync::broadcast;
use vargate_store::{ApprovalRow, Resolution, Store, StoreError};

/// How long a held call waits by default before it is denied.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Where the decision came from.
pub const CHANNELS: [&str; 4] = ["cli", "app", "notification", "webhook"];

#[derive(Debug, Clone)]
pub struct ApprovalConfig {
    pub timeout: Duration,
    /// How often a holder looks for a decision made elsewhere.
    pub poll: Duration,
    pub webhook: Option<Webhook>,
}

impl Default for ApprovalConfig {
    fn default() -> Self {
        ApprovalConfig { timeout: DEFAULT_TIMEOUT, poll: Duration::from_millis(200), webhook: None }
    }
}

/// A URL that receives each new request as JSON, signed with HMAC-SHA256 over the body in the header
/// `X-Vargate-Signature: sha256=<hex>`.
#[derive(Clone)]
pub struct Webhook {
    pub url: String,
    pub secret: Vec<u8>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook").field("url", &self.url).finish_non_exhaustive()
    }
}

/// The signature header value of a webhook body.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A change in the queue, for subscribers (the desktop app's Approvals screen, the tray count).
#[derive(Debug, Clone, PartialEq)]
pub enum ApprovalEvent {
    Requested(Box<ApprovalRow>),
    Resolved { id: String, status: String },
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApprovalError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no approval request \"{0}\"")]
    Unknown(String),
    #[error("approval request {id} is already {status}")]
    AlreadyResolved { id: String, status: String },
    #[error("unknown channel \"{0}\": use cli, app, notification or webhook")]
    BadChannel(String),
    #[error("the approver's name must not be empty")]
    NoApprover,
}

#[derive(Debug, Clone)]
pub struct Approvals {
    store: Store,
    config: ApprovalConfig,
    changes: broadcast::Sender<ApprovalEvent>,
    http: Option<reqwest::Client>,
}

impl Approvals {
    pub fn new(store: Store, config: ApprovalConfig) -> Approvals {
        let http = config.webhook.as_ref().and_then(|_| {
            // The process-wide TLS provider (the managed-agents client installs the same one).
            let _ = rustls::crypto::ring::default_provider().install_default();
            match reqwest::Client::builder().timeout(Duration::from_secs(10)).build() {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::error!("the approval webhook is disabled: {e}");
                    None
                }
            }
        });
        Approvals { store, config, changes: broadcast::channel(256).0, http }
    }

    pub fn config(&self) -> &ApprovalConfig {
        &self.config
    }

    /// Changes in the queue from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ApprovalEvent> {
        self.changes.subscribe()
    }

    /// Queues a held call (the caller records the request in the session's chain first).
    pub async fn open(&self, row: ApprovalRow) -> Result<(), ApprovalError> {
        self.store.insert_approval(&row).await?;
        if let (Some(hook), Some(http)) = (&self.config.webhook, &self.http) {
            // The notification never blocks the queue: sent in the background, failures logged.
            let body = json!({"type": "vargate.approval_requested", "approval": row}).to_string();
            let request = http
                .post(&hook.url)
                .header("content-type", "application/json")
                .header("x-vargate-signature", signature(&hook.secret, body.as_bytes()))
                .body(body);
            tokio::spawn(async move {
                match request.send().await {
                    Ok(r) if r.status().is_success() => {}
                    Ok(r) => tracing::warn!("approval webhook answered {}", r.status()),
                    Err(e) => tracing::warn!("approval webhook failed: {e}"),
                }
            });
        }
        let _ = self.changes.send(ApprovalEvent::Requested(Box::new(row)));
        Ok(())
    }

    /// Decides a pending request: what the app, a notification action, the CLI and the demo call.
    pub async fn decide(
        &self,
        id: &str,
        approve: bool,
        approver: &str,
        channel: &str,
        reason: &str,
    ) -> Result<ApprovalRow, ApprovalError> {
        if !CHANNELS.contains(&channel) {
            return Err(ApprovalError::BadChannel(channel.to_owned()));
        }
        if approver.trim().is_empty() {
            return Err(ApprovalError::NoApprover);
        }
        let status = if approve { "approved" } else { "denied" };
        let resolution = Resolution {
            status: status.into(),
            decided_by: approver.to_owned(),
            channel: channel.to_owned(),
            reason: reason.to_owned(),
            decided_at: crate::ingest::now(),
        };
        self.resolve(id, &resolution).await
    }

    async fn resolve(&self, id: &str, resolution: &Resolution) -> Result<ApprovalRow, ApprovalError> {
        let won = self.store.resolve_approval(id, resolution).await?;
        let row = self.store.approval(id).await?.ok_or_else(|| ApprovalError::Unknown(id.to_owned()))?;
        if !won {
            return Err(ApprovalError::AlreadyResolved { id: id.to_owned(), status: row.status });
        }
        let _ = self.changes.send(ApprovalEvent::Resolved { id: id.to_owned(), status: row.status.clone() });
        Ok(row)
    }

    /// Expires a pending request now (its session ended); returns the row as it stands.
    pub async fn expire(&self, id: &str, reason: &str) -> Result<ApprovalRow, ApprovalError> {
        let expiry = Resolution {
            status: "expired".into(),
            decided_by: "vargate".into(),
            channel: "timer".into(),
            reason: reason.to_owned(),
            decided_at: crate::ingest::now(),
        };
        match self.resolve(id, &expiry).await {
            Ok(row) => Ok(row),
            Err(ApprovalError::AlreadyResolved { .. }) => self.get(id).await,
            Err(e) => Err(e),
        }
    }

    pub async fn list(&self, pending_only: bool) -> Result<Vec<ApprovalRow>, ApprovalError> {
        Ok(self.store.approvals(pending_only).await?)
    }

    pub async fn get(&self, id: &str) -> Result<ApprovalRow, ApprovalError> {
        self.store.approval(id).await?.ok_or_else(|| ApprovalError::Unknown(id.to_owned()))
    }

    /// Waits until the request is resolved — by anyone, in any process — or its deadline passes (then it is
    /// resolved as expired here). Returns the resolved row.
    pub async fn wait(&self, id: &str) -> Result<ApprovalRow, ApprovalError> {
        loop {
            let row = self.get(id).await?;
            if row.status != "pending" {
                return Ok(row);
            }
            if past(&row.expires_at) {
                let expiry = Resolution {
                    status: "expired".into(),
                    decided_by: "vargate".into(),
                    channel: "timer".into(),
                    reason: format!("no decision before {}", row.expires_at),
                    decided_at: crate::ingest::now(),
                };
                match self.resolve(id, &expiry).await {
                    Ok(row) => return Ok(row),
                    // Someone decided in the meantime: theirs stands.
                    Err(ApprovalError::AlreadyResolved { .. }) => continue,
                    Err(e) => return Err(e),
                }
            }
            tokio::time::sleep(self.config.poll).await;
        }
    }
}

/// The evidence a resolution adds to the final decision record.
pub fn resolution_evidence(row: &ApprovalRow) -> Value {
    json!({
        "id": row.id,
        "status": row.status,
        "approver": row.decided_by,
        "channel": row.channel,
        "reason": row.reason,
        "requested_at": row.requested_at,
        "decided_at": row.decided_at,
    })
}

/// Whether an RFC 3339 time has passed; an unreadable one has (the request then expires: fail closed).
fn past(at: &str) -> bool {
    let parsed = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339);
    parsed.map_or(true, |t| t <= time::OffsetDateTime::now_utc())
}

/// The RFC 3339 time `timeout` from now.
pub fn deadline(timeout: Duration) -> String {
    let at = time::OffsetDateTime::now_utc() + timeout;
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
