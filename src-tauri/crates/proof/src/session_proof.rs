//! The `vargate-proof/3` file: a session's records proved against a signed checkpoint with shared nodes
//! (each needed subtree hash carried once, see [`crate::shared`]), the session-heads proof, and optionally the
//! anchor: a consistency proof from an anchored checkpoint plus the anchoring transaction's evidence. The format
//! is the auditor's contract, specified in `docs/proof-format.md`; change both together.

use crate::merkle::{self, Hash};
use crate::proof_file::{ProofFile, SessionChain};
use crate::shared;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const SESSION_PROOF_FORMAT: &str = "vargate-proof/3";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionProof {
    /// Always [`SESSION_PROOF_FORMAT`].
    pub format: String,
    /// The C2SP signed note whose body is a `tlog-checkpoint` of the tenant's log.
    pub checkpoint: String,
    /// The log's C2SP verifier-key string.
    pub log_vkey: String,
    pub session: SessionChain,
    /// The session's records in chain order (leaf index and base64 leaf bytes).
    pub entries: Vec<Entry>,
    /// The shared nodes, in walk order: `[start, end, hex hash]`, the RFC 6962 hash of leaves `[start, end)`.
    pub nodes: Vec<Node>,
    /// Where the log's state was anchored, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<AnchorSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 0-based leaf index in the log.
    pub index: u64,
    /// Standard base64 of the leaf bytes (the record's RFC 8785 canonical JSON).
    pub leaf: String,
}

/// A shared node: `[start, end, hex hash]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node(pub u64, pub u64, pub String);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnchorSection {
    /// The anchored checkpoint: a signed note by the same log key, of a tree no larger than `checkpoint`'s.
    pub checkpoint: String,
    /// Lowercase hex RFC 6962 consistency proof from the anchored tree to the checkpoint's tree.
    pub consistency_proof: Vec<String>,
    /// The anchoring transaction's evidence (see `docs/anchoring.md`); checked by the anchoring crate.
    pub evidence: serde_json::Value,
}

impl SessionProof {
    /// Turns a file of per-record paths into shared nodes: every node of the shared proof is a member of some
    /// record's audit path, so the paths hold every hash needed.
    pub fn from_plain(file: ProofFile) -> Result<SessionProof, String> {
        let size = crate::Checkpoint::read_unverified(&file.checkpoint).map_err(|e| e.to_string())?.size;
        let mut known: HashMap<(u64, u64), String> = HashMap::new();
        for e in &file.entries {
            let ranges = merkle::inclusion_ranges(e.index, size).map_err(|e| e.to_string())?;
            for (r, h) in ranges.into_iter().zip(&e.inclusion_proof) {
                known.insert((r.start, r.end), h.clone());
            }
        }
        let indices: Vec<u64> = file.entries.iter().map(|e| e.index).collect();
        let nodes = shared::shared_ranges(size, &indices)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|r| {
                let hash = known
                    .get(&(r.start, r.end))
                    .ok_or_else(|| format!("no path holds node [{}, {})", r.start, r.end))?;
                Ok(Node(r.start, r.end, hash.clone()))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(SessionProof {
            format: SESSION_PROOF_FORMAT.to_owned(),
            checkpoint: file.checkpoint,
            log_vkey: file.log_vkey,
            session: file.session,
            entries: file.entries.into_iter().map(|e| Entry { index: e.index, leaf: e.leaf }).collect(),
            nodes,
            anchor: None,
        })
    }

    /// The records' leaf bytes, in chain order (entries whose base64 does not decode are skipped).
    pub fn leaves(&self) -> Vec<Vec<u8>> {
        self.entries.iter().filter_map(|e| B64.decode(&e.leaf).ok()).collect()
    }

    /// The file re-proved for its first `keep` records only, with the shared nodes recomputed; the stated
    /// session length and head are left as they were. This is the cut an operator able to re-prove could
    /// make: every inclusion still holds, and only the session-heads proof (`session complete`) can tell.
    pub fn keep_first(&self, keep: usize) -> Result<SessionProof, String> {
        let size = crate::Checkpoint::read_unverified(&self.checkpoint).map_err(|e| e.to_string())?.size;
        let (leaves, nodes) = self.decoded()?;
        let entries: Vec<Entry> = self.entries.iter().take(keep).cloned().collect();
        let indices: Vec<u64> = entries.iter().map(|e| e.index).collect();
        let nodes = shared::shared_ranges(size, &indices)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|r| {
                let hash = shared::subtree_hash(r.clone(), &leaves, &nodes).map_err(|e| e.to_string())?;
                Ok(Node(r.start, r.end, hex::encode(hash)))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(SessionProof { entries, nodes, ..self.clone() })
    }

    /// Leaf hashes and shared nodes, decoded.
    fn decoded(&self) -> Result<(Vec<shared::Leaf>, Vec<shared::SharedNode>), String> {
        let leaves: Vec<shared::Leaf> = self
            .entries
            .iter()
            .map(|e| Ok((e.index, merkle::leaf_hash(&B64.decode(&e.leaf).map_err(|e| e.to_string())?))))
            .collect::<Result<_, String>>()?;
        let nodes = self
            .nodes
            .iter()
            .map(|Node(s, e, h)| {
                let mut hash = [0u8; 32];
                hex::decode_to_slice(h, &mut hash).map_err(|e| e.to_string())?;
                Ok((*s..*e, hash))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok((leaves, nodes))
    }

    /// The plain RFC 6962 audit path of entry `i`, rebuilt from the shared nodes (for tools that only take
    /// plain proofs).
    pub fn inclusion_proof(&self, i: usize, size: u64) -> Result<Vec<Hash>, String> {
        let (leaves, nodes) = self.decoded()?;
        let index = self.entries.get(i).ok_or("no such entry")?.index;
        shared::inclusion_proof_from_shared(index, size, &leaves, &nodes).map_err(|e| e.to_string())
    }
}

/// Builds a session's `vargate-proof/3` file from a whole log held in memory, signing a checkpoint of all of
/// it (tests, benchmarks and small exports; the store builds the same file from stored hashes).
pub fn build_from_leaves(
    leaves: &[Vec<u8>],
    tenant: &str,
    session_id: &str,
    signer: &crate::NoteSigner,
) -> Result<SessionProof, String> {
    SessionProof::from_plain(crate::proof_file::build_from_leaves(leaves, tenant, session_id, signer)?)
}
