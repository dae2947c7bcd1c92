//! Anchoring a tenant's latest signed checkpoint on an EVM chain, once or periodically, and checking anchors.
//!
//! The log never waits on the chain: anchoring runs beside it, reads a checkpoint, and writes the evidence
//! back as a record only when the transaction is in. A failing chain gives retries spaced by
//! [`vargate_anchor::backoff()`] and a status file (`anchor-status.json` in the data directory) that `vargate
//! anchor status` and the app read ([`anchor_report`]); nothing else. A periodic anchorer also takes requests
//! to anchor at once ([`AnchorRequests`]), so that the app's "Anchor now" and the periodic rounds never send
//! two transactions for one checkpoint.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use vargate_anchor::{AnchorConfig, AnchorEvidence, Anchorer, Commitment};
use vargate_proof::{AnchorCheck, Checkpoint};
use vargate_store::{Store, StoreError, StoredAnchor};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnchoringError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Chain(#[from] vargate_anchor::AnchorError),
    /// The status file could not be read (the message names it).
    #[error("anchoring status: {0}")]
    Status(String),
    /// The periodic anchorer a request was sent to has stopped.
    #[error("the anchoring task has stopped")]
    Stopped,
}

/// What one anchoring attempt did.
#[derive(Debug, Clone, PartialEq)]
pub enum AnchorOutcome {
    Anchored(AnchorEvidence),
    /// The latest checkpoint was anchored already (the log did not grow).
    AlreadyAnchored {
        size: u64,
    },
}

/// Anchors the tenant's current state: signs a checkpoint if the log grew, sends it, writes the evidence
/// into the log.
pub async fn anchor_now(store: &Store, tenant: &str, config: &AnchorConfig) -> Result<AnchorOutcome, AnchoringError> {
    let checkpoint = store.checkpoint(tenant).await?;
    let anchors = store.anchors(tenant).await?;
    // The anchor record itself grows the log by one; anchoring that alone again would never end.
    if let Some(last) = anchors.first()
        && last.size + 1 >= checkpoint.size
    {
        return Ok(AnchorOutcome::AlreadyAnchored { size: last.size });
    }
    let key = store.anchor_key(config.chain_id).await?;
    let anchorer = Anchorer::new(config.clone(), key)?;
    let origin = store.log(tenant).await?.origin;
    let commitment = Commitment { origin, size: checkpoint.size, root: checkpoint.root };
    let evidence = anchorer.anchor(&commitment).await?;
    let value = serde_json::to_value(&evidence).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store.record_anchor(tenant, &checkpoint.note, value, &crate::ingest::now()).await?;
    Ok(AnchorOutcome::Anchored(evidence))
}

/// The address that pays for anchoring on `config`'s chain (fund it before anchoring on a real chain).
pub async fn anchor_address(store: &Store, chain_id: u64) -> Result<String, AnchoringError> {
    let key = store.anchor_key(chain_id).await?;
    Ok(vargate_anchor::address_of(&key)?)
}

/// Per tenant: the last attempt and what came of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TenantStatus {
    pub last_attempt_at: Option<String>,
    /// Consecutive failures since the last success.
    pub failures: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub last_anchored_size: Option<u64>,
    pub last_tx_hash: Option<String>,
}

/// The status file: `anchor-status.json` beside the database.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnchorStatus {
    pub rpc_url: String,
    pub chain_id: u64,
    pub tenants: BTreeMap<String, TenantStatus>,
}

