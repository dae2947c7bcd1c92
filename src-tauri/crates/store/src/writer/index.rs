//! The writer's side of the session index (see `crate::sessions`): every session's records not yet in
//! `session_index` are kept in memory, and written as one run when a session has [`RUN`] of them (in the
//! append's own transaction: one row per 1024 records), or for every session when the log has grown by
//! [`FLUSH_EVERY`] records (a transaction of its own, after the appends are acknowledged). The flush bounds
//! how much of the log a restart reads back (`rebuild`) and what the writer holds; neither kind of write
//! costs a page per appended record, which is what the old per-session B-tree did once it outgrew the cache.

use super::Writer;
use super::bound::{Bound, MultiRow};
use crate::error::StoreError;
use crate::sessions::{RUN, encode};
use futures_lite::StreamExt as _;
use sqlx::{Arguments as _, Connection, SqliteConnection};
use std::collections::HashMap;
use vargate_proof::merkle::Hash;

/// The log grows by this many records between flushes of every session's unindexed records. Debug builds
/// (the tests) flush every 4,096, so that every test, the crash test included, goes through flushes.
pub(crate) const FLUSH_EVERY: u64 = if cfg!(debug_assertions) { 1 << 12 } else { 1 << 18 };

/// What the writer keeps of a session: its id, head, and the leaf indices not yet in `session_index`.
#[derive(Debug, Clone)]
pub(super) struct Session {
    pub id: i64,
    pub seq: u64,
    pub hash: Hash,
    pub idx: u64,
    /// Records (from seq 0) in `session_index`; `indexed + pending.len() == seq + 1`.
    pub indexed: u64,
    pub pending: Vec<u64>,
}

/// One `session_index` row.
pub(super) struct Run {
    pub session: i64,
    pub first_seq: u64,
    pub idxs: Vec<u8>,
}

/// One `session_heads` row: (session, seq, idx, indexed).
pub(super) type HeadRow = (i64, u64, u64, u64);

/// The full runs a session completes when `added` follows its `pending` records, and its new `indexed`.
pub(super) fn full_runs(session: i64, indexed: u64, pending: &[u64], added: &[u64], out: &mut Vec<Run>) -> u64 {
    let total = pending.len() + added.len();
    if total < RUN as usize {
        return indexed;
    }
    let all: Vec<u64> = pending.iter().chain(added).copied().collect();
    let mut first_seq = indexed;
    for run in all.chunks_exact(RUN as usize) {
        let mut idxs = Vec::with_capacity(run.len() * 5);
        encode(run, &mut idxs);
        out.push(Run { session, first_seq, idxs });
        first_seq += RUN;
    }
    first_seq
}

impl Session {
    pub(super) fn new(id: i64) -> Self {
        Session { id, seq: 0, hash: [0; 32], idx: 0, indexed: 0, pending: Vec::new() }
    }

    /// Takes in what a committed batch appended; drops what went into runs.
    pub(super) fn advance(&mut self, head: (u64, Hash, u64), added: &[u64]) {
        (self.seq, self.hash, self.idx) = head;
        self.pending.extend_from_slice(added);
        let full = self.pending.len() / RUN as usize * RUN as usize;
        self.pending.drain(..full);
        self.indexed += full as u64;
    }
}

const RUNS: MultiRow =
    MultiRow { prefix: "INSERT INTO session_index (session, first_seq, idxs)", columns: 3, suffix: "" };
const HEADS: MultiRow = MultiRow {
    prefix: "INSERT INTO session_heads (session, seq, idx, indexed)",
    columns: 4,
    suffix: " ON CONFLICT (session) DO UPDATE SET seq = excluded.seq, idx = excluded.idx, indexed = excluded.indexed",
};

/// The runs, bound (their index lists moved into the arguments).
pub(super) fn bind_runs(runs: Vec<Run>) -> Result<Vec<Bound>, StoreError> {
    RUNS.bind(runs, usize::MAX, |args, r| {
        args.add(r.session)?;
        args.add(r.first_seq as i64)?;
        args.add(r.idxs)
    })
}

/// The heads, bound.
pub(super) fn bind_heads(heads: &[HeadRow]) -> Result<Vec<Bound>, StoreError> {
    HEADS.bind(heads, usize::MAX, |args, (session, seq, idx, indexed)| {
        args.add(*session)?;
        args.add(*seq as i64)?;
        args.add(*idx as i64)?;
        args.add(*indexed as i64)
    })
}

/// A session as `load_sessions` reads it: id, name, seq, idx, indexed, and the session and leaf hash of the
/// record at idx (none if there is no such record).
type LoadedHead = (i64, String, i64, i64, i64, Option<i64>, Option<Vec<u8>>);

