//! Proofs answered from stored subtree hashes: O(log n) reads, no tree rebuild.

use crate::error::StoreError;
use crate::sessions;
use crate::store::Store;
use crate::tree;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use vargate_proof::SessionChain;
use vargate_proof::merkle::{self, Hash};
use vargate_proof::session_proof::{Entry, Node, SESSION_PROOF_FORMAT, SessionProof};
use vargate_proof::shared;

impl Store {
    /// Inclusion proof of leaf `index` in the tenant's tree of `size` leaves, leaf level first.
    pub async fn inclusion_proof(&self, tenant: &str, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        let log = self.log(tenant).await?;
        let ranges = merkle::inclusion_ranges(index, size)?;
        let mut conn = self.read.acquire().await?;
        self.ensure_size(&mut conn, &log, size).await?;
        tree::range_hashes(&mut conn, log.id, &ranges).await
    }

    /// Consistency proof between the tenant's trees of `size1` and `size2` leaves.
    pub async fn consistency_proof(&self, tenant: &str, size1: u64, size2: u64) -> Result<Vec<Hash>, StoreError> {
        let log = self.log(tenant).await?;
        let ranges = merkle::consistency_ranges(size1, size2)?;
        let mut conn = self.read.acquire().await?;
        self.ensure_size(&mut conn, &log, size2).await?;
        tree::range_hashes(&mut conn, log.id, &ranges).await
    }

    /// Root of the tenant's tree at `size` leaves, from stored hashes.
    pub async fn root_at(&self, tenant: &str, size: u64) -> Result<Hash, StoreError> {
        let log = self.log(tenant).await?;
        let mut conn = self.read.acquire().await?;
        self.ensure_size(&mut conn, &log, size).await?;
        let roots = tree::range_hashes(&mut conn, log.id, std::slice::from_ref(&(0..size))).await?;
        Ok(roots.first().copied().unwrap_or_else(merkle::empty_root))
    }

    /// A `vargate-proof/3` file for one session: signs a fresh checkpoint if the log grew since the last one,
    /// then proves every record of the session, with shared nodes, and the session's head, against it.
    pub async fn session_proof(&self, tenant: &str, session_id: &str) -> Result<SessionProof, StoreError> {
        let (checkpoint, head) = self.checkpoint_with_head(tenant, Some(session_id)).await?;
        let head = head.ok_or_else(|| StoreError::Corrupt("the writer proved no session head".into()))?;
        let log = self.log(tenant).await?;
        let unknown = || StoreError::UnknownSession { tenant: tenant.to_owned(), session: session_id.to_owned() };
        let mut conn = self.read.acquire().await?;
        // The stored head may have moved on since the checkpoint: its first `head.length` records are proved.
        let stored = sessions::head(&mut conn, log.id, session_id).await?.ok_or_else(unknown)?;
        let rows = sessions::all(&mut conn, log.id, &stored, head.length).await?;
        let Some((_, last_leaf)) = rows.last() else { return Err(unknown()) };
        if merkle::leaf_hash(last_leaf) != head.head || rows.len() as u64 != head.length {
            return Err(StoreError::Corrupt(format!(
                "session {session_id}: its records disagree with its stored head"
            )));
        }
        let indices: Vec<u64> = rows.iter().map(|(idx, _)| *idx).collect();
        let ranges = shared::shared_ranges(checkpoint.size, &indices)
            .map_err(|e| StoreError::Corrupt(format!("session {session_id}: {e}")))?;
        let hashes = tree::range_hashes(&mut conn, log.id, &ranges).await?;
        Ok(SessionProof {
            format: SESSION_PROOF_FORMAT.to_owned(),
            checkpoint: checkpoint.note,
            log_vkey: log.vkey,
            session: SessionChain {
                tenant: tenant.to_owned(),
                session_id: session_id.to_owned(),
                length: head.length,
                head: hex::encode(head.head),
                heads_proof: head.proof.iter().map(hex::encode).collect(),
            },
            entries: rows.iter().map(|(idx, leaf)| Entry { index: *idx, leaf: B64.encode(leaf) }).collect(),
            nodes: ranges.iter().zip(hashes).map(|(r, h)| Node(r.start, r.end, hex::encode(h))).collect(),
            anchor: None,
        })
    }
}
