//! A full audit of a tenant's log against its own bytes: every leaf hash, every stored subtree hash, every
//! session chain and every checkpoint are recomputed. O(n); for `vargate log check` and crash tests.

use crate::error::StoreError;
use crate::store::Store;
use crate::tree::is_stored_level;
use futures_lite::StreamExt as _;
use std::collections::HashMap;
use vargate_proof::merkle::{self, Frontier, Hash, Subtree};
use vargate_proof::record::AuditRecord;
use vargate_proof::{Checkpoint, NoteVerifier};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityReport {
    pub size: u64,
    pub root: Hash,
    pub sessions: usize,
    pub stored_nodes: u64,
    pub checkpoints: usize,
}

impl Store {
    pub async fn check_integrity(&self, tenant: &str) -> Result<IntegrityReport, StoreError> {
        let log = self.log(tenant).await?;
        let corrupt = |m: String| StoreError::Corrupt(m);
        let mut conn = self.read.acquire().await?;

        let mut frontier = Frontier::default();
        let mut expected_nodes: HashMap<(u32, u64), Hash> = HashMap::new();
        let mut heads: HashMap<String, (u64, Hash)> = HashMap::new();
        // Roots are only needed at the checkpointed sizes: compute those, not one per leaf.
        let checkpoints: Vec<(i64, Vec<u8>, String)> =
            sqlx::query_as("SELECT size, root, note FROM checkpoints WHERE log_id = ? ORDER BY size")
                .bind(log.id)
                .fetch_all(&mut *conn)
                .await?;
        let mut roots: HashMap<u64, Hash> = HashMap::new();
        if checkpoints.iter().any(|(size, _, _)| *size == 0) {
            roots.insert(0, merkle::empty_root());
        }
        let wanted: std::collections::HashSet<u64> = checkpoints.iter().map(|(size, _, _)| *size as u64).collect();
        {
            let mut rows = sqlx::query_as::<_, (i64, String, i64, Vec<u8>, Vec<u8>)>(
                "SELECT idx, session_id, seq, leaf_hash, leaf FROM records WHERE log_id = ? ORDER BY idx",
            )
            .bind(log.id)
            .fetch(&mut *conn);
            while let Some(row) = rows.next().await {
                let (idx, session, seq, leaf_hash, leaf) = row?;
                if idx as u64 != frontier.size() {
                    return Err(corrupt(format!("leaf index {idx} follows {}", frontier.size())));
                }
                let hash = merkle::leaf_hash(&leaf);
                if leaf_hash != hash {
                    return Err(corrupt(format!("leaf {idx}: stored hash does not match its bytes")));
                }
                let rec = AuditRecord::from_leaf(&leaf).map_err(|e| corrupt(format!("leaf {idx}: {e}")))?;
                if rec.tenant != tenant || rec.session_id != session || rec.seq != seq as u64 {
                    return Err(corrupt(format!("leaf {idx}: columns disagree with the record")));
                }
                let head = heads.get(&session).copied();
                let want_seq = head.map_or(0, |(s, _)| s + 1);
                if rec.seq != want_seq || rec.prev != head.map(|(_, h)| hex::encode(h)) {
                    return Err(corrupt(format!("leaf {idx}: session {session} chain broken at seq {}", rec.seq)));
                }
                heads.insert(session, (rec.seq, hash));
                frontier.push(hash, |s, h| {
                    if is_stored_level(s.level) {
                        expected_nodes.insert((s.level, s.index), *h);
                    }
                });
                if wanted.contains(&frontier.size()) {
                    roots.insert(frontier.size(), frontier.root());
                }
            }
        }
        let stored: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as("SELECT level, idx, hash FROM nodes WHERE log_id = ?")
            .bind(log.id)
            .fetch_all(&mut *conn)
            .await?;
        if stored.len() != expected_nodes.len() {
            return Err(corrupt(format!("{} stored subtree hashes, {} expected", stored.len(), expected_nodes.len())));
        }
        for (level, idx, hash) in &stored {
            if expected_nodes.get(&(*level as u32, *idx as u64)).map(|h| h.as_slice()) != Some(hash.as_slice()) {
                return Err(corrupt(format!(
                    "stored subtree {:?} is wrong",
                    Subtree { level: *level as u32, index: *idx as u64 }
                )));
            }
        }
        let key = NoteVerifier::parse(&log.vkey).map_err(|e| corrupt(format!("log key: {e}")))?;
        for (size, root, note) in &checkpoints {
            let cp = Checkpoint::open(note, std::slice::from_ref(&key))
                .map_err(|e| corrupt(format!("checkpoint {size}: {e}")))?;
            let want = roots.get(&(*size as u64)).copied();
            if cp.size != *size as u64 || Some(cp.root) != want || root.as_slice() != cp.root.as_slice() {
                return Err(corrupt(format!("checkpoint at size {size} does not match the log")));
            }
        }
        Ok(IntegrityReport {
            size: frontier.size(),
            root: frontier.root(),
            sessions: heads.len(),
            stored_nodes: stored.len() as u64,
            checkpoints: checkpoints.len(),
        })
    }
}
