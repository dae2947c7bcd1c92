//! The session-heads map: a Merkle map from each session id to the session's head (its length and the leaf
//! hash of its last record) at a checkpoint's tree size. A checkpoint carries the map's root in an extension
//! line, so a proof file can prove that the head it states is the one the signed checkpoint committed to —
//! that the session was not cut short. Specified in `docs/proof-format.md` §5.
//!
//! The map is a sparse Merkle tree of depth 256 keyed by `SHA-256(session id)`, in which a subtree holding a
//! single entry is represented by that entry's leaf hash and an empty subtree by 32 zero bytes. A key's
//! position is fixed by its bits, so one root commits to at most one value per session: two different proofs
//! for the same key and root would need a SHA-256 collision.

use crate::merkle::Hash;
use sha2::{Digest, Sha256};

/// Prefix of the checkpoint extension line that carries the map's root (then standard base64 of 32 bytes).
pub const HEADS_EXTENSION: &str = "vargate-session-heads ";

/// The hash of an empty subtree.
pub const EMPTY: Hash = [0u8; 32];

/// Where a session sits in the map.
pub fn key(session_id: &str) -> Hash {
    Sha256::digest(session_id.as_bytes()).into()
}

/// `SHA-256(0x00 ‖ key ‖ u64be(length) ‖ head)`.
pub fn leaf_hash(key: &Hash, length: u64, head: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(key);
    h.update(length.to_be_bytes());
    h.update(head);
    h.finalize().into()
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
    crate::merkle::node_hash(left, right)
}

/// Bit `depth` of a key, most significant bit of the first byte first.
fn bit(key: &Hash, depth: usize) -> bool {
    key.get(depth / 8).is_some_and(|b| b & (0x80 >> (depth % 8)) != 0)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeadsError {
    #[error("the proof has {0} hashes; a session-heads proof has at most 256")]
    TooLong(usize),
    #[error("the proof leads to {computed}, not to the committed root {committed}")]
    Mismatch { computed: String, committed: String },
}

/// The whole map, built from every session's head at one tree size.
#[derive(Debug, Clone, Default)]
pub struct HeadsMap {
    /// (key, leaf hash), sorted by key, keys distinct.
    entries: Vec<(Hash, Hash)>,
}

impl HeadsMap {
    /// Builds the map from `(session id, length, head)` triples; a session given twice keeps its last triple.
    pub fn new<'a>(heads: impl IntoIterator<Item = (&'a str, u64, Hash)>) -> Self {
        let mut entries: Vec<(Hash, Hash)> =
            heads.into_iter().map(|(id, len, head)| (key(id), leaf_hash(&key(id), len, &head))).collect();
        // A stable sort keeps duplicates in input order; keep the last of each run.
        entries.sort_by_key(|e| e.0);
        let mut deduped: Vec<(Hash, Hash)> = Vec::with_capacity(entries.len());
        for e in entries {
            match deduped.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => deduped.push(e),
            }
        }
        HeadsMap { entries: deduped }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn root(&self) -> Hash {
        subtree_hash(&self.entries, 0)
    }

    /// The proof for a session present in the map, leaf level first; `None` when the session is absent.
    pub fn proof(&self, session_id: &str) -> Option<Vec<Hash>> {
        let k = key(session_id);
        let mut slice = self.entries.as_slice();
        let mut siblings = Vec::new();
        let mut depth = 0;
        while slice.len() > 1 {
            let split = slice.partition_point(|(ek, _)| !bit(ek, depth));
            let (left, right) = slice.split_at(split);
            if bit(&k, depth) {
                siblings.push(subtree_hash(left, depth + 1));
                slice = right;
            } else {
                siblings.push(subtree_hash(right, depth + 1));
                slice = left;
            }
            depth += 1;
        }
        match slice {
            [(only, _)] if *only == k => {
                siblings.reverse();
                Some(siblings)
            }
            _ => None,
        }
    }
}

