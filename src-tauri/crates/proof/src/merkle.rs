//! RFC 6962 / RFC 9162 Merkle trees over SHA-256.
//!
//! Leaf hash = SHA-256(0x00 ‖ leaf), node hash = SHA-256(0x01 ‖ left ‖ right); a tree of `n` leaves splits at
//! the largest power of two below `n`, so unpaired nodes are promoted, never duplicated.
//!
//! Proof *generation* is split in two so that storage can fetch what it needs in one round trip: the
//! `*_ranges` functions say which subtrees a proof consists of, [`Subtree::decompose`] breaks each range into
//! complete aligned subtrees (which a store can keep), and [`fold_range`] hashes them back together.
//! Proof *verification* follows the transparency-dev reference implementation (itself RFC 9162 §2.1.3 and
//! §2.1.4), with typed errors for every way a proof can be malformed.

use sha2::{Digest, Sha256};
use std::ops::Range;

/// A SHA-256 digest: a leaf hash, a node hash or a tree root.
pub type Hash = [u8; 32];

/// Hash of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// RFC 6962 leaf hash: SHA-256(0x00 ‖ leaf).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

/// RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Why a proof does not verify. Every variant is a *result* about the proof, not a fault of the verifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("proof has {got} hashes, a valid one has {want}")]
    WrongProofSize { got: usize, want: usize },
    #[error("first tree size {size1} is larger than second tree size {size2}")]
    SizesReversed { size1: u64, size2: u64 },
    #[error("calculated root {calculated} does not match expected root {expected}")]
    MismatchedRoot { calculated: String, expected: String },
}

fn mismatch(calculated: &Hash, expected: &Hash) -> ProofError {
    ProofError::MismatchedRoot { calculated: hex::encode(calculated), expected: hex::encode(expected) }
}

/// Number of proof hashes below the point where the leaf's path meets the tree's right border.
fn inner_proof_size(index: u64, size: u64) -> usize {
    (64 - (index ^ (size - 1)).leading_zeros()) as usize
}

/// Splits an inclusion proof's length into its inner part and its right-border part.
fn decompose_inclusion(index: u64, size: u64) -> (usize, usize) {
    let inner = inner_proof_size(index, size);
    let border = (index.checked_shr(inner as u32).unwrap_or(0)).count_ones() as usize;
    (inner, border)
}

fn chain_inner(seed: Hash, proof: &[Hash], index: u64) -> Hash {
    proof.iter().enumerate().fold(
        seed,
        |acc, (i, h)| {
            if (index >> i) & 1 == 0 { node_hash(&acc, h) } else { node_hash(h, &acc) }
        },
    )
}

fn chain_inner_right(seed: Hash, proof: &[Hash], index: u64) -> Hash {
    proof.iter().enumerate().fold(seed, |acc, (i, h)| if (index >> i) & 1 == 1 { node_hash(h, &acc) } else { acc })
}

fn chain_border_right(seed: Hash, proof: &[Hash]) -> Hash {
    proof.iter().fold(seed, |acc, h| node_hash(h, &acc))
}

/// Recomputes the root a leaf's inclusion proof leads to.
pub fn root_from_inclusion_proof(index: u64, size: u64, leaf_hash: &Hash, proof: &[Hash]) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (inner, border) = decompose_inclusion(index, size);
    if proof.len() != inner + border {
        return Err(ProofError::WrongProofSize { got: proof.len(), want: inner + border });
    }
    let (inner_part, border_part) = proof.split_at(inner);
    Ok(chain_border_right(chain_inner(*leaf_hash, inner_part, index), border_part))
}

/// Verifies an RFC 6962 inclusion proof (hashes ordered leaf level first).
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let calculated = root_from_inclusion_proof(index, size, leaf_hash, proof)?;
    if &calculated == root { Ok(()) } else { Err(mismatch(&calculated, root)) }
}

