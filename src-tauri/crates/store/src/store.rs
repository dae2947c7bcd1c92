//! The public face of the store: opening it, appending, checkpoints and reads.

use crate::error::StoreError;
use crate::keychain::KeySource;
use crate::writer::{Command, Pending, Writer, WriterStats};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqlitePool};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use vargate_proof::merkle::Hash;

/// A record as an appender gives it; the log adds tenant, chain position and previous hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewRecord {
    pub session_id: String,
    /// RFC 3339 timestamp of the event.
    pub ts: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub source: String,
    pub decision: String,
    pub payload: serde_json::Value,
}

impl NewRecord {
    /// Checks what the log requires of a record (non-empty names, an RFC 3339 timestamp).
    pub fn validate(&self) -> Result<(), StoreError> {
        crate::writer::validate(&self.as_ref())
    }

    pub fn as_ref(&self) -> RecordRef<'_> {
        RecordRef {
            session_id: &self.session_id,
            ts: &self.ts,
            kind: &self.kind,
            source: &self.source,
            decision: &self.decision,
            payload: &self.payload,
        }
    }
}

/// A [`NewRecord`] by reference, for [`PreparedBatch::push`]: a caller that prepares records from parts it
/// keeps (ingest, from each event) need not build owned strings only for them to be canonicalised and dropped.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    pub session_id: &'a str,
    pub ts: &'a str,
    pub kind: &'a str,
    pub source: &'a str,
    pub decision: &'a str,
    pub payload: &'a serde_json::Value,
}

/// Records of one tenant, validated and canonicalised, ready for [`Store::append_prepared`].
pub struct PreparedBatch {
    tenant: String,
    records: Vec<Pending>,
}

impl PreparedBatch {
    /// Validates and canonicalises `records` (CPU work that needs no database: it runs on the caller's task,
    /// in parallel with the writer).
    pub fn new(tenant: &str, records: Vec<NewRecord>) -> Result<Self, StoreError> {
        let mut batch = PreparedBatch::with_capacity(tenant, records.len())?;
        for r in records {
            batch.records.push(Pending::new(tenant, r)?);
        }
        Ok(batch)
    }

    /// An empty batch of `tenant`'s records, filled by [`PreparedBatch::push`].
    pub fn with_capacity(tenant: &str, capacity: usize) -> Result<Self, StoreError> {
        if !valid_tenant(tenant) {
            return Err(StoreError::InvalidTenant(tenant.to_owned()));
        }
        Ok(PreparedBatch { tenant: tenant.to_owned(), records: Vec::with_capacity(capacity) })
    }

    /// Validates and canonicalises one more record, as [`PreparedBatch::new`] does each of its records.
    pub fn push(&mut self, record: RecordRef<'_>) -> Result<(), StoreError> {
        self.records.push(Pending::of(&self.tenant, record)?);
        Ok(())
    }

    /// Appends `other`'s records after this batch's (both of the same tenant), to be written in one commit.
    pub fn extend(&mut self, other: PreparedBatch) -> Result<(), StoreError> {
        if other.tenant != self.tenant {
            return Err(StoreError::InvalidRecord(format!(
                "a batch of tenant \"{}\" cannot join one of tenant \"{}\"",
                other.tenant, self.tenant
            )));
        }
        self.records.extend(other.records);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl std::fmt::Debug for PreparedBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedBatch").field("tenant", &self.tenant).field("records", &self.records.len()).finish()
    }
}

/// What an acknowledged append got: durable from the moment this is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub index: u64,
    pub seq: u64,
    pub leaf_hash: Hash,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogInfo {
    pub id: i64,
    pub tenant: String,
    pub origin: String,
    pub vkey: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub root: Hash,
    /// Root of the session-heads map the checkpoint commits to (`None`: a checkpoint of an older version).
    pub heads_root: Option<Hash>,
    /// The C2SP signed note.
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Most records one group commit takes.
    pub max_batch: usize,
    pub read_connections: u32,
    /// Page cache of each read connection, in KiB. Small: readers are many and the OS caches the file too;
    /// a large cache per reader grows with the log (the desktop app's memory grew by the database's size
    /// times the connections, over an hour of demo sessions).
    pub read_cache_kib: u32,
    /// Page cache of the writer's connection, in KiB: large for appends at scale (see `connect_options`).
    pub write_cache_kib: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { max_batch: 4096, read_connections: 4, read_cache_kib: 8192, write_cache_kib: 65536 }
    }
}

