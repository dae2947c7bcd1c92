//! Anchoring as the app shows it: where checkpoints are anchored (from the settings), the newest anchor in
//! the log, and how the last attempts went (`anchoring::anchor_report`, which `vargate anchor status` prints
//! too); and "anchor now", sent through the console's periodic anchorer so that the two never anchor one
//! checkpoint twice.

use super::{Console, ConsoleError};
use crate::anchoring::{AnchorOutcome, anchor_report};
use serde::Serialize;
use serde_json::Value;
use vargate_anchor::AnchorConfig;
use vargate_store::StoredAnchor;

/// Anchoring at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AnchoringView {
    /// The EVM JSON-RPC endpoint this console anchors on; `None`: anchoring is not configured.
    pub rpc_url: Option<String>,
    pub chain_id: Option<u32>,
    /// Blocks on top of the including block before an anchor made here counts (when configured).
    pub confirmations: Option<u32>,
    /// The account that pays for anchoring transactions on that chain (fund it on a real chain).
    pub address: Option<String>,
    /// Anchors in the log.
    pub anchors: u32,
    /// The log's size now, in records.
    pub log_size: u32,
    /// The newest anchor in the log.
    pub last: Option<AnchorView>,
    /// The last attempt (periodic, this app's or `vargate anchor now`), as the status file records it.
    pub last_attempt_at: Option<String>,
    /// The endpoint that attempt went to.
    pub attempt_rpc_url: Option<String>,
    /// Consecutive failures since the last success.
    pub failures: u32,
    pub last_error: Option<String>,
    /// When the periodic anchorer tries again after a failure.
    pub next_attempt_at: Option<String>,
}

/// One anchor: the checkpoint size it commits to and the transaction that carries it. The chain's numbers
/// are decimal strings, exact whatever their size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AnchorView {
    /// Records in the anchored checkpoint.
    pub size: u32,
    pub chain_id: String,
    pub tx_hash: String,
    pub block_number: String,
    /// The account that sent the transaction.
    pub from: String,
    /// When the anchor was written into the log.
    pub recorded_at: String,
}

/// What "anchor now" did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnchorNowView {
    /// A transaction carries the log's checkpoint; its evidence is in the log.
    Anchored { anchor: AnchorView },
    /// Nothing new to anchor: the log has not grown since its last anchor at `size`.
    AlreadyAnchored { size: u32 },
}

fn small(n: u64) -> u32 {
    n.min(u64::from(u32::MAX)) as u32
}

/// A JSON number or string as text ("?" when absent).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "?".to_owned(),
        other => other.to_string(),
    }
}

impl AnchorView {
    fn of(anchor: &StoredAnchor) -> AnchorView {
        let ev = &anchor.evidence;
        AnchorView {
            size: small(anchor.size),
            chain_id: text(&ev["chain_id"]),
            tx_hash: text(&ev["tx_hash"]),
            block_number: text(&ev["block_number"]),
            from: text(&ev["from"]),
            recorded_at: anchor.recorded_at.clone(),
        }
    }
}

impl Console {
    /// Where this console anchors, from its settings; `None` when they name no chain.
    pub(super) fn anchor_config(&self) -> Option<AnchorConfig> {
        match (&self.settings.anchor_rpc, self.settings.anchor_chain_id) {
            (Some(rpc), Some(chain)) => Some(AnchorConfig::new(rpc.clone(), u64::from(chain))),
            _ => None,
        }
    }

    /// The account that pays for anchoring on `chain_id` (this console's chain), asked of the keychain once.
    /// Best effort: a keychain that cannot give the key shows up as the anchoring error anyway.
    async fn anchor_address(&self, chain_id: u64) -> Option<String> {
        if let Some(address) = self.anchor_address.get() {
            return Some(address.clone());
        }
        match crate::anchoring::anchor_address(&self.store, chain_id).await {
            Ok(address) => Some(self.anchor_address.get_or_init(|| address).clone()),
            Err(e) => {
                tracing::warn!("the anchoring address: {e}");
                None
            }
        }
    }

    /// The tenant's anchoring: configuration, newest anchor, last attempts.
    pub async fn anchor_status(&self) -> Result<AnchoringView, ConsoleError> {
        let report = anchor_report(&self.store, &self.config.data_dir, &self.tenant).await?;
        let config = self.anchor_config();
        let address = match &config {
            Some(c) => self.anchor_address(c.chain_id).await,
            None => None,
        };
        let attempts = report.attempts;
        Ok(AnchoringView {
            rpc_url: config.as_ref().map(|c| c.rpc_url.clone()),
            chain_id: self.settings.anchor_chain_id.filter(|_| config.is_some()),
            confirmations: config.as_ref().map(|c| small(c.confirmations)),
            address,
            anchors: small(report.anchors.len() as u64),
            log_size: small(report.log_size),
            last: report.anchors.first().map(AnchorView::of),
            attempt_rpc_url: attempts.last_attempt_at.as_ref().map(|_| report.rpc_url.clone()),
            last_attempt_at: attempts.last_attempt_at,
            failures: attempts.failures,
            last_error: attempts.last_error,
            next_attempt_at: attempts.next_attempt_at,
        })
    }

    /// Anchors the tenant's log now, through the periodic anchorer (after the round under way, if any); the
    /// attempt is noted in the status file. [`ConsoleError::AnchoringOff`] when the settings name no chain.
    pub async fn anchor_now(&self) -> Result<AnchorNowView, ConsoleError> {
        let requests = self.anchoring.get().ok_or(ConsoleError::AnchoringOff)?;
        match requests.anchor_now(&self.tenant).await? {
            AnchorOutcome::Anchored(evidence) => {
                // The anchor as the log now holds it: the evidence is read back, not echoed.
                let anchors = self.store.anchors(&self.tenant).await?;
                let anchor = anchors
                    .iter()
                    .find(|a| a.evidence["tx_hash"] == evidence.tx_hash.as_str())
                    .map(AnchorView::of)
                    .ok_or_else(|| ConsoleError::Invalid(format!("anchor {} is not in the log", evidence.tx_hash)))?;
                Ok(AnchorNowView::Anchored { anchor })
            }
            AnchorOutcome::AlreadyAnchored { size } => Ok(AnchorNowView::AlreadyAnchored { size: small(size) }),
        }
    }
}