/// Verifies many inclusion proofs against one tree, with exactly the results of calling [`verify_inclusion`]
/// on each, but sharing work between them. A proof's path is cut short when, at some step `k`, it holds the
/// same node value at the same position (`index >> k`) as a proof already verified, with the same remaining
/// proof hashes: the rest of its computation would repeat that proof's, which reached the root. (Position
/// fixes the remaining left/right choices: two indices that agree above bit `k` have the same inner/border
/// split from step `k` on.) A session's proofs converge quickly, so this makes export verification cheap.
pub fn verify_inclusions(size: u64, root: &Hash, items: &[(u64, Hash, &[Hash])]) -> Vec<Result<(), ProofError>> {
    use std::collections::HashMap;
    // (step, index >> step) → (value before that step, item whose verified path passed there)
    let mut seen: HashMap<(usize, u64), (Hash, usize)> = HashMap::new();
    let mut results = Vec::with_capacity(items.len());
    for (id, (index, leaf, proof)) in items.iter().enumerate() {
        let (index, proof) = (*index, *proof);
        if index >= size {
            results.push(Err(ProofError::IndexOutOfRange { index, size }));
            continue;
        }
        let (inner, border) = decompose_inclusion(index, size);
        if proof.len() != inner + border {
            results.push(Err(ProofError::WrongProofSize { got: proof.len(), want: inner + border }));
            continue;
        }
        let mut value = *leaf;
        let mut path = Vec::with_capacity(proof.len());
        let mut joined = false;
        for (k, p) in proof.iter().enumerate() {
            let position = (k, index.checked_shr(k as u32).unwrap_or(0));
            if let Some((v, other)) = seen.get(&position)
                && *v == value
                && items.get(*other).and_then(|o| o.2.get(k..)) == proof.get(k..)
            {
                joined = true;
                break;
            }
            path.push((position, value));
            let right_child = k < inner && (index >> k) & 1 == 0;
            value = if right_child { node_hash(&value, p) } else { node_hash(p, &value) };
        }
        if joined || &value == root {
            for (position, v) in path {
                seen.entry(position).or_insert((v, id));
            }
            results.push(Ok(()));
        } else {
            results.push(Err(mismatch(&value, root)));
        }
    }
    results
}

/// Verifies an RFC 6962 consistency proof between a tree of `size1` leaves and a tree of `size2` leaves.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), ProofError> {
    if size2 < size1 {
        return Err(ProofError::SizesReversed { size1, size2 });
    }
    if size1 == size2 || size1 == 0 {
        // Equal trees need no proof, and every tree extends the empty tree; anything more is malformed.
        if !proof.is_empty() {
            return Err(ProofError::WrongProofSize { got: proof.len(), want: 0 });
        }
        return if size1 == 0 || root1 == root2 { Ok(()) } else { Err(mismatch(root1, root2)) };
    }
    // Now 0 < size1 < size2: the proof is a suffix of the inclusion proof of leaf size1-1 in size2, starting
    // at the level of the largest complete subtree that the two trees share on their left border.
    let (inner, border) = decompose_inclusion(size1 - 1, size2);
    let shift = size1.trailing_zeros() as usize;
    let inner = inner.saturating_sub(shift);
    let (seed, rest) = if size1 == 1u64 << shift {
        (*root1, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(ProofError::WrongProofSize { got: 0, want: 1 + inner + border }),
        }
    };
    if rest.len() != inner + border {
        let start = proof.len() - rest.len();
        return Err(ProofError::WrongProofSize { got: proof.len(), want: start + inner + border });
    }
    let (inner_part, border_part) = rest.split_at(inner);
    let mask = (size1 - 1) >> shift;
    let hash1 = chain_border_right(chain_inner_right(seed, inner_part, mask), border_part);
    if &hash1 != root1 {
        return Err(mismatch(&hash1, root1));
    }
    let hash2 = chain_border_right(chain_inner(seed, inner_part, mask), border_part);
    if &hash2 != root2 {
        return Err(mismatch(&hash2, root2));
    }
    Ok(())
}

/// A complete, aligned subtree: the `2^level` leaves starting at `index << level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subtree {
    pub level: u32,
    pub index: u64,
}

impl Subtree {
    /// The leaves this subtree covers.
    pub fn leaves(self) -> Range<u64> {
        (self.index << self.level)..((self.index + 1) << self.level)
    }

    /// Splits a leaf range into complete aligned subtrees, largest first. For every range that is a node of an
    /// RFC 6962 tree (`[c·2^k, min((c+1)·2^k, n))`), folding the pieces right to left with [`node_hash`] yields
    /// that node's hash (see [`fold_range`]).
    pub fn decompose(range: Range<u64>) -> Vec<Subtree> {
        let mut out = Vec::new();
        let mut start = range.start;
        while start < range.end {
            let remaining = range.end - start;
            let mut level = 63 - remaining.leading_zeros();
            if start != 0 {
                level = level.min(start.trailing_zeros());
            }
            out.push(Subtree { level, index: start >> level });
            start += 1u64 << level;
        }
        out
    }
}

/// Hashes the pieces of [`Subtree::decompose`] back into the hash of the whole range.
pub fn fold_range(pieces: &[Hash]) -> Option<Hash> {
    let (last, rest) = pieces.split_last()?;
    Some(rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)))
}