impl StoreOptions {
    /// For a process that shares the machine with a person's other work (the desktop app): small page caches,
    /// which fill up to their limit as the log grows and then stay. Its load is a few sessions at a time,
    /// whose pages are at the ends of the tables, and the OS caches the file anyway.
    pub fn compact() -> Self {
        StoreOptions { read_cache_kib: 2048, write_cache_kib: 16384, ..StoreOptions::default() }
    }
}

/// Handle to an open store; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) read: SqlitePool,
    commands: mpsc::Sender<Command>,
    /// Logs never change once created and only grow, so their identity and the largest size seen so far can
    /// be remembered: a proof then costs one query instead of three.
    known: Arc<std::sync::Mutex<HashMap<String, (LogInfo, u64)>>>,
    /// Unwrapped session keys, so that sealing costs no trip to the writer once a session's key is known.
    pub(crate) session_keys: Arc<std::sync::Mutex<HashMap<(String, String), crate::keychain::DataKey>>>,
    stats: Arc<WriterStats>,
}

/// How the store connects to its database file; public so that benchmarks can hold a baseline to exactly the
/// same settings.
pub fn connect_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a commit is on disk before it returns, so an acknowledged append survives power loss.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // Appends write at the ends of the large tables and into small ones (see `sessions`), so their pages
        // stay cached; a WAL checkpoint every 64 MiB comes after many commits (8,192 records are about 3.5 MiB),
        // not after every one. Temporary files (statement journals, sorts) stay in memory.
        .pragma("page_size", "8192")
        .pragma("cache_size", "-65536")
        .pragma("wal_autocheckpoint", "8192")
        .pragma("temp_store", "MEMORY")
        // Deleted rows (shredded session keys) are overwritten in the file, not merely unlinked. Audit rows are
        // never deleted, so appends pay nothing for it.
        .pragma("secure_delete", "ON")
}

/// A session's head and its proof in a checkpoint's session-heads map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadProof {
    /// Number of records the session had at the checkpoint.
    pub length: u64,
    /// Leaf hash of its last record.
    pub head: Hash,
    /// Leaf level first.
    pub proof: Vec<Hash>,
}

/// A `checkpoints` row: size, root, session-heads root, signed note.
pub(crate) type CheckpointRow = (i64, Vec<u8>, Option<Vec<u8>>, String);

/// The newest signed checkpoint of a log, read by the writer and by readers alike.
pub(crate) async fn latest_checkpoint(
    conn: &mut sqlx::SqliteConnection,
    log_id: i64,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    let row: Option<CheckpointRow> = sqlx::query_as(
        "SELECT size, root, heads_root, note FROM checkpoints WHERE log_id = ? ORDER BY size DESC, id DESC LIMIT 1",
    )
    .bind(log_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|(size, root, heads_root, note)| {
        let hash = |h: Vec<u8>| h.try_into().map_err(|_| StoreError::Corrupt("checkpoint hash is not 32 bytes".into()));
        Ok(StoredCheckpoint {
            size: size as u64,
            root: hash(root)?,
            heads_root: heads_root.map(hash).transpose()?,
            note,
        })
    })
    .transpose()
}

