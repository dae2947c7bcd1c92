//! One group commit's records. Chain positions, leaves and hashes are computed a chunk at a time, so that the
//! writer prepares the next chunk while SQLite inserts the previous one on sqlx's worker thread (both in the
//! same transaction: nothing is acknowledged before its commit, and a failure fails the whole batch).

use super::bound::{Bound, MultiRow};
use super::index::{self, HeadRow, Run};
use super::{FastMap, LogState, Pending};
use crate::error::StoreError;
use crate::store::Appended;
use crate::tree;
use sqlx::{Arguments as _, SqliteConnection};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use vargate_proof::merkle::{Frontier, Hash, Subtree};

/// The most records per INSERT statement, and so per step of the pipeline.
pub(super) const CHUNK: usize = 2048;
/// The first statement is short (SQLite waits for its rows); each next one is twice as long, up to [`CHUNK`]:
/// the writer binds a row in about half the time SQLite takes to insert one, so the chunk it binds while
/// SQLite inserts the last is ready about when SQLite is. (Full chunks from the second on left SQLite idle
/// for ~3.5 ms a commit while the writer bound 2,048 rows; doubling was 9% faster in an A/B of 6 × 3 rounds.
/// A first chunk of 64 was slower, of 512 no different.)
pub(super) const FIRST_CHUNK: usize = 256;

const RECORDS: MultiRow = MultiRow {
    prefix: "INSERT INTO records (log_id, idx, session, seq, prev_idx, leaf_hash, leaf)",
    columns: 7,
    suffix: "",
};
const SESSIONS: MultiRow =
    MultiRow { prefix: "INSERT INTO sessions (log_id, name)", columns: 2, suffix: " RETURNING log_id, name, id" };
const NODES: MultiRow = MultiRow { prefix: "INSERT INTO nodes (log_id, level, idx, hash)", columns: 4, suffix: "" };

/// The rows as one insert (or two, past SQLite's parameter limit), their leaves moved into the arguments.
fn bind(rows: Vec<Row>) -> Result<Vec<Bound>, StoreError> {
    RECORDS.bind(rows, usize::MAX, |args, r| {
        args.add(r.log_id)?;
        args.add(r.index as i64)?;
        args.add(r.session)?;
        args.add(r.seq as i64)?;
        args.add(r.prev_idx.map(|i| i as i64))?;
        args.add(r.leaf_hash.to_vec())?;
        args.add(r.leaf)
    })
}

/// The batch's Merkle nodes, bound.
pub(super) fn bind_nodes(nodes: &[(i64, Subtree, Hash)]) -> Result<Vec<Bound>, StoreError> {
    NODES.bind(nodes, usize::MAX, |args, (log_id, s, h)| {
        args.add(*log_id)?;
        args.add(i64::from(s.level))?;
        args.add(s.index as i64)?;
        args.add(h.to_vec())
    })
}

/// One `records` row.
struct Row {
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
pub(super) type NewIds<'a> = FastMap<(i64, &'a str), i64>;

/// The batch's sessions that its logs do not know yet, in the order they first appear (so ids do not depend
/// on hash order, and a rerun of the same appends interns the same ids).
pub(super) fn new_sessions<'a>(
    logs: &FastMap<String, LogState>,
    jobs: &'a [(&'a str, &'a [Pending])],
) -> Vec<(i64, &'a str)> {
    let mut seen = std::collections::HashSet::<_, foldhash::fast::RandomState>::default();
    let mut names = Vec::new();
    for (tenant, records) in jobs {
        let Some(state) = logs.get(*tenant) else { continue };
        for r in records.iter().filter(|r| !state.sessions.contains_key(&r.session_id)) {
            let key = (state.info.id, r.session_id.as_str());
            if seen.insert(key) {
                names.push(key);
            }
        }
    }
    names
}