impl AnchorStatus {
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join("anchor-status.json")
    }

    /// Reads the status file; a missing one is an empty status.
    pub fn load(data_dir: &Path) -> Result<AnchorStatus, String> {
        match std::fs::read(Self::path(data_dir)) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", Self::path(data_dir).display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AnchorStatus::default()),
            Err(e) => Err(format!("{}: {e}", Self::path(data_dir).display())),
        }
    }

    /// Writes the status file atomically (a reader never sees half of it).
    pub fn save(&self, data_dir: &Path) -> Result<(), String> {
        let path = Self::path(data_dir);
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Records one attempt's outcome for `tenant`.
    pub fn note(&mut self, tenant: &str, result: &Result<AnchorOutcome, AnchoringError>, now: &str) {
        let t = self.tenants.entry(tenant.to_owned()).or_default();
        t.last_attempt_at = Some(now.to_owned());
        match result {
            Ok(AnchorOutcome::Anchored(ev)) => {
                t.failures = 0;
                t.last_error = None;
                t.next_attempt_at = None;
                t.last_anchored_size = Some(ev.commitment.size);
                t.last_tx_hash = Some(ev.tx_hash.clone());
            }
            Ok(AnchorOutcome::AlreadyAnchored { size }) => {
                t.failures = 0;
                t.last_error = None;
                t.next_attempt_at = None;
                t.last_anchored_size = Some(*size);
            }
            Err(e) => {
                t.failures = t.failures.saturating_add(1);
                t.last_error = Some(e.to_string());
            }
        }
    }
}

/// Anchors the tenant's log now and notes the attempt in the status file: `vargate anchor now`. A status file
/// that cannot be written is logged, not an error (the anchor itself is in the log).
pub async fn anchor_and_note(
    store: &Store,
    data_dir: &Path,
    tenant: &str,
    config: &AnchorConfig,
) -> Result<AnchorOutcome, AnchoringError> {
    let result = anchor_now(store, tenant, config).await;
    note_attempt(data_dir, config, tenant, &result, false);
    result
}

/// Notes one attempt in the status file, read afresh so that attempts made elsewhere (`vargate anchor now`,
/// the app) are kept; after a failure of a periodic attempt (`backoff`), also when the next one is due.
/// Returns that wait.
fn note_attempt(
    data_dir: &Path,
    config: &AnchorConfig,
    tenant: &str,
    result: &Result<AnchorOutcome, AnchoringError>,
    backoff: bool,
) -> Option<Duration> {
    let mut status = AnchorStatus::load(data_dir).unwrap_or_default();
    status.rpc_url = config.rpc_url.clone();
    status.chain_id = config.chain_id;
    status.note(tenant, result, &crate::ingest::now());
    let mut retry = None;
    if let (true, Err(e), Some(t)) = (backoff, result, status.tenants.get_mut(tenant)) {
        let wait = vargate_anchor::backoff(t.failures.saturating_sub(1));
        tracing::warn!(tenant, "anchoring failed (retry in {wait:?}): {e}");
        t.next_attempt_at = Some(later(wait));
        retry = Some(wait);
    }
    if let Err(e) = status.save(data_dir) {
        tracing::warn!("anchoring status: {e}");
    }
    retry
}

/// What `vargate anchor status` and the app show of a tenant's anchoring.
#[derive(Debug, Clone, PartialEq)]
pub struct AnchorReport {
    /// The endpoint and chain of the attempts recorded in the status file (empty and 0 before any).
    pub rpc_url: String,
    pub chain_id: u64,
    /// The tenant's last attempt: when, consecutive failures, the last error, the next retry.
    pub attempts: TenantStatus,
    /// The anchors in the log, newest first.
    pub anchors: Vec<StoredAnchor>,
    /// The log's size now (0 when the tenant has no log yet).
    pub log_size: u64,
}

/// The tenant's anchors, the log's size and the recorded attempts. A tenant without a log has none.
pub async fn anchor_report(store: &Store, data_dir: &Path, tenant: &str) -> Result<AnchorReport, AnchoringError> {
    let (anchors, log_size) = match store.anchors(tenant).await {
        Ok(anchors) => (anchors, store.size(tenant).await?),
        Err(StoreError::UnknownTenant(_)) => (Vec::new(), 0),
        Err(e) => return Err(e.into()),
    };
    let status = AnchorStatus::load(data_dir).map_err(AnchoringError::Status)?;
    let attempts = status.tenants.get(tenant).cloned().unwrap_or_default();
    Ok(AnchorReport { rpc_url: status.rpc_url, chain_id: status.chain_id, attempts, anchors, log_size })
}