/// Hash of the subtree at `depth` holding `entries` (all of which share their first `depth` bits).
fn subtree_hash(entries: &[(Hash, Hash)], depth: usize) -> Hash {
    match entries {
        [] => EMPTY,
        [(_, leaf)] => *leaf,
        _ => {
            let split = entries.partition_point(|(k, _)| !bit(k, depth));
            let (left, right) = entries.split_at(split);
            node_hash(&subtree_hash(left, depth + 1), &subtree_hash(right, depth + 1))
        }
    }
}

/// The root a proof leads to for a session with the given head.
pub fn root_from_proof(session_id: &str, length: u64, head: &Hash, proof: &[Hash]) -> Result<Hash, HeadsError> {
    if proof.len() > 256 {
        return Err(HeadsError::TooLong(proof.len()));
    }
    let k = key(session_id);
    let mut h = leaf_hash(&k, length, head);
    for (i, sibling) in proof.iter().enumerate() {
        let depth = proof.len() - 1 - i;
        h = if bit(&k, depth) { node_hash(sibling, &h) } else { node_hash(&h, sibling) };
    }
    Ok(h)
}

/// Checks that `root` commits to `(length, head)` for `session_id`.
pub fn verify(root: &Hash, session_id: &str, length: u64, head: &Hash, proof: &[Hash]) -> Result<(), HeadsError> {
    let computed = root_from_proof(session_id, length, head, proof)?;
    if computed == *root {
        Ok(())
    } else {
        Err(HeadsError::Mismatch { computed: hex::encode(computed), committed: hex::encode(root) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(n: usize) -> (HeadsMap, Vec<(String, u64, Hash)>) {
        let heads: Vec<(String, u64, Hash)> =
            (0..n).map(|i| (format!("sesn_{i}"), i as u64 + 1, [i as u8; 32])).collect();
        (HeadsMap::new(heads.iter().map(|(s, l, h)| (s.as_str(), *l, *h))), heads)
    }

    #[test]
    fn every_member_proves_and_nothing_else_does() {
        for n in [0, 1, 2, 3, 7, 64, 300] {
            let (m, heads) = map(n);
            let root = m.root();
            for (s, len, head) in &heads {
                let proof = m.proof(s).unwrap();
                assert!(proof.len() < 40, "{n}: proof of {} hashes", proof.len());
                verify(&root, s, *len, head, &proof).unwrap();
                // A cut-short session (shorter length, older head) does not verify.
                assert!(verify(&root, s, len - 1, head, &proof).is_err());
                let mut other = *head;
                other[0] ^= 1;
                assert!(verify(&root, s, *len, &other, &proof).is_err());
                assert!(verify(&root, "sesn_other", *len, head, &proof).is_err());
            }
            assert!(m.proof("absent").is_none());
        }
    }

    #[test]
    fn empty_and_single_maps_have_the_documented_roots() {
        assert_eq!(HeadsMap::default().root(), EMPTY);
        let (m, _) = map(1);
        assert_eq!(m.root(), leaf_hash(&key("sesn_0"), 1, &[0u8; 32]));
        assert_eq!(m.proof("sesn_0").unwrap(), Vec::<Hash>::new());
    }

    #[test]
    fn the_root_depends_on_every_head_but_not_on_input_order() {
        let (m, mut heads) = map(50);
        heads.reverse();
        let reversed = HeadsMap::new(heads.iter().map(|(s, l, h)| (s.as_str(), *l, *h)));
        assert_eq!(m.root(), reversed.root());
        heads[10].1 += 1;
        let changed = HeadsMap::new(heads.iter().map(|(s, l, h)| (s.as_str(), *l, *h)));
        assert_ne!(m.root(), changed.root());
    }

    #[test]
    fn a_later_head_replaces_an_earlier_one() {
        let m = HeadsMap::new([("a", 1, [1u8; 32]), ("b", 1, [2u8; 32]), ("a", 2, [3u8; 32])]);
        assert_eq!(m.len(), 2);
        verify(&m.root(), "a", 2, &[3u8; 32], &m.proof("a").unwrap()).unwrap();
    }

    #[test]
    fn overlong_proofs_are_rejected_without_work() {
        assert_eq!(verify(&EMPTY, "a", 1, &EMPTY, &[EMPTY; 257]), Err(HeadsError::TooLong(257)));
    }
}