fn split_point(n: u64) -> u64 {
    // Largest power of two strictly below n (n >= 2).
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The leaf ranges whose hashes form the inclusion proof of `index` in a tree of `size`, leaf level first.
pub fn inclusion_ranges(index: u64, size: u64) -> Result<Vec<Range<u64>>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut out = Vec::new();
    let (mut lo, mut hi, mut m) = (0u64, size, index);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if m < k {
            out.push(lo + k..hi);
            hi = lo + k;
        } else {
            out.push(lo..lo + k);
            lo += k;
            m -= k;
        }
    }
    out.reverse();
    Ok(out)
}

/// The leaf ranges whose hashes form the consistency proof from `size1` to `size2` (RFC 6962 §2.1.2).
pub fn consistency_ranges(size1: u64, size2: u64) -> Result<Vec<Range<u64>>, ProofError> {
    if size1 > size2 {
        return Err(ProofError::SizesReversed { size1, size2 });
    }
    let mut out = Vec::new();
    if size1 == 0 || size1 == size2 {
        return Ok(out);
    }
    let (mut lo, mut hi, mut m, mut complete) = (0u64, size2, size1, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !complete {
                out.push(lo..hi);
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            out.push(lo + k..hi);
            hi = lo + k;
        } else {
            out.push(lo..lo + k);
            lo += k;
            m -= k;
            complete = false;
        }
    }
    out.reverse();
    Ok(out)
}

/// Merkle tree hash of a slice of leaf hashes (batch; O(n) hashing, O(log n) stack).
pub fn root_of(leaf_hashes: &[Hash]) -> Hash {
    let mut frontier = Frontier::default();
    for h in leaf_hashes {
        frontier.push(*h, |_, _| {});
    }
    frontier.root()
}

/// The right border of a growing tree (a "compact range"): one complete subtree hash per set bit of the size.
/// Appending a leaf costs amortised two hashes and reports every subtree it completes, which is how the store
/// keeps stored subtree hashes up to date without ever rebuilding the tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// Complete subtrees on the right border, largest (leftmost) first.
    nodes: Vec<(Subtree, Hash)>,
}

impl Frontier {
    /// Rebuilds a frontier from the hashes of the subtrees `Subtree::decompose(0..size)` names, in that order.
    pub fn from_parts(size: u64, hashes: &[Hash]) -> Option<Self> {
        let subtrees = Subtree::decompose(0..size);
        if subtrees.len() != hashes.len() {
            return None;
        }
        Some(Frontier { size, nodes: subtrees.into_iter().zip(hashes.iter().copied()).collect() })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf hash; `completed` is called for every complete subtree this finishes, the leaf itself
    /// (level 0) included, lowest level first.
    pub fn push(&mut self, leaf_hash: Hash, mut completed: impl FnMut(Subtree, &Hash)) {
        let mut node = (Subtree { level: 0, index: self.size }, leaf_hash);
        completed(node.0, &node.1);
        while let Some((left, left_hash)) = self.nodes.last().copied() {
            if left.level != node.0.level {
                break;
            }
            self.nodes.pop();
            node = (Subtree { level: left.level + 1, index: left.index >> 1 }, node_hash(&left_hash, &node.1));
            completed(node.0, &node.1);
        }
        self.nodes.push(node);
        self.size += 1;
    }

    /// The tree's root hash (the empty-tree hash for size 0).
    pub fn root(&self) -> Hash {
        let hashes: Vec<Hash> = self.nodes.iter().map(|(_, h)| *h).collect();
        fold_range(&hashes).unwrap_or_else(empty_root)
    }

    /// The border subtrees and their hashes, largest first.
    pub fn parts(&self) -> &[(Subtree, Hash)] {
        &self.nodes
    }
}

/// An in-memory tree of leaf hashes with every complete subtree hash precomputed (about 2n hashes), so any
/// proof is O(log n). Used for batch proofs (small logs, exports, tests and benchmarks); the store answers
/// proofs for large logs from stored subtree hashes instead.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    /// `levels[l][i]` is the hash of complete subtree `Subtree { level: l, index: i }`.
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    pub fn new(leaves: Vec<Hash>) -> Self {
        let mut levels = vec![leaves];
        while let Some(below) = levels.last().filter(|l| l.len() > 1) {
            let above: Vec<Hash> = below
                .chunks_exact(2)
                .map(|p| match p {
                    [l, r] => node_hash(l, r),
                    _ => empty_root(),
                })
                .collect();
            levels.push(above);
        }
        MemoryTree { levels }
    }

    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Hash of leaves `[range)`, which must be a node of some RFC 6962 tree (as proof ranges are).
    pub fn range_hash(&self, range: Range<u64>) -> Option<Hash> {
        let pieces: Option<Vec<Hash>> = Subtree::decompose(range).into_iter().map(|s| self.subtree_hash(s)).collect();
        fold_range(&pieces?)
    }