/// Asks a running periodic anchorer ([`spawn_anchoring`]) to anchor one tenant at once, between its rounds.
#[derive(Debug, Clone)]
pub struct AnchorRequests {
    tx: mpsc::Sender<Request>,
}

type Request = (String, oneshot::Sender<Result<AnchorOutcome, AnchoringError>>);

impl AnchorRequests {
    /// Anchors `tenant`'s log now (after the round under way, if any); the attempt is noted in the status file.
    pub async fn anchor_now(&self, tenant: &str) -> Result<AnchorOutcome, AnchoringError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send((tenant.to_owned(), reply)).await.map_err(|_| AnchoringError::Stopped)?;
        answer.await.map_err(|_| AnchoringError::Stopped)?
    }
}

/// Anchors every tenant's log every `config.interval_secs`, retrying failures with backoff, until the store
/// stops. Status goes to `data_dir`'s status file.
pub fn spawn_anchorer(store: Store, config: AnchorConfig, data_dir: PathBuf) -> tokio::task::JoinHandle<()> {
    spawn_anchoring(store, config, data_dir).0
}

/// [`spawn_anchorer`], taking requests to anchor at once between rounds: one task sends every anchoring
/// transaction, so a request and a round never anchor the same checkpoint twice.
pub fn spawn_anchoring(
    store: Store,
    config: AnchorConfig,
    data_dir: PathBuf,
) -> (tokio::task::JoinHandle<()>, AnchorRequests) {
    let (tx, mut requests) = mpsc::channel::<Request>(8);
    let task = tokio::spawn(async move {
        let interval = Duration::from_secs(config.interval_secs.max(1));
        // False once every requester is gone.
        let mut open = true;
        loop {
            let logs = match store.logs().await {
                Ok(logs) => logs,
                Err(StoreError::WriterStopped) => return,
                Err(e) => {
                    tracing::warn!("anchoring: listing logs failed: {e}");
                    Vec::new()
                }
            };
            let mut wait = interval;
            for log in logs {
                let result = anchor_now(&store, &log.tenant, &config).await;
                if let Err(AnchoringError::Store(StoreError::WriterStopped)) = result {
                    return;
                }
                if let Some(retry) = note_attempt(&data_dir, &config, &log.tenant, &result, true) {
                    wait = wait.min(retry);
                }
            }
            let next_round = tokio::time::Instant::now() + wait;
            loop {
                tokio::select! {
                    () = tokio::time::sleep_until(next_round) => break,
                    request = requests.recv(), if open => match request {
                        Some((tenant, reply)) => {
                            let result = anchor_now(&store, &tenant, &config).await;
                            let stopped = matches!(result, Err(AnchoringError::Store(StoreError::WriterStopped)));
                            if !stopped {
                                note_attempt(&data_dir, &config, &tenant, &result, false);
                            }
                            let _ = reply.send(result);
                            if stopped {
                                return;
                            }
                        }
                        None => open = false,
                    },
                }
            }
        }
    });
    (task, AnchorRequests { tx })
}

fn later(d: Duration) -> String {
    let t = time::OffsetDateTime::now_utc() + d;
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Checks a proof file's anchor evidence offline: the raw transaction decodes, hashes to its stated hash, is
/// signed by its stated sender for its stated chain, and its calldata commits to the anchored checkpoint.
#[derive(Debug, Default, Clone, Copy)]
pub struct EvmAnchorCheck;

impl AnchorCheck for EvmAnchorCheck {
    fn check(&self, evidence: &serde_json::Value, anchored: &Checkpoint) -> Result<String, String> {
        let evidence: AnchorEvidence =
            serde_json::from_value(evidence.clone()).map_err(|e| format!("the anchor evidence is malformed: {e}"))?;
        let expected = Commitment { origin: anchored.origin.clone(), size: anchored.size, root: anchored.root };
        vargate_anchor::verify_offline(&evidence, Some(&expected)).map(|c| c.detail()).map_err(|e| e.to_string())
    }
}
