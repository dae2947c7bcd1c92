//! The single writer: group commit. Whatever appends are queued when the writer becomes free go into one
//! transaction; each is acknowledged only after that transaction's commit returned (durable, as the store
//! runs WAL with `synchronous=FULL`). The writer also owns each log's Merkle frontier, so it can emit the
//! subtree hashes an append completes and sign checkpoints of a consistent (size, root).

use crate::error::StoreError;
use crate::keychain::{DataKey, KeySource};
use crate::seal::Shredded;
use crate::store::{Appended, HeadProof, LogInfo, StoredCheckpoint};
use crate::tree;

mod batch;
mod bound;
mod index;
mod keys;
mod pending;
use index::Session;
pub(crate) use pending::{Pending, validate};
use sqlx::{Connection, SqliteConnection};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use vargate_proof::heads::HeadsMap;
use vargate_proof::merkle::{Frontier, Hash, Subtree};
use vargate_proof::{Checkpoint, NoteSigner, NoteVerifier};

/// The writer's per-record maps (sessions by name, logs by tenant): hashed with foldhash, not SipHash, which
/// was a tenth of the writer's time. Its seeds are still random per process.
pub(super) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

type AppendReply = oneshot::Sender<Result<Vec<Appended>, StoreError>>;
type CheckpointReply = oneshot::Sender<Result<(StoredCheckpoint, Option<HeadProof>), StoreError>>;

pub(crate) enum Command {
    Append {
        tenant: String,
        records: Vec<Pending>,
        reply: AppendReply,
    },
    /// Signs a checkpoint (if the log grew) and, for `session`, proves its head in the checkpoint's
    /// session-heads map: both are read from the writer's state, so they agree with the checkpoint's size.
    Checkpoint {
        tenant: String,
        session: Option<String>,
        reply: CheckpointReply,
    },
    /// The session's key for sealing (created, with the log and the tenant's data key, when `create`).
    SessionKey {
        tenant: String,
        session: String,
        create: bool,
        reply: oneshot::Sender<Result<Option<DataKey>, StoreError>>,
    },
    /// Queues an approval request (state, not evidence).
    InsertApproval {
        row: Box<crate::approvals::ApprovalRow>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    /// Resolves a pending approval request; false when it was no longer pending.
    ResolveApproval {
        id: String,
        resolution: crate::approvals::Resolution,
        reply: oneshot::Sender<Result<bool, StoreError>>,
    },
    /// Signs an evidence pack's manifest digest with the log's key (the text is fixed by the pack format, so
    /// this can sign nothing else).
    SignManifest {
        tenant: String,
        digest: Hash,
        reply: oneshot::Sender<Result<String, StoreError>>,
    },
    /// The anchoring key stored under `name`, created on first use.
    AnchorKey {
        name: String,
        reply: oneshot::Sender<Result<[u8; 32], StoreError>>,
    },
    /// Finishes what is queued before it, closes the database and answers: `Store::close` waits for this, so
    /// nothing of this writer runs once it returns.
    Close {
        reply: oneshot::Sender<()>,
    },
    /// Crypto-shreds a session, or the whole tenant.
    Shred {
        tenant: String,
        session: Option<String>,
        reply: oneshot::Sender<Result<Shredded, StoreError>>,
    },
}

impl Command {
    fn weight(&self) -> usize {
        match self {
            Command::Append { records, .. } => records.len(),
            _ => 1,
        }
    }
}

/// Per-log state the writer keeps between batches.
struct LogState {
    info: LogInfo,
    frontier: Frontier,
    /// Every session by name: head and unindexed records, loaded with the log (`index::load_sessions`).
    sessions: FastMap<String, Session>,
    /// The session-heads map of `sessions`, built when a checkpoint needs it and dropped by any append.
    heads_map: Option<HeadsMap>,
    /// Log size at the last flush of every session's unindexed records (`session_index_size`).
    flushed: u64,
}

/// Counters of what the writer committed, for operators and benchmarks.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub commits: std::sync::atomic::AtomicU64,
    pub records: std::sync::atomic::AtomicU64,
}

