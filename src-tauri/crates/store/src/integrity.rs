//! A full audit of a tenant's log against its own bytes: every leaf hash, every stored subtree hash, every
//! session chain (with its interned id and `prev_idx` links), every checkpoint and its session-heads
//! commitment, the stored heads and the session index are recomputed. O(n); for `vargate log check` and
//! crash tests.

use crate::error::StoreError;
use crate::store::Store;
use crate::tree::is_stored_level;
use futures_lite::StreamExt as _;
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use vargate_proof::heads::HeadsMap;
use vargate_proof::merkle::{self, Frontier, Hash};
use vargate_proof::record::AuditRecord;
use vargate_proof::{Checkpoint, HeadsCommitment, NoteVerifier};

/// A session's last record as the check recomputes it: (seq, leaf hash, index, interned id).
type Last = (u64, Hash, u64, i64);

fn heads_root(heads: &HashMap<String, Last>) -> Hash {
    HeadsMap::new(heads.iter().map(|(id, (seq, h, _, _))| (id.as_str(), seq + 1, *h))).root()
}

/// A `session_heads` row: seq, index, how many records are in the session index. (Its leaf hash is the
/// record's at that index, which the check recomputes.)
type StoredHead = (i64, i64, i64);

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
        // One read transaction: records, heads and index from one snapshot, even while the writer appends.
        let mut conn = self.read.begin().await?;

        let mut frontier = Frontier::default();
        let mut expected_nodes: HashMap<(u32, u64), Hash> = HashMap::new();
        let mut heads: HashMap<String, Last> = HashMap::new();
        let names: HashMap<i64, String> = sqlx::query_as("SELECT id, name FROM sessions WHERE log_id = ?")
            .bind(log.id)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
        let stored_heads: HashMap<i64, StoredHead> = sqlx::query_as::<_, (i64, i64, i64, i64)>(
            "SELECT h.session, h.seq, h.idx, h.indexed FROM session_heads h \
               JOIN sessions s ON s.id = h.session WHERE s.log_id = ?",
        )
        .bind(log.id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(id, seq, idx, indexed)| (id, (seq, idx, indexed)))
        .collect();
        let indexed = |id: i64| stored_heads.get(&id).map_or(0, |h| h.2 as u64);
        let flushed: u64 = sqlx::query_scalar::<_, i64>("SELECT size FROM session_index_size WHERE log_id = ?")
            .bind(log.id)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or(0) as u64;
        // Per session, the digest of the leaf indices the session index must hold, in seq order.
        let mut want_index: HashMap<i64, Sha256> = HashMap::new();
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
            let mut rows = sqlx::query_as::<_, (i64, i64, i64, Option<i64>, Vec<u8>, Vec<u8>)>(
                "SELECT idx, session, seq, prev_idx, leaf_hash, leaf FROM records WHERE log_id = ? ORDER BY idx",
            )
            .bind(log.id)
            .fetch(&mut *conn);
            while let Some(row) = rows.next().await {
                let (idx, id, seq, prev_idx, leaf_hash, leaf) = row?;
                let session =
                    names.get(&id).ok_or_else(|| corrupt(format!("leaf {idx}: session {id} is not in this log")))?;
                if idx as u64 != frontier.size() {
                    return Err(corrupt(format!("leaf index {idx} follows {}", frontier.size())));
                }
                let hash = merkle::leaf_hash(&leaf);
                if leaf_hash != hash {
                    return Err(corrupt(format!("leaf {idx}: stored hash does not match its bytes")));
                }
                let rec = AuditRecord::from_leaf(&leaf).map_err(|e| corrupt(format!("leaf {idx}: {e}")))?;
                if rec.tenant != tenant || rec.session_id != *session || rec.seq != seq as u64 {
                    return Err(corrupt(format!("leaf {idx}: columns disagree with the record")));
                }
                let head = heads.get(session).copied();
                let want_seq = head.map_or(0, |(s, ..)| s + 1);
                if rec.seq != want_seq || rec.prev != head.map(|(_, h, ..)| hex::encode(h)) {
                    return Err(corrupt(format!("leaf {idx}: session {session} chain broken at seq {}", rec.seq)));
                }
                if prev_idx.map(|p| p as u64) != head.map(|(_, _, i, _)| i) {
                    return Err(corrupt(format!("leaf {idx}: prev_idx is not the session's previous record")));
                }
                if rec.seq < indexed(id) {
                    want_index.entry(id).or_default().update(crate::sessions::idx_bytes(idx as u64));
                } else if (idx as u64) < flushed {
                    return Err(corrupt(format!("leaf {idx}: below the flushed size but not in the session index")));
                }
                heads.insert(session.clone(), (rec.seq, hash, idx as u64, id));
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
        let matches = stored_heads.len() == heads.len()
            && names.len() == heads.len()
            && heads.values().all(|(seq, _, idx, id)| {
                stored_heads.get(id).is_some_and(|(s, i, indexed)| {
                    (*s as u64, *i as u64) == (*seq, *idx)
                        && (*indexed as u64) <= seq + 1
                        && seq + 1 - (*indexed as u64) < crate::sessions::RUN
                })
            });
        if !matches {
            return Err(corrupt("the session_heads table disagrees with the records".into()));
        }
        check_index(&mut conn, log.id, &stored_heads, want_index).await?;
        Ok(IntegrityReport {
            size: frontier.size(),
            root: frontier.root(),
            sessions: heads.len(),
            stored_nodes: stored.len() as u64,
            checkpoints: checkpoints.len(),
        })
    }
}

/// The session index holds, for each session of the log, exactly the leaf indices of its first `indexed`
/// records in seq order, in contiguous runs (compared by digest, so memory stays O(sessions)).
async fn check_index(
    conn: &mut sqlx::SqliteConnection,
    log_id: i64,
    heads: &HashMap<i64, StoredHead>,
    want: HashMap<i64, Sha256>,
) -> Result<(), StoreError> {
    let mut found: HashMap<i64, (u64, Sha256)> = HashMap::new();
    let mut runs = sqlx::query_as::<_, (i64, i64, Vec<u8>)>(
        "SELECT i.session, i.first_seq, i.idxs FROM session_index i JOIN sessions s ON s.id = i.session \
          WHERE s.log_id = ? ORDER BY i.session, i.first_seq",
    )
    .bind(log_id)
    .fetch(&mut *conn);
    while let Some(row) = runs.next().await {
        let (id, first, run) = row?;
        let count = crate::sessions::decode(&run)?.len() as u64;
        let (next, digest) = found.entry(id).or_default();
        if first as u64 != *next {
            return Err(StoreError::Corrupt(format!("session {id}: its index runs are not contiguous at seq {first}")));
        }
        *next += count;
        digest.update(&run);
    }
    drop(runs);
    let mut want = want;
    for (id, (_, _, indexed)) in heads {
        let (count, got) = found.remove(id).unwrap_or_default();
        let expected = want.remove(id).unwrap_or_default();
        if count != *indexed as u64 || got.finalize() != expected.finalize() {
            return Err(StoreError::Corrupt(format!("session {id}: the session index disagrees with its records")));
        }
    }
    if !found.is_empty() || !want.is_empty() {
        return Err(StoreError::Corrupt("the session index names sessions without heads".into()));
    }
    Ok(())
}
