//! `vargate-proof` is everything an auditor's verifier needs, and nothing else: the canonical audit record
//! (RFC 8785 JSON, whose bytes are the Merkle leaf), RFC 6962 / RFC 9162 Merkle hashing with inclusion and
//! consistency proofs, C2SP signed notes and `tlog-checkpoint` bodies signed with Ed25519, the
//! `vargate-proof/3` session proof (and the older `/2` and `/1` files it still reads), and the verifier that turns a proof file into a [`Verdict`].
//!
//! Invariant: this crate is pure. It does no IO, spawns no tasks or processes (the verifier splits its
//! per-record work over scoped threads that end before it returns), reads no clock and must never depend on
//! tokio, sqlx, reqwest or tauri, so that it can be audited alone and compiled into any verifier. Its parsers
//! face untrusted bytes, so panicking constructs (`unwrap`, indexing, `panic!`) are denied outside tests.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)
)]

pub mod checkpoint;
pub mod heads;
pub mod jcs;
pub mod jcs_check;
mod leaves;
pub mod merkle;
pub mod note;
pub mod pack;
pub mod proof_file;
pub mod record;
pub mod session_proof;
pub mod shared;
pub mod verify;
mod verify_anchor;
mod verify_pack;
mod view;
mod zip_compare;

pub use checkpoint::{Checkpoint, HeadsCommitment};
pub use merkle::{Hash, Subtree};
pub use note::{NoteSigner, NoteVerifier};
pub use proof_file::{MAX_PROOF_FILE_BYTES, PROOF_FORMAT, PROOF_FORMAT_V1, ProofEntry, ProofFile, SessionChain};
pub use record::{AuditRecord, RecordHead};
pub use session_proof::{AnchorSection, SESSION_PROOF_FORMAT, SessionProof};
pub use verify::{
    AnchorCheck, Check, CheckStatus, Outcome, Verdict, VerifyError, verify_proof_file, verify_proof_file_with,
};
pub use verify_pack::verify_pack;
