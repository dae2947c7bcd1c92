//! Anchors as the log keeps them: each successful anchoring is a record of its own (session
//! [`ANCHOR_SESSION`], type [`ANCHOR_KIND`]) holding the anchored checkpoint and the transaction's evidence, so
//! the log itself proves when it was anchored. The key that signs anchoring transactions is a 32-byte secret
//! in the keychain, beside the tenants' data keys.

use crate::error::StoreError;
use crate::store::{NewRecord, Store};
use crate::writer::Command;
use serde_json::{Value, json};
use vargate_proof::{AnchorSection, Checkpoint};

pub const ANCHOR_SESSION: &str = "vargate:anchor";
pub const ANCHOR_KIND: &str = "vargate.anchor";

/// An anchor read back from the log.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAnchor {
    /// The anchored checkpoint, a signed note.
    pub checkpoint: String,
    pub size: u64,
    pub evidence: Value,
    /// When the anchor record was written.
    pub recorded_at: String,
}

impl Store {
    /// Writes an anchor's evidence into the log as a record.
    pub async fn record_anchor(
        &self,
        tenant: &str,
        checkpoint: &str,
        evidence: Value,
        at: &str,
    ) -> Result<(), StoreError> {
        let record = NewRecord {
            session_id: ANCHOR_SESSION.to_owned(),
            ts: at.to_owned(),
            kind: ANCHOR_KIND.to_owned(),
            source: "anchor".to_owned(),
            decision: "observed".to_owned(),
            payload: json!({ "checkpoint": checkpoint, "evidence": evidence }),
        };
        self.append(tenant, record).await.map(|_| ())
    }

    /// The tenant's anchors, newest first.
    pub async fn anchors(&self, tenant: &str) -> Result<Vec<StoredAnchor>, StoreError> {
        let log = self.log(tenant).await?;
        let mut conn = self.read.acquire().await?;
        let Some(head) = crate::sessions::head(&mut conn, log.id, ANCHOR_SESSION).await? else { return Ok(Vec::new()) };
        let rows = crate::sessions::all(&mut conn, log.id, &head, head.len()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for (_, leaf) in rows.into_iter().rev() {
            let record =
                vargate_proof::AuditRecord::from_leaf(&leaf).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let note = record.payload["checkpoint"].as_str().unwrap_or_default().to_owned();
            let size = Checkpoint::read_unverified(&note)
                .map(|c| c.size)
                .ok()
                .ok_or_else(|| StoreError::Corrupt("an anchor record holds no readable checkpoint".into()))?;
            out.push(StoredAnchor {
                checkpoint: note,
                size,
                evidence: record.payload["evidence"].clone(),
                recorded_at: record.ts,
            });
        }
        Ok(out)
    }

    /// The proof file's anchor section for a checkpoint of `size`: the newest anchor at or below that size,
    /// with the consistency proof from it.
    pub async fn anchor_section(&self, tenant: &str, size: u64) -> Result<Option<AnchorSection>, StoreError> {
        let Some(anchor) = self.anchors(tenant).await?.into_iter().find(|a| a.size <= size && a.size > 0) else {
            return Ok(None);
        };
        let proof = self.consistency_proof(tenant, anchor.size, size).await?;
        Ok(Some(AnchorSection {
            checkpoint: anchor.checkpoint,
            consistency_proof: proof.iter().map(hex::encode).collect(),
            evidence: anchor.evidence,
        }))
    }

    /// The secret key that signs anchoring transactions on chain `chain_id`, created on first use.
    pub async fn anchor_key(&self, chain_id: u64) -> Result<[u8; 32], StoreError> {
        let name = format!("vargate-anchor/{chain_id}");
        self.ask(|reply| Command::AnchorKey { name, reply }).await
    }
}
