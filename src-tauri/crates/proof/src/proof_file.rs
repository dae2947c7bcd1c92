//! The `vargate-proof/1` file: a session's records with everything needed to verify them offline. The format
//! is the auditor's contract and is specified in `docs/proof-format.md`; change both together.

use serde::{Deserialize, Serialize};

pub const PROOF_FORMAT: &str = "vargate-proof/1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofFile {
    /// Always [`PROOF_FORMAT`].
    pub format: String,
    /// The C2SP signed note whose body is a `tlog-checkpoint` of the tenant's log.
    pub checkpoint: String,
    /// The log's C2SP verifier-key string.
    pub log_vkey: String,
    /// Which session the entries are, and how long its chain was at the checkpoint.
    pub session: SessionChain,
    /// The session's records in chain order, each with its inclusion proof against the checkpoint.
    pub entries: Vec<ProofEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionChain {
    pub tenant: String,
    pub session_id: String,
    /// Number of records the session had in the checkpointed tree.
    pub length: u64,
    /// Lowercase hex leaf hash of the session's last record in the checkpointed tree.
    pub head: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofEntry {
    /// 0-based leaf index in the log.
    pub index: u64,
    /// Standard base64 of the leaf bytes (the record's RFC 8785 canonical JSON).
    pub leaf: String,
    /// Lowercase hex hashes of the RFC 6962 inclusion proof, leaf level first.
    pub inclusion_proof: Vec<String>,
}