pub(crate) struct Writer {
    stats: Arc<WriterStats>,
    conn: SqliteConnection,
    keys: Arc<dyn KeySource>,
    max_batch: usize,
    logs: FastMap<String, LogState>,
    signers: HashMap<String, NoteSigner>,
    /// Tenants' data keys by log origin.
    data_keys: HashMap<String, DataKey>,
    /// The records of the last committed batch, freed during the next commit.
    spent: Vec<Vec<Pending>>,
}

impl Writer {
    pub(crate) fn new(
        conn: SqliteConnection,
        keys: Arc<dyn KeySource>,
        max_batch: usize,
        stats: Arc<WriterStats>,
    ) -> Self {
        Writer {
            stats,
            conn,
            keys,
            max_batch,
            logs: FastMap::default(),
            signers: HashMap::new(),
            data_keys: HashMap::new(),
            spent: Vec::new(),
        }
    }

    pub(crate) async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        let mut closed = None;
        while let Some(first) = rx.recv().await {
            let mut weight = first.weight();
            let mut batch = vec![first];
            while weight < self.max_batch {
                match rx.try_recv() {
                    Ok(cmd) => {
                        weight += cmd.weight();
                        batch.push(cmd);
                    }
                    Err(_) => break,
                }
            }
            if let Some(reply) = self.process(batch).await {
                closed = Some(reply);
                break;
            }
        }
        if let Err(e) = self.conn.close().await {
            tracing::warn!("closing the log database: {e}");
        }
        if let Some(reply) = closed {
            let _ = reply.send(());
        }
    }

    /// Runs a batch; returns the reply of a `Close` in it, after everything else in the batch is done.
    async fn process(&mut self, batch: Vec<Command>) -> Option<oneshot::Sender<()>> {
        let mut closing = None;
        let mut appends = Vec::new();
        let mut checkpoints = Vec::new();
        let mut keys = Vec::new();
        for cmd in batch {
            match cmd {
                Command::Append { tenant, records, reply } => appends.push((tenant, records, reply)),
                Command::Checkpoint { tenant, session, reply } => checkpoints.push((tenant, session, reply)),
                Command::Close { reply } => closing = Some(reply),
                other => keys.push(other),
            }
        }
        // Keys first: a record sealed with a session key is appended only after the key is stored.
        for cmd in keys {
            match cmd {
                Command::SessionKey { tenant, session, create, reply } => {
                    let _ = reply.send(self.session_key(&tenant, &session, create).await);
                }
                Command::Shred { tenant, session, reply } => {
                    let _ = reply.send(self.shred(&tenant, session.as_deref()).await);
                }
                Command::InsertApproval { row, reply } => {
                    let _ = reply.send(crate::approvals::insert(&mut self.conn, &row).await);
                }
                Command::ResolveApproval { id, resolution, reply } => {
                    let _ = reply.send(crate::approvals::resolve(&mut self.conn, &id, &resolution).await);
                }
                Command::SignManifest { tenant, digest, reply } => {
                    let _ = reply.send(self.sign_manifest(&tenant, &digest).await);
                }
                Command::AnchorKey { name, reply } => {
                    let key = self.keychain(move |keys| keys.data_key(&name, true)).await;
                    let key =
                        key.and_then(|k| k.ok_or_else(|| StoreError::Corrupt("no anchoring key was made".into())));
                    let _ = reply.send(key);
                }
                Command::Append { .. } | Command::Checkpoint { .. } | Command::Close { .. } => {}
            }
        }
        if !appends.is_empty() {
            self.commit_appends(appends).await;
        }
        for (tenant, session, reply) in checkpoints {
            let result = self.checkpoint(&tenant, session.as_deref()).await;
            let _ = reply.send(result);
        }
        closing
    }

    async fn commit_appends(&mut self, appends: Vec<(String, Vec<Pending>, AppendReply)>) {
        // Make sure every tenant's log exists first (its own small transaction), so a failing batch below
        // leaves nothing half-created.
        let mut ready = Vec::with_capacity(appends.len());
        for (tenant, records, reply) in appends {
            match self.load_log(&tenant, true).await {
                Ok(()) => ready.push((tenant, records, reply)),
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            }
        }
        if ready.is_empty() {
            return;
        }
        let jobs: Vec<(&str, &[Pending])> = ready.iter().map(|(t, r, _)| (t.as_str(), r.as_slice())).collect();
        match self.write_batch(&jobs).await {
            Ok(results) => {
                let mut tenants = Vec::with_capacity(ready.len());
                let mut spent = Vec::with_capacity(ready.len());
                for ((tenant, records, reply), result) in ready.into_iter().zip(results) {
                    let _ = reply.send(result);
                    tenants.push(tenant);
                    spent.push(records);
                }
                // Freeing a batch's records (three buffers each) takes a while: done while the next commit
                // waits for the disk, rather than now, when the appenders just woken need the CPU.
                self.spent = spent;
                tenants.dedup();
                for tenant in tenants {
                    if let Err(e) = self.flush_index(&tenant).await {
                        tracing::error!("flushing the session index failed: {e}");
                        self.forget();
                    }
                }
            }
            Err(e) => {
                // The transaction did not commit (or we cannot tell): forget cached state so it is reloaded
                // from what is really on disk, and fail every append of the batch.
                tracing::error!("audit log commit failed: {e}");
                self.forget();
                let msg = e.to_string();
                for (_, _, reply) in ready {
                    let _ = reply.send(Err(StoreError::Corrupt(format!("commit failed, nothing was appended: {msg}"))));
                }
            }
        }
    }

    /// Drops what is cached of the logs, to be reloaded from disk: after a write that failed.
    fn forget(&mut self) {
        self.logs.clear();
    }

    /// Writes all jobs in one transaction; a database error fails the whole batch. In-memory state is only
    /// updated after the commit.
    async fn write_batch(
        &mut self,
        jobs: &[(&str, &[Pending])],
    ) -> Result<Vec<Result<Vec<Appended>, StoreError>>, StoreError> {
        let names = batch::new_sessions(&self.logs, jobs);
        let new_ids;
        let mut b;
        // The first insert is short (SQLite waits for it); while SQLite runs one, the next is bound.
        let (mut tx, mut insert) = if names.is_empty() {
            // Nothing to intern: the first insert is bound while BEGIN is on its way.
            new_ids = batch::NewIds::default();
            b = batch::Builder::new(&self.logs, jobs, &new_ids);
            let (tx, first) = tokio::join!(self.conn.begin(), async { b.insert(batch::FIRST_CHUNK) });
            (tx?, first?)
        } else {
            let mut tx = self.conn.begin().await?;
            new_ids = batch::intern(&mut tx, &names).await?;
            b = batch::Builder::new(&self.logs, jobs, &new_ids);
            let first = b.insert(batch::FIRST_CHUNK)?;
            (tx, first)
        };
        let mut last = Vec::new();
        let mut chunk = batch::FIRST_CHUNK;
        while !insert.is_empty() {
            // Each chunk twice the last (see FIRST_CHUNK), so that neither side waits long for the other.
            chunk = (chunk * 2).min(batch::CHUNK);
            // After the last records are bound, the batch's other rows are bound meanwhile too.
            let (inserted, next) = tokio::join!(bound::run(&mut tx, insert), async {
                let next = b.insert(chunk)?;
                if next.is_empty() {
                    last = b.finish()?;
                }
                Ok::<_, StoreError>(next)
            });
            inserted?;
            insert = next?;
        }
        bound::run(&mut tx, last).await?;
        // The last batch's records are freed while the commit waits for its fsync.
        let spent = std::mem::take(&mut self.spent);
        tokio::join!(tx.commit(), async move { drop(spent) }).0?;
        self.stats.commits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.stats.records.fetch_add(b.records, std::sync::atomic::Ordering::Relaxed);

        let batch::Builder { frontiers, moved, acks, .. } = b;
        for (tenant, frontier) in frontiers {
            if let Some(state) = self.logs.get_mut(tenant) {
                state.frontier = frontier;
            }
        }
        for ((tenant, name), m) in moved {
            let (Some(state), Some(head)) = (self.logs.get_mut(tenant), m.head) else { continue };
            state.heads_map = None;
            // Most sessions are known: looked up by `&str`, so that only a new one pays for an owned key.
            match state.sessions.get_mut(name) {
                Some(session) => session.advance(head, &m.added),
                None => {
                    let mut session = Session::new(m.id);
                    session.advance(head, &m.added);
                    state.sessions.insert(name.to_owned(), session);
                }
            }
        }
        Ok(jobs
            .iter()
            .zip(acks)
            .map(|((tenant, _), acks)| acks.ok_or_else(|| StoreError::UnknownTenant((*tenant).to_owned())))
            .collect())
    }

    async fn sign_manifest(&mut self, tenant: &str, digest: &Hash) -> Result<String, StoreError> {
        self.load_log(tenant, false).await?;
        let info = self.logs.get(tenant).map(|l| l.info.clone()).ok_or(StoreError::UnknownTenant(tenant.to_owned()))?;
        let signer = self.signer(&info).await?;
        signer
            .sign(&vargate_proof::pack::manifest_note_text(digest))
            .map_err(|e| StoreError::Corrupt(format!("signing the manifest: {e}")))
    }

    /// The signer of an existing log: the keystore must hold exactly the key the log was created with.
    async fn signer(&mut self, info: &LogInfo) -> Result<NoteSigner, StoreError> {
        if let Some(s) = self.signers.get(&info.origin) {
            return Ok(s.clone());
        }
        let key_id =
            NoteVerifier::parse(&info.vkey).map_or_else(|_| "unknown".to_owned(), |k| format!("{:08x}", k.key_id));
        let origin = info.origin.clone();
        let found = self.keychain(move |keys| keys.find(&origin)).await?;
        let keystore = self.keys.describe();
        let signer = match found {
            None => return Err(StoreError::KeyMissing { origin: info.origin.clone(), key_id, keystore }),
            Some(s) if s.verifier().to_vkey() != info.vkey => {
                let found = format!("{:08x}", s.verifier().key_id);
                return Err(StoreError::KeyMismatch { origin: info.origin.clone(), key_id, found, keystore });
            }
            Some(s) => s,
        };
        self.signers.insert(info.origin.clone(), signer.clone());
        Ok(signer)
    }

    /// Runs a keychain call off the async workers: keychains answer over D-Bus with blocking calls.
    async fn keychain<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn KeySource) -> Result<T, crate::KeyError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let keys = self.keys.clone();
        tokio::task::spawn_blocking(move || call(keys.as_ref()))
            .await
            .map_err(|e| StoreError::Key(format!("key lookup panicked: {e}")))?
            .map_err(|e| StoreError::Key(e.to_string()))
    }

    /// Loads the tenant's log, its frontier and its session heads into memory. Only appends may `create` a
    /// log (with its signing key); anything else on an unknown tenant is [`StoreError::UnknownTenant`].
    async fn load_log(&mut self, tenant: &str, create: bool) -> Result<(), StoreError> {
        if self.logs.contains_key(tenant) {
            return Ok(());
        }
        let existing: Option<(i64, String, String)> =
            sqlx::query_as("SELECT id, origin, vkey FROM logs WHERE tenant = ?")
                .bind(tenant)
                .fetch_optional(&mut self.conn)
                .await?;
        let info = match existing {
            Some((id, origin, vkey)) => LogInfo { id, tenant: tenant.to_owned(), origin, vkey },
            None if !create => return Err(StoreError::UnknownTenant(tenant.to_owned())),
            None => {
                let install: String = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'install_id'")
                    .fetch_one(&mut self.conn)
                    .await?;
                let origin = format!("vargate-{install}/{tenant}");
                let owned = origin.clone();
                let signer = self.keychain(move |keys| keys.create(&owned)).await?;
                let vkey = signer.verifier().to_vkey();
                let id: i64 =
                    sqlx::query_scalar("INSERT INTO logs (tenant, origin, vkey) VALUES (?, ?, ?) RETURNING id")
                        .bind(tenant)
                        .bind(&origin)
                        .bind(&vkey)
                        .fetch_one(&mut self.conn)
                        .await?;
                self.signers.insert(origin.clone(), signer);
                LogInfo { id, tenant: tenant.to_owned(), origin, vkey }
            }
        };
        let size = tree::stored_size(&mut self.conn, info.id).await?;
        let parts = Subtree::decompose(0..size);
        let hashes = tree::subtree_hashes(&mut self.conn, info.id, &parts).await?;
        let frontier = Frontier::from_parts(size, &hashes)
            .ok_or_else(|| StoreError::Corrupt("frontier does not match the log size".into()))?;
        let (sessions, flushed) = index::load_sessions(&mut self.conn, info.id).await?;
        self.logs.insert(tenant.to_owned(), LogState { info, frontier, sessions, heads_map: None, flushed });
        Ok(())
    }

    async fn checkpoint(
        &mut self,
        tenant: &str,
        session: Option<&str>,
    ) -> Result<(StoredCheckpoint, Option<HeadProof>), StoreError> {
        self.load_log(tenant, false).await?;
        let state = self.logs.get_mut(tenant).ok_or_else(|| StoreError::UnknownTenant(tenant.to_owned()))?;
        let (info, size, root) = (state.info.clone(), state.frontier.size(), state.frontier.root());
        let sessions = &state.sessions;
        let map = state
            .heads_map
            .get_or_insert_with(|| HeadsMap::new(sessions.iter().map(|(id, s)| (id.as_str(), s.seq + 1, s.hash))));
        let heads_root = map.root();
        let proof = match session {
            None => None,
            Some(id) => {
                let unknown = || StoreError::UnknownSession { tenant: tenant.to_owned(), session: id.to_owned() };
                let s = sessions.get(id).ok_or_else(unknown)?;
                Some(HeadProof { length: s.seq + 1, head: s.hash, proof: map.proof(id).ok_or_else(unknown)? })
            }
        };
        if let Some(latest) = crate::store::latest_checkpoint(&mut self.conn, info.id).await?
            && latest.size == size
        {
            if latest.root != root {
                return Err(StoreError::Corrupt(format!("stored checkpoint at size {size} has a different root")));
            }
            match latest.heads_root {
                Some(h) if h == heads_root => return Ok((latest, proof)),
                Some(_) => {
                    return Err(StoreError::Corrupt(format!(
                        "stored checkpoint at size {size} commits to different session heads"
                    )));
                }
                // A checkpoint of an older version, without session heads: sign one that has them.
                None => {}
            }
        }
        let signer = self.signer(&info).await?;
        let note = Checkpoint::with_heads(&info.origin, size, root, &heads_root)
            .sign(&signer)
            .map_err(|e| StoreError::Key(e.to_string()))?;
        sqlx::query("INSERT INTO checkpoints (log_id, size, root, heads_root, note) VALUES (?, ?, ?, ?, ?)")
            .bind(info.id)
            .bind(size as i64)
            .bind(root.as_slice())
            .bind(heads_root.as_slice())
            .bind(&note)
            .execute(&mut self.conn)
            .await?;
        Ok((StoredCheckpoint { size, root, heads_root: Some(heads_root), note }, proof))
    }
}