pub(crate) fn valid_tenant(t: &str) -> bool {
    (1..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

impl Store {
    /// Opens (creating if needed) the database at `path`, runs migrations and starts the writer task.
    pub async fn open(path: &Path, keys: Arc<dyn KeySource>, options: StoreOptions) -> Result<Store, StoreError> {
        let connect = connect_options(path);
        let mut conn = connect.clone().pragma("cache_size", format!("-{}", options.write_cache_kib)).connect().await?;
        sqlx::migrate!("./migrations").run(&mut conn).await?;
        conn.ping().await?;
        let read = SqlitePoolOptions::new()
            .max_connections(options.read_connections.max(1))
            .connect_with(connect.clone().read_only(true).pragma("cache_size", format!("-{}", options.read_cache_kib)))
            .await?;
        let (commands, rx) = mpsc::channel(1024);
        let stats = Arc::new(WriterStats::default());
        let writer = Writer::new(conn, keys, options.max_batch.max(1), stats.clone());
        // The writer has a thread of its own: on the callers' runtime it waited behind their tasks (appenders
        // canonicalising records) each time SQLite handed back a statement, and SQLite idled meanwhile.
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(StoreError::Start)?;
        std::thread::Builder::new()
            .name("vargate-log-writer".into())
            .spawn(move || runtime.block_on(writer.run(rx)))
            .map_err(StoreError::Start)?;
        Ok(Store { read, commands, known: Arc::default(), session_keys: Arc::default(), stats })
    }

    pub(crate) async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Command,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(make(tx)).await.map_err(|_| StoreError::WriterStopped)?;
        rx.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Appends one record; returns once it is durable.
    pub async fn append(&self, tenant: &str, record: NewRecord) -> Result<Appended, StoreError> {
        let mut out = self.append_batch(tenant, vec![record]).await?;
        out.pop().ok_or(StoreError::WriterStopped)
    }

    /// Appends records atomically (all or none, in order); returns once they are durable.
    pub async fn append_batch(&self, tenant: &str, records: Vec<NewRecord>) -> Result<Vec<Appended>, StoreError> {
        self.append_prepared(PreparedBatch::new(tenant, records)?).await
    }

    /// [`Store::append_batch`] of records validated and canonicalised beforehand ([`PreparedBatch::new`]), so
    /// that a caller can prepare the next batch while this one is being written.
    pub async fn append_prepared(&self, batch: PreparedBatch) -> Result<Vec<Appended>, StoreError> {
        let PreparedBatch { tenant, records } = batch;
        if records.is_empty() {
            return Ok(Vec::new());
        }
        self.ask(|reply| Command::Append { tenant, records, reply }).await
    }

    /// Signs a checkpoint of the tenant's log at its current size, or returns the latest if nothing was
    /// appended since. Never creates a log: an unknown tenant is [`StoreError::UnknownTenant`].
    pub async fn checkpoint(&self, tenant: &str) -> Result<StoredCheckpoint, StoreError> {
        Ok(self.checkpoint_with_head(tenant, None).await?.0)
    }

    /// [`Store::checkpoint`], plus the proof of `session`'s head in that checkpoint's session-heads map.
    pub async fn checkpoint_with_head(
        &self,
        tenant: &str,
        session: Option<&str>,
    ) -> Result<(StoredCheckpoint, Option<HeadProof>), StoreError> {
        if !valid_tenant(tenant) {
            return Err(StoreError::InvalidTenant(tenant.to_owned()));
        }
        let session = session.map(str::to_owned);
        self.ask(|reply| Command::Checkpoint { tenant: tenant.to_owned(), session, reply }).await
    }

    /// `manifest.sig` for an evidence pack: the log's key signs the manifest's SHA-256 (in the pack format's
    /// fixed text, which no checkpoint can be read as).
    pub async fn sign_manifest(&self, tenant: &str, manifest: &[u8]) -> Result<String, StoreError> {
        let digest = vargate_proof::pack::sha256(manifest);
        self.ask(|reply| Command::SignManifest { tenant: tenant.to_owned(), digest, reply }).await
    }

    /// Issues checkpoints for every log that grew, every `period`, until the store's writer stops.
    pub fn spawn_checkpointer(&self, period: Duration) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let tenants = match store.logs().await {
                    Ok(logs) => logs,
                    Err(e) => {
                        tracing::warn!("periodic checkpoint: listing logs failed: {e}");
                        continue;
                    }
                };
                for log in tenants {
                    match store.checkpoint(&log.tenant).await {
                        Err(StoreError::WriterStopped) => return,
                        Err(e) => tracing::warn!(tenant = log.tenant, "periodic checkpoint failed: {e}"),
                        Ok(_) => {}
                    }
                }
            }
        })
    }

    pub async fn logs(&self) -> Result<Vec<LogInfo>, StoreError> {
        let rows: Vec<(i64, String, String, String)> =
            sqlx::query_as("SELECT id, tenant, origin, vkey FROM logs ORDER BY tenant").fetch_all(&self.read).await?;
        Ok(rows.into_iter().map(|(id, tenant, origin, vkey)| LogInfo { id, tenant, origin, vkey }).collect())
    }

    pub async fn log(&self, tenant: &str) -> Result<LogInfo, StoreError> {
        if !valid_tenant(tenant) {
            return Err(StoreError::InvalidTenant(tenant.to_owned()));
        }
        if let Some((info, _)) = self.known.lock().ok().and_then(|k| k.get(tenant).cloned()) {
            return Ok(info);
        }
        let row: Option<(i64, String, String, String)> =
            sqlx::query_as("SELECT id, tenant, origin, vkey FROM logs WHERE tenant = ?")
                .bind(tenant)
                .fetch_optional(&self.read)
                .await?;
        let info = row
            .map(|(id, tenant, origin, vkey)| LogInfo { id, tenant, origin, vkey })
            .ok_or_else(|| StoreError::UnknownTenant(tenant.to_owned()))?;
        if let Ok(mut known) = self.known.lock() {
            known.entry(tenant.to_owned()).or_insert((info.clone(), 0));
        }
        Ok(info)
    }

    /// Fails with [`StoreError::BeyondLog`] unless the tenant's log has at least `requested` records.
    pub(crate) async fn ensure_size(
        &self,
        conn: &mut sqlx::SqliteConnection,
        log: &LogInfo,
        requested: u64,
    ) -> Result<(), StoreError> {
        let seen = self.known.lock().ok().and_then(|k| k.get(&log.tenant).map(|(_, size)| *size)).unwrap_or(0);
        if requested <= seen {
            return Ok(());
        }
        let size = crate::tree::stored_size(conn, log.id).await?;
        if let Ok(mut known) = self.known.lock()
            && let Some(entry) = known.get_mut(&log.tenant)
        {
            entry.1 = entry.1.max(size);
        }
        if requested > size { Err(StoreError::BeyondLog { requested, size }) } else { Ok(()) }
    }

    /// Number of records in the tenant's log.
    pub async fn size(&self, tenant: &str) -> Result<u64, StoreError> {
        let log = self.log(tenant).await?;
        let mut conn = self.read.acquire().await?;
        crate::tree::stored_size(&mut conn, log.id).await
    }

    /// The leaf bytes (canonical record) at `index`, if the log has that many records.
    pub async fn leaf(&self, tenant: &str, index: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let log = self.log(tenant).await?;
        Ok(sqlx::query_scalar("SELECT leaf FROM records WHERE log_id = ? AND idx = ?")
            .bind(log.id)
            .bind(index as i64)
            .fetch_optional(&self.read)
            .await?)
    }

    pub async fn latest_checkpoint(&self, tenant: &str) -> Result<Option<StoredCheckpoint>, StoreError> {
        let log = self.log(tenant).await?;
        let mut conn = self.read.acquire().await?;
        latest_checkpoint(&mut conn, log.id).await
    }

    /// What the writer has committed since the store was opened.
    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Stops accepting appends and waits until everything acknowledged is closed cleanly.
    pub async fn close(self) {
        // Wait for the writer to finish what was queued (including an index flush after the last acks) and
        // close its connection: nothing of this store touches the file once this returns.
        let (reply, done) = oneshot::channel();
        if self.commands.send(Command::Close { reply }).await.is_ok() {
            let _ = done.await;
        }
        drop(self.commands);
        self.read.close().await;
    }
}