    fn subtree_hash(&self, s: Subtree) -> Option<Hash> {
        self.levels.get(s.level as usize)?.get(usize::try_from(s.index).ok()?).copied()
    }

    /// Root of the first `size` leaves.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        if size == 0 {
            return Some(empty_root());
        }
        if size > self.size() {
            return None;
        }
        self.range_hash(0..size)
    }

    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if size > self.size() {
            return None;
        }
        inclusion_ranges(index, size).ok()?.into_iter().map(|r| self.range_hash(r)).collect()
    }

    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Option<Vec<Hash>> {
        if size2 > self.size() {
            return None;
        }
        consistency_ranges(size1, size2).ok()?.into_iter().map(|r| self.range_hash(r)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(n: u64) -> MemoryTree {
        MemoryTree::new((0..n).map(|i| leaf_hash(format!("leaf-{i}").as_bytes())).collect())
    }

    #[test]
    fn decompose_matches_binary_expansion() {
        assert_eq!(
            Subtree::decompose(0..7),
            vec![Subtree { level: 2, index: 0 }, Subtree { level: 1, index: 2 }, Subtree { level: 0, index: 6 }]
        );
        assert_eq!(Subtree::decompose(4..7), vec![Subtree { level: 1, index: 2 }, Subtree { level: 0, index: 6 }]);
        assert!(Subtree::decompose(3..3).is_empty());
    }

    #[test]
    fn every_proof_of_small_trees_verifies_and_wrong_ones_fail() {
        let t = tree(40);
        for size in 1..=40 {
            let root = t.root_at(size).unwrap();
            for index in 0..size {
                let proof = t.inclusion_proof(index, size).unwrap();
                let leaf = t.levels[0][index as usize];
                verify_inclusion(index, size, &leaf, &proof, &root).unwrap();
                if size > 1 {
                    let other = t.levels[0][((index + 1) % size) as usize];
                    assert!(verify_inclusion(index, size, &other, &proof, &root).is_err());
                }
            }
            for size1 in 0..=size {
                let proof = t.consistency_proof(size1, size).unwrap();
                verify_consistency(size1, size, &proof, &t.root_at(size1).unwrap(), &root).unwrap();
            }
        }
    }

    #[test]
    fn batch_verification_agrees_with_single_verification() {
        let t = tree(45);
        let size = 45;
        let root = t.root_at(size).unwrap();
        let mut items: Vec<(u64, Hash, Vec<Hash>)> =
            (0..size).map(|i| (i, t.levels[0][i as usize], t.inclusion_proof(i, size).unwrap())).collect();
        // Corrupt some: a wrong leaf after its good twin, a flipped hash late in a path, a wrong index, a
        // short proof; the batch must judge each exactly as single verification does.
        items.push((7, t.levels[0][8], items[7].2.clone()));
        let mut late = items[20].2.clone();
        let last = late.len() - 1;
        late[last][0] ^= 1;
        items.push((20, t.levels[0][20], late));
        items.push((21, t.levels[0][20], items[20].2.clone()));
        items.push((3, t.levels[0][3], items[3].2[1..].to_vec()));
        items.push((50, t.levels[0][3], vec![]));
        let refs: Vec<(u64, Hash, &[Hash])> = items.iter().map(|(i, l, p)| (*i, *l, p.as_slice())).collect();
        let batch = verify_inclusions(size, &root, &refs);
        for ((i, l, p), got) in items.iter().zip(batch) {
            assert_eq!(got, verify_inclusion(*i, size, l, p, &root), "index {i}");
        }
    }

    #[test]
    fn frontier_reports_completed_subtrees_and_round_trips() {
        let t = tree(13);
        let mut f = Frontier::default();
        let mut seen = Vec::new();
        for h in &t.levels[0] {
            f.push(*h, |s, _| seen.push(s));
        }
        assert_eq!(f.root(), t.root_at(13).unwrap());
        assert!(seen.contains(&Subtree { level: 3, index: 0 }));
        assert!(!seen.contains(&Subtree { level: 3, index: 1 }));
        let hashes: Vec<Hash> = f.parts().iter().map(|(_, h)| *h).collect();
        assert_eq!(Frontier::from_parts(13, &hashes), Some(f));
        assert_eq!(Frontier::from_parts(13, &hashes[1..]), None);
    }

    #[test]
    fn empty_frontier_has_empty_root() {
        assert_eq!(Frontier::default().root(), empty_root());
    }
}
