//! One group commit's records. Chain positions, leaves and hashes are computed a chunk at a time, so that the
//! writer prepares the next chunk while SQLite inserts the previous one on sqlx's worker thread (both in the
//! same transaction: nothing is acknowledged before its commit, and a failure fails the whole batch).

use super::index::{self, HeadRow, Run};
use super::{LogState, Pending};
use crate::error::StoreError;
use crate::store::Appended;
use crate::tree;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use vargate_proof::merkle::{Frontier, Hash, Subtree};

/// Records per INSERT statement, and so per step of the pipeline.
pub(super) const CHUNK: usize = 2048;
// SQLite allows 32766 bound parameters per statement.
const NODE_ROWS_PER_INSERT: usize = 32766 / 4;
const SESSION_ROWS_PER_INSERT: usize = 32766 / 2;

/// One `records` row.
pub(super) struct Row {
    log_id: i64,
    index: u64,
    session: i64,
    seq: u64,
    prev_idx: Option<u64>,
    leaf: Vec<u8>,
    leaf_hash: Hash,
}

/// A session as the batch moves it on, applied to the writer's state only after the commit.
pub(super) struct Moved {
    pub id: i64,
    /// (seq, leaf hash, index) of the session's last record.
    pub head: Option<(u64, Hash, u64)>,
    /// Leaf indices this batch appended to the session.
    pub added: Vec<u64>,
}

/// Ids of the sessions a batch interns, by (log id, name).
pub(super) type NewIds<'a> = HashMap<(i64, &'a str), i64>;

/// Interns the batch's new sessions, in its transaction: SQLite numbers them under its write lock, so ids stay
/// unique even while another process writes another log of the same file.
pub(super) async fn intern<'a>(
    conn: &mut SqliteConnection,
    logs: &HashMap<String, LogState>,
    jobs: &'a [(&'a str, &'a [Pending])],
) -> Result<NewIds<'a>, StoreError> {
    // New sessions are numbered in the order they first appear in the batch, so ids do not depend on hash
    // order (and a rerun of the same appends interns the same ids).
    let mut new: NewIds<'a> = HashMap::new();
    let mut names: Vec<(i64, &str)> = Vec::new();
    for (tenant, records) in jobs {
        let Some(state) = logs.get(*tenant) else { continue };
        for r in records.iter().filter(|r| !state.sessions.contains_key(&r.session_id)) {
            let key = (state.info.id, r.session_id.as_str());
            if new.insert(key, 0).is_none() {
                names.push(key);
            }
        }
    }
    let mut ids = HashMap::with_capacity(names.len());
    for chunk in names.chunks(SESSION_ROWS_PER_INSERT) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("INSERT INTO sessions (log_id, name) ");
        qb.push_values(chunk, |mut b, (log_id, name)| {
            b.push_bind(*log_id).push_bind(*name);
        });
        qb.push(" RETURNING log_id, name, id");
        let rows: Vec<(i64, String, i64)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        ids.extend(rows.into_iter().map(|(log_id, name, id)| ((log_id, name), id)));
    }
    for ((log_id, name), slot) in &mut new {
        *slot = ids
            .get(&(*log_id, (*name).to_owned()))
            .copied()
            .ok_or_else(|| StoreError::Corrupt(format!("interning session \"{name}\" returned no id")))?;
    }
    Ok(new)
}

pub(super) struct Builder<'l, 'a> {
    logs: &'l HashMap<String, LogState>,
    /// (job, tenant, record) of every record whose log is loaded, in order.
    todo: std::vec::IntoIter<(usize, &'a str, &'a Pending)>,
    new_ids: &'l NewIds<'a>,
    pub frontiers: HashMap<String, Frontier>,
    pub moved: HashMap<(&'a str, &'a str), Moved>,
    pub nodes: Vec<(i64, Subtree, Hash)>,
    /// Per job: its acknowledgements, or `None` when its log is not loaded.
    pub acks: Vec<Option<Vec<Appended>>>,
    pub records: u64,
}

impl<'l, 'a> Builder<'l, 'a> {
    pub(super) fn new(
        logs: &'l HashMap<String, LogState>,
        jobs: &'a [(&'a str, &'a [Pending])],
        new_ids: &'l NewIds<'a>,
    ) -> Self {
        let loaded = |t: &str| logs.contains_key(t);
        let todo: Vec<_> = jobs
            .iter()
            .enumerate()
            .filter(|(_, (t, _))| loaded(t))
            .flat_map(|(j, (t, recs))| recs.iter().map(move |r| (j, *t, r)))
            .collect();
        Builder {
            logs,
            todo: todo.into_iter(),
            new_ids,
            frontiers: HashMap::new(),
            moved: HashMap::new(),
            nodes: Vec::new(),
            acks: jobs.iter().map(|(t, r)| loaded(t).then(|| Vec::with_capacity(r.len()))).collect(),
            records: 0,
        }
    }

