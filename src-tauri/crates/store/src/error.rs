#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("invalid tenant name {0:?}: use 1-64 characters from A-Z a-z 0-9 . _ -")]
    InvalidTenant(String),
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    #[error("no log for tenant {0:?}")]
    UnknownTenant(String),
    #[error("no records for session {session:?} in tenant {tenant:?}")]
    UnknownSession { tenant: String, session: String },
    #[error("tree size {requested} is beyond the log's size {size}")]
    BeyondLog { requested: u64, size: u64 },
    #[error("proof error: {0}")]
    Proof(#[from] vargate_proof::merkle::ProofError),
    #[error("the log is corrupt: {0}")]
    Corrupt(String),
    #[error("signing key: {0}")]
    Key(String),
    #[error("the log writer has stopped")]
    WriterStopped,
}
