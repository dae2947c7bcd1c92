//! Anchoring a tenant's latest signed checkpoint on an EVM chain, once or periodically, and checking anchors.
//!
//! The log never waits on the chain: anchoring runs beside it, reads a checkpoint, and writes the evidence
//! back as a record only when the transaction is in. A failing chain gives retries spaced by
//! [`vargate_anchor::backoff()`] and a status file (`anchor-status.json` in the data directory) that `vargate
//! anchor status` and the app read; nothing else.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use vargate_anchor::{AnchorConfig, AnchorEvidence, Anchorer, Commitment};
use vargate_proof::{AnchorCheck, Checkpoint};
use vargate_store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AnchoringError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Chain(#[from] vargate_anchor::AnchorError),
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

/// Anchors every tenant's log every `config.interval_secs`, retrying failures with backoff, until the store
/// stops. Status goes to `data_dir`'s status file.
pub fn spawn_anchorer(store: Store, config: AnchorConfig, data_dir: PathBuf) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let interval = std::time::Duration::from_secs(config.interval_secs.max(1));
        let mut status = AnchorStatus::load(&data_dir).unwrap_or_default();
        status.rpc_url = config.rpc_url.clone();
        status.chain_id = config.chain_id;
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
                status.note(&log.tenant, &result, &crate::ingest::now());
                if let Err(e) = &result {
                    let failures = status.tenants.get(&log.tenant).map_or(1, |t| t.failures);
                    let retry = vargate_anchor::backoff(failures.saturating_sub(1));
                    tracing::warn!(tenant = log.tenant, "anchoring failed (retry in {retry:?}): {e}");
                    wait = wait.min(retry);
                    if let Some(t) = status.tenants.get_mut(&log.tenant) {
                        t.next_attempt_at = Some(later(retry));
                    }
                }
            }
            if let Err(e) = status.save(&data_dir) {
                tracing::warn!("anchoring status: {e}");
            }
            tokio::time::sleep(wait).await;
        }
    })
}

fn later(d: std::time::Duration) -> String {
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
