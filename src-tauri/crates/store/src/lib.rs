//! `vargate-store` is the durable audit log: one append-only RFC 6962 log per tenant in SQLite (sqlx, WAL,
//! embedded migrations), a hash chain per session, stored subtree hashes so that any proof takes O(log n)
//! reads, group commit, and signed C2SP checkpoints whose keys live in the OS keychain.
//!
//! Data flow: appenders send records to one writer task (module `writer`), which batches whatever is queued into
//! one transaction, commits it durably (WAL, `synchronous=FULL`) and only then acknowledges each append.
//! Readers use a separate pool; committed rows never change, so reads need no coordination with the writer.
//!
//! Invariant: this crate knows SQLite and the keychain, and nothing of HTTP, Tauri or the managed-agents API.

pub mod anchors;
mod approvals;
mod error;
pub mod integrity;
pub mod keychain;
pub mod memory;
mod proofs;
mod seal;
mod sessions;
mod store;
#[cfg(test)]
mod test_support;
mod timeline;
mod tree;
mod writer;

pub use writer::WriterStats;

pub use anchors::{ANCHOR_KIND, ANCHOR_SESSION, StoredAnchor};
pub use approvals::{ApprovalRow, Resolution};
pub use error::StoreError;
pub use keychain::{DataKey, FixedKey, KeyError, KeySource, Keychain, KeystoreKind};
pub use seal::{Sealed, Shredded};
pub use store::{
    Appended, HeadProof, LogInfo, NewRecord, PreparedBatch, RecordRef, Store, StoreOptions, StoredCheckpoint,
    connect_options,
};
pub use timeline::{DECISION_KIND, SessionFacets, TimelineEntry, TimelineFilter};