/// Every session of a log, by name, with the records not yet in runs read back from `records` at and after
/// the log's flushed size (fewer than [`FLUSH_EVERY`] plus a batch). Returns them and that size.
pub(super) async fn load_sessions(
    conn: &mut SqliteConnection,
    log_id: i64,
) -> Result<(super::FastMap<String, Session>, u64), StoreError> {
    // Each head's leaf hash is its record's (the heads table does not keep it: see migration 0007).
    let rows: Vec<LoadedHead> = sqlx::query_as(
        "SELECT s.id, s.name, h.seq, h.idx, h.indexed, r.session, r.leaf_hash FROM sessions s \
           JOIN session_heads h ON h.session = s.id \
           LEFT JOIN records r ON r.log_id = s.log_id AND r.idx = h.idx WHERE s.log_id = ?",
    )
    .bind(log_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut names = HashMap::with_capacity(rows.len());
    let mut sessions = super::FastMap::with_capacity_and_hasher(rows.len(), Default::default());
    for (id, name, seq, idx, indexed, owner, hash) in rows {
        let bad = |what: &str| StoreError::Corrupt(format!("session {name}: its head, leaf {idx}, {what}"));
        if owner != Some(id) {
            return Err(bad(if owner.is_none() { "is not in the log" } else { "is another session's record" }));
        }
        let hash = hash.and_then(|h| h.try_into().ok()).ok_or_else(|| bad("has no 32-byte leaf hash"))?;
        let (seq, idx, indexed) = (seq as u64, idx as u64, indexed as u64);
        names.insert(id, name.clone());
        sessions.insert(name, Session { id, seq, hash, idx, indexed, pending: Vec::new() });
    }
    let flushed: Option<i64> = sqlx::query_scalar("SELECT size FROM session_index_size WHERE log_id = ?")
        .bind(log_id)
        .fetch_optional(&mut *conn)
        .await?;
    let flushed = flushed.unwrap_or(0) as u64;
    let mut tail = sqlx::query_as::<_, (i64, i64, i64)>(
        "SELECT session, seq, idx FROM records WHERE log_id = ? AND idx >= ? ORDER BY idx",
    )
    .bind(log_id)
    .bind(flushed as i64)
    .fetch(&mut *conn);
    while let Some(row) = tail.next().await {
        let (id, seq, idx) = row?;
        let s = names.get(&id).and_then(|name| sessions.get_mut(name));
        let s = s.ok_or_else(|| StoreError::Corrupt(format!("leaf {idx}: unknown session {id}")))?;
        if seq as u64 >= s.indexed {
            s.pending.push(idx as u64);
        }
    }
    drop(tail);
    if let Some((name, _)) = sessions.iter().find(|(_, s)| s.indexed + s.pending.len() as u64 != s.seq + 1) {
        return Err(StoreError::Corrupt(format!("session {name}: its index and records disagree")));
    }
    Ok((sessions, flushed))
}

impl Writer {
    /// Writes every session's unindexed records as runs, if the log grew by [`FLUSH_EVERY`] since the last
    /// flush. The appends it follows are already acknowledged; a failure only makes the writer reload.
    pub(super) async fn flush_index(&mut self, tenant: &str) -> Result<(), StoreError> {
        let Some(state) = self.logs.get(tenant) else { return Ok(()) };
        let size = state.frontier.size();
        if size - state.flushed < FLUSH_EVERY {
            return Ok(());
        }
        let mut runs = Vec::new();
        let mut heads = Vec::new();
        for s in state.sessions.values().filter(|s| !s.pending.is_empty()) {
            let mut idxs = Vec::with_capacity(s.pending.len() * 5);
            encode(&s.pending, &mut idxs);
            runs.push(Run { session: s.id, first_seq: s.indexed, idxs });
            heads.push((s.id, s.seq, s.idx, s.indexed + s.pending.len() as u64));
        }
        runs.sort_unstable_by_key(|r| r.session);
        heads.sort_unstable_by_key(|h| h.0);
        let log_id = state.info.id;
        let mut tx = self.conn.begin().await?;
        let mut statements = bind_runs(runs)?;
        statements.extend(bind_heads(&heads)?);
        super::bound::run(&mut tx, statements).await?;
        sqlx::query(
            "INSERT INTO session_index_size (log_id, size) VALUES (?, ?) \
             ON CONFLICT (log_id) DO UPDATE SET size = excluded.size",
        )
        .bind(log_id)
        .bind(size as i64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if let Some(state) = self.logs.get_mut(tenant) {
            for s in state.sessions.values_mut().filter(|s| !s.pending.is_empty()) {
                s.indexed += s.pending.len() as u64;
                s.pending = Vec::new();
            }
            state.flushed = size;
        }
        Ok(())
    }
}