/// Interns new sessions (from [`new_sessions`]) in the batch's transaction: SQLite numbers them under its
/// write lock, so ids stay unique even while another process writes another log of the same file.
pub(super) async fn intern<'a>(
    conn: &mut SqliteConnection,
    names: &[(i64, &'a str)],
) -> Result<NewIds<'a>, StoreError> {
    let mut ids = HashMap::with_capacity(names.len());
    let statements = SESSIONS.bind(names, usize::MAX, |args, (log_id, name)| {
        args.add(*log_id)?;
        args.add(*name)
    })?;
    for statement in statements {
        let rows: Vec<(i64, String, i64)> = statement.fetch_all(conn).await?;
        ids.extend(rows.into_iter().map(|(log_id, name, id)| ((log_id, name), id)));
    }
    names
        .iter()
        .map(|&(log_id, name)| match ids.get(&(log_id, name.to_owned())) {
            Some(id) => Ok(((log_id, name), *id)),
            None => Err(StoreError::Corrupt(format!("interning session \"{name}\" returned no id"))),
        })
        .collect()
}

pub(super) struct Builder<'l, 'a> {
    logs: &'l FastMap<String, LogState>,
    /// (job, tenant, record) of every record whose log is loaded, in order.
    todo: std::vec::IntoIter<(usize, &'a str, &'a Pending)>,
    new_ids: &'l NewIds<'a>,
    /// Each log's frontier as the batch moves it on, by tenant.
    pub frontiers: FastMap<&'a str, Frontier>,
    pub moved: FastMap<(&'a str, &'a str), Moved>,
    pub nodes: Vec<(i64, Subtree, Hash)>,
    /// Per job: its acknowledgements, or `None` when its log is not loaded.
    pub acks: Vec<Option<Vec<Appended>>>,
    pub records: u64,
}

impl<'l, 'a> Builder<'l, 'a> {
    pub(super) fn new(
        logs: &'l FastMap<String, LogState>,
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
            frontiers: FastMap::default(),
            moved: FastMap::default(),
            nodes: Vec::new(),
            acks: jobs.iter().map(|(t, r)| loaded(t).then(|| Vec::with_capacity(r.len()))).collect(),
            records: 0,
        }
    }

    /// The next `n` records (or what is left) as bound inserts; empty once every record has one.
    pub(super) fn insert(&mut self, n: usize) -> Result<Vec<Bound>, StoreError> {
        bind(self.rows(n)?)
    }

    /// Once every record is bound: the batch's nodes, completed index runs and moved heads, bound.
    pub(super) fn finish(&self) -> Result<Vec<Bound>, StoreError> {
        let (runs, heads) = self.sessions();
        let mut statements = bind_nodes(&self.nodes)?;
        statements.extend(index::bind_runs(runs)?);
        statements.extend(index::bind_heads(&heads)?);
        Ok(statements)
    }

    fn rows(&mut self, n: usize) -> Result<Vec<Row>, StoreError> {
        let mut rows = Vec::with_capacity(n);
        for (job, tenant, rec) in self.todo.by_ref().take(n) {
            let Some(state) = self.logs.get(tenant) else { continue };
            let log_id = state.info.id;
            let frontier = self.frontiers.entry(tenant).or_insert_with(|| state.frontier.clone());
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
    fn sessions(&self) -> (Vec<Run>, Vec<HeadRow>) {
        let mut runs = Vec::new();
        let mut heads = Vec::with_capacity(self.moved.len());
        for ((tenant, name), m) in &self.moved {
            let known = self.logs.get(*tenant).and_then(|l| l.sessions.get(*name));
            let (indexed, pending) = known.map_or((0, &[][..]), |s| (s.indexed, s.pending.as_slice()));
            let indexed = index::full_runs(m.id, indexed, pending, &m.added, &mut runs);
            if let Some((seq, _, idx)) = m.head {
                heads.push((m.id, seq, idx, indexed));
            }
        }
        heads.sort_unstable_by_key(|h| h.0);
        (runs, heads)
    }
}
