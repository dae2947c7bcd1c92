#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("{}", invalid_tenant(.0))]
    InvalidTenant(String),
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    #[error("no log for tenant \"{0}\"")]
    UnknownTenant(String),
    #[error("no records for session \"{session}\" in tenant \"{tenant}\"")]
    UnknownSession { tenant: String, session: String },
    #[error("tree size {requested} is beyond the log's size {size}")]
    BeyondLog { requested: u64, size: u64 },
    #[error("proof error: {0}")]
    Proof(#[from] vargate_proof::merkle::ProofError),
    #[error("the log is corrupt: {0}")]
    Corrupt(String),
    #[error("signing key: {0}")]
    Key(String),
    #[error(
        "the {keystore} keystore has no signing key for log {origin} (key id {key_id}); use the keystore that holds it (--keystore): a new key would fork the log"
    )]
    KeyMissing { origin: String, key_id: String, keystore: String },
    #[error(
        "the {keystore} keystore holds a different key for log {origin} (key id {found}, the log's is {key_id}); use the keystore that holds the log's key (--keystore)"
    )]
    KeyMismatch { origin: String, key_id: String, found: String, keystore: String },
    #[error("sealing: {0}")]
    Seal(String),
    #[error("the data of session \"{session}\" in tenant \"{tenant}\" was shredded: its key is destroyed")]
    Shredded { tenant: String, session: String },
    #[error("the log writer has stopped")]
    WriterStopped,
    #[error("starting the log writer: {0}")]
    Start(std::io::Error),
}

fn invalid_tenant(name: &str) -> String {
    let rule = "use 1-64 characters from A-Z a-z 0-9 . _ -";
    if name.is_empty() {
        format!("the tenant name is empty: {rule}")
    } else {
        format!("invalid tenant name {}: {rule}", serde_json::Value::from(name))
    }
}
