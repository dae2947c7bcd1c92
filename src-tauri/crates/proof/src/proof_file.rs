//! The `vargate-proof/2` file: a session's records with everything needed to verify them offline. The format
//! is the auditor's contract and is specified in `docs/proof-format.md`; change both together.

use serde::{Deserialize, Serialize};

pub const PROOF_FORMAT: &str = "vargate-proof/2";
/// The first format, which had no session-heads proof; still read (its completeness check fails).
pub const PROOF_FORMAT_V1: &str = "vargate-proof/1";
/// The largest proof file the verifier reads (about 150,000 records of a session): it holds the whole file
/// in memory, so an unbounded input could exhaust it.
pub const MAX_PROOF_FILE_BYTES: usize = 256 << 20;

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
    /// Lowercase hex hashes proving (length, head) in the checkpoint's session-heads map, leaf level first.
    pub heads_proof: Vec<String>,
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

/// Builds a session's proof file from a whole log held in memory (leaf bytes in log order), signing a
/// checkpoint of all of it. The store builds the same file from stored subtree hashes; this independent
/// path serves small exports, tests and benchmarks.
pub fn build_from_leaves(
    leaves: &[Vec<u8>],
    tenant: &str,
    session_id: &str,
    signer: &crate::NoteSigner,
) -> Result<ProofFile, String> {
    use crate::merkle::{MemoryTree, leaf_hash};
    use base64::Engine as _;
    let tree = MemoryTree::new(leaves.iter().map(|l| leaf_hash(l)).collect());
    let size = tree.size();
    let root = tree.root_at(size).ok_or("empty tree")?;
    let mut heads: std::collections::HashMap<String, (u64, crate::Hash)> = std::collections::HashMap::new();
    let mut entries = Vec::new();
    for (index, leaf) in leaves.iter().enumerate() {
        let record = crate::AuditRecord::from_leaf(leaf).map_err(|e| format!("leaf {index}: {e}"))?;
        heads.insert(record.session_id.clone(), (record.seq + 1, leaf_hash(leaf)));
        if record.tenant != tenant || record.session_id != session_id {
            continue;
        }
        let index = index as u64;
        let proof = tree.inclusion_proof(index, size).ok_or("proof out of range")?;
        entries.push(ProofEntry {
            index,
            leaf: base64::engine::general_purpose::STANDARD.encode(leaf),
            inclusion_proof: proof.iter().map(hex::encode).collect(),
        });
    }
    let map = crate::heads::HeadsMap::new(heads.iter().map(|(s, (len, h))| (s.as_str(), *len, *h)));
    let origin = signer.verifier().name.clone();
    let checkpoint =
        crate::Checkpoint::with_heads(&origin, size, root, &map.root()).sign(signer).map_err(|e| e.to_string())?;
    let (_, head) = heads.get(session_id).ok_or("no records of that session")?;
    let heads_proof = map.proof(session_id).ok_or("session missing from its own heads map")?;
    Ok(ProofFile {
        format: PROOF_FORMAT.to_owned(),
        checkpoint,
        log_vkey: signer.verifier().to_vkey(),
        session: SessionChain {
            tenant: tenant.to_owned(),
            session_id: session_id.to_owned(),
            length: entries.len() as u64,
            head: hex::encode(head),
            heads_proof: heads_proof.iter().map(hex::encode).collect(),
        },
        entries,
    })
}
