//! A full audit of a tenant's log against its own bytes: every leaf hash, every stored subtree hash, every
//! session chain, every checkpoint and its session-heads commitment are recomputed. O(n); for `vargate log check` and crash tests.

use crate::error::StoreError;
use crate::store::Store;
use crate::tree::is_stored_level;
use futures_lite::StreamExt as _;
use std::collections::HashMap;
use vargate_proof::heads::HeadsMap;
use vargate_proof::merkle::{self, Frontier, Hash};
use vargate_proof::record::AuditRecord;
use vargate_proof::{Checkpoint, HeadsCommitment, NoteVerifier};

fn heads_root(heads: &HashMap<String, (u64, Hash)>) -> Hash {
    HeadsMap::new(heads.iter().map(|(id, (seq, h))| (id.as_str(), seq + 1, *h))).root()
}

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
        let checkpoints: Vec<crate::store::CheckpointRow> =
            sqlx::query_as("SELECT size, root, heads_root, note FROM checkpoints WHERE log_id = ? ORDER BY size, id")
                .bind(log.id)
                .fetch_all(&mut *conn)
                .await?;
        // (tree root, session-heads root) at each checkpointed size.
        let mut roots: HashMap<u64, (Hash, Hash)> = HashMap::new();
        if checkpoints.iter().any(|(size, ..)| *size == 0) {
            roots.insert(0, (merkle::empty_root(), heads_root(&heads)));
        }
        let wanted: std::collections::HashSet<u64> = checkpoints.iter().map(|(size, ..)| *size as u64).collect();
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
                    roots.insert(frontier.size(), (frontier.root(), heads_root(&heads)));
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
                return Err(corrupt(format!("the stored subtree hash at level {level}, index {idx} is wrong")));
            }
        }
        let key = NoteVerifier::parse(&log.vkey).map_err(|e| corrupt(format!("log key: {e}")))?;
        for (size, root, stored_heads, note) in &checkpoints {
            let cp = Checkpoint::open(note, std::slice::from_ref(&key))
                .map_err(|e| corrupt(format!("checkpoint {size}: {e}")))?;
            let (want_root, want_heads) = roots.get(&(*size as u64)).copied().unzip();
            if cp.size != *size as u64 || Some(cp.root) != want_root || root.as_slice() != cp.root.as_slice() {
                return Err(corrupt(format!("checkpoint at size {size} does not match the log")));
            }
            let committed = match cp.heads() {
                HeadsCommitment::Root(h) => Some(h),
                HeadsCommitment::Absent => None,
                HeadsCommitment::Malformed => return Err(corrupt(format!("checkpoint {size}: malformed heads line"))),
            };
            if committed.is_some() && committed != want_heads
                || stored_heads.as_deref() != committed.as_ref().map(|h| h.as_slice())
            {
                return Err(corrupt(format!(
                    "checkpoint at size {size} commits to session heads the log does not have"
                )));
            }
        }
        let stored_heads = sqlx::query_as::<_, (String, i64, Vec<u8>)>(
            "SELECT session_id, seq, leaf_hash FROM session_heads WHERE log_id = ?",
        )
        .bind(log.id)
        .fetch_all(&mut *conn)
        .await?;
        let matches = stored_heads.len() == heads.len()
            && stored_heads.iter().all(|(session, seq, hash)| {
                heads.get(session).is_some_and(|(s, h)| *s == *seq as u64 && h.as_slice() == hash.as_slice())
            });
        if !matches {
            return Err(corrupt("the session_heads table disagrees with the records".into()));
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