    /// The rows of the next `n` records; empty once every record has one.
    pub(super) fn rows(&mut self, n: usize) -> Result<Vec<Row>, StoreError> {
        let mut rows = Vec::with_capacity(n);
        for (job, tenant, rec) in self.todo.by_ref().take(n) {
            let Some(state) = self.logs.get(tenant) else { continue };
            let log_id = state.info.id;
            let frontier = self.frontiers.entry(tenant.to_owned()).or_insert_with(|| state.frontier.clone());
            let name = rec.session_id.as_str();
            let session = match self.moved.entry((tenant, name)) {
                Entry::Occupied(e) => e.into_mut(),
                // Every session's head is in memory: a session in neither map is new, interned by `intern`.
                Entry::Vacant(e) => e.insert(match state.sessions.get(name) {
                    Some(s) => Moved { id: s.id, head: Some((s.seq, s.hash, s.idx)), added: vec![] },
                    None => {
                        let id = self.new_ids.get(&(log_id, name)).copied().filter(|id| *id > 0);
                        let id = id.ok_or_else(|| StoreError::Corrupt(format!("session {name} was not interned")))?;
                        Moved { id, head: None, added: vec![] }
                    }
                }),
            };
            let seq = session.head.map_or(0, |(s, _, _)| s + 1);
            let leaf = rec.fields.leaf(seq, session.head.as_ref().map(|(_, h, _)| h));
            let leaf_hash = vargate_proof::merkle::leaf_hash(&leaf);
            let index = frontier.size();
            let nodes = &mut self.nodes;
            frontier.push(leaf_hash, |s, h| {
                if tree::is_stored_level(s.level) {
                    nodes.push((log_id, s, *h));
                }
            });
            let prev_idx = session.head.map(|(_, _, i)| i);
            session.head = Some((seq, leaf_hash, index));
            session.added.push(index);
            if let Some(Some(acks)) = self.acks.get_mut(job) {
                acks.push(Appended { index, seq, leaf_hash });
            }
            rows.push(Row { log_id, index, session: session.id, seq, prev_idx, leaf, leaf_hash });
        }
        self.records += rows.len() as u64;
        Ok(rows)
    }

    /// The index runs the batch completes (written with it; shorter ones stay in memory) and the moved heads.
    pub(super) fn sessions(&self) -> (Vec<Run>, Vec<HeadRow>) {
        let mut runs = Vec::new();
        let mut heads = Vec::with_capacity(self.moved.len());
        for ((tenant, name), m) in &self.moved {
            let known = self.logs.get(*tenant).and_then(|l| l.sessions.get(*name));
            let (indexed, pending) = known.map_or((0, &[][..]), |s| (s.indexed, s.pending.as_slice()));
            let indexed = index::full_runs(m.id, indexed, pending, &m.added, &mut runs);
            if let Some((seq, hash, idx)) = m.head {
                heads.push((m.id, seq, hash, idx, indexed));
            }
        }
        heads.sort_unstable_by_key(|h| h.0);
        (runs, heads)
    }
}

pub(super) async fn insert_records(conn: &mut SqliteConnection, rows: &[Row]) -> Result<(), StoreError> {
    let mut qb: QueryBuilder<Sqlite> =
        QueryBuilder::new("INSERT INTO records (log_id, idx, session, seq, prev_idx, leaf_hash, leaf) ");
    qb.push_values(rows, |mut b, r| {
        b.push_bind(r.log_id)
            .push_bind(r.index as i64)
            .push_bind(r.session)
            .push_bind(r.seq as i64)
            .push_bind(r.prev_idx.map(|i| i as i64))
            .push_bind(r.leaf_hash.as_slice())
            .push_bind(r.leaf.as_slice());
    });
    qb.build().execute(&mut *conn).await?;
    Ok(())
}

pub(super) async fn insert_nodes(
    conn: &mut SqliteConnection,
    nodes: &[(i64, Subtree, Hash)],
) -> Result<(), StoreError> {
    for chunk in nodes.chunks(NODE_ROWS_PER_INSERT) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new("INSERT INTO nodes (log_id, level, idx, hash) ");
        qb.push_values(chunk, |mut b, (log_id, s, h)| {
            b.push_bind(*log_id).push_bind(i64::from(s.level)).push_bind(s.index as i64).push_bind(h.as_slice());
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}
