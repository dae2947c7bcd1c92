//! Shared-node inclusion proofs: many leaves of one tree proved together, carrying each needed node once.
//!
//! A session's records sit at scattered leaves of the log, and their RFC 6962 audit paths share most of their
//! upper nodes. Instead of one full path per record, a file carries the leaves and, once each, the hashes of
//! the maximal subtrees that hold none of them: exactly the audit-path members that cannot be computed from the
//! leaves themselves. Walking the tree from the root, a subtree that holds a carried leaf is split at RFC
//! 6962's split point (the largest power of two below its size); a subtree that holds none is a *node* and its
//! hash is read from the file. The nodes are listed in the order this walk meets them (left to right), which
//! makes the encoding unique. Any plain audit path can be rebuilt from the same data
//! ([`inclusion_proof_from_shared`]), which is what third-party tools need.

use crate::merkle::{Hash, ProofError, inclusion_ranges, node_hash};
use std::collections::HashMap;
use std::ops::Range;

/// A carried leaf: its index in the log and its leaf hash.
pub type Leaf = (u64, Hash);
/// A shared node: the leaf range it covers and its hash.
pub type SharedNode = (Range<u64>, Hash);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SharedError {
    #[error("no leaves to prove")]
    NoLeaves,
    #[error("leaf indices must be strictly increasing and below the tree size {size}; leaf {index} is not")]
    BadIndex { index: u64, size: u64 },
    #[error(
        "node {position} covers leaves [{got_start}, {got_end}), but the next node needed is [{want_start}, {want_end})"
    )]
    WrongNode { position: usize, got_start: u64, got_end: u64, want_start: u64, want_end: u64 },
    #[error("the proof ends before node [{start}, {end}), which is needed")]
    MissingNode { start: u64, end: u64 },
    #[error("{extra} nodes after the last one needed")]
    ExtraNodes { extra: usize },
    #[error(transparent)]
    Proof(#[from] ProofError),
}

/// Largest power of two strictly below `n` (n >= 2): where RFC 6962 splits a tree of `n` leaves.
fn split_point(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

fn check_indices(size: u64, indices: impl Iterator<Item = u64>) -> Result<(), SharedError> {
    let mut prev: Option<u64> = None;
    let mut any = false;
    for index in indices {
        any = true;
        if index >= size || prev.is_some_and(|p| index <= p) {
            return Err(SharedError::BadIndex { index, size });
        }
        prev = Some(index);
    }
    if any { Ok(()) } else { Err(SharedError::NoLeaves) }
}

/// The nodes (leaf ranges) a shared proof of the given leaves carries, in walk order. `indices` must be
/// strictly increasing and below `size`.
pub fn shared_ranges(size: u64, indices: &[u64]) -> Result<Vec<Range<u64>>, SharedError> {
    check_indices(size, indices.iter().copied())?;
    let mut out = Vec::new();
    walk_ranges(0, size, indices, &mut out);
    Ok(out)
}

fn walk_ranges(lo: u64, hi: u64, indices: &[u64], out: &mut Vec<Range<u64>>) {
    if indices.is_empty() {
        out.push(lo..hi);
        return;
    }
    if hi - lo == 1 {
        return;
    }
    let mid = lo + split_point(hi - lo);
    let cut = indices.partition_point(|&i| i < mid);
    let (left, right) = indices.split_at(cut);
    walk_ranges(lo, mid, left, out);
    walk_ranges(mid, hi, right, out);
}

/// The root of the tree of `size` leaves computed from the given leaves (index, leaf hash; strictly
/// increasing) and the shared nodes (range, hash) in walk order. Every node must be used, in order.
pub fn root_from_shared(size: u64, leaves: &[Leaf], nodes: &[SharedNode]) -> Result<Hash, SharedError> {
    check_indices(size, leaves.iter().map(|(i, _)| *i))?;
    if let Some(root) = root_in_halves(size, leaves, nodes) {
        return Ok(root);
    }
    let mut next = nodes.iter().enumerate();
    let root = walk_hash(0, size, leaves, &mut next)?;
    let extra = next.count();
    if extra > 0 {
        return Err(SharedError::ExtraNodes { extra });
    }
    Ok(root)
}

/// Below this many leaves a second thread costs more than it saves.
const MIN_LEAVES_FOR_HALVES: usize = 2_048;

/// The root from the tree's two halves, hashed side by side (a session of 10k records hashes ~30k nodes):
/// `Some` only when each half uses exactly its own nodes and reaches a hash, which is exactly when the single
/// walk succeeds, with the same root. Otherwise `None`, and the single walk runs to name the fault.
fn root_in_halves(size: u64, leaves: &[Leaf], nodes: &[SharedNode]) -> Option<Hash> {
    if leaves.len() < MIN_LEAVES_FOR_HALVES || size < 2 {
        return None;
    }
    let mid = split_point(size);
    let (left_leaves, right_leaves) = leaves.split_at(leaves.partition_point(|(i, _)| *i < mid));
    let (left_nodes, right_nodes) = nodes.split_at(nodes.partition_point(|(r, _)| r.start < mid));
    let half = |lo: u64, hi: u64, leaves: &[Leaf], nodes: &[SharedNode]| -> Option<Hash> {
        let mut next = nodes.iter().enumerate();
        let hash = walk_hash(lo, hi, leaves, &mut next).ok()?;
        next.next().is_none().then_some(hash)
    };
    let (left, right) = std::thread::scope(|scope| {
        let left = scope.spawn(|| half(0, mid, left_leaves, left_nodes));
        let right = half(mid, size, right_leaves, right_nodes);
        (left.join().ok().flatten(), right)
    });
    Some(node_hash(&left?, &right?))
}

fn walk_hash<'a>(
    lo: u64,
    hi: u64,
    leaves: &[Leaf],
    nodes: &mut impl Iterator<Item = (usize, &'a SharedNode)>,
) -> Result<Hash, SharedError> {
    match leaves {
        [] => {
            let (position, (range, hash)) = nodes.next().ok_or(SharedError::MissingNode { start: lo, end: hi })?;
            if range.start != lo || range.end != hi {
                return Err(SharedError::WrongNode {
                    position,
                    got_start: range.start,
                    got_end: range.end,
                    want_start: lo,
                    want_end: hi,
                });
            }
            Ok(*hash)
        }
        [(_, leaf)] if hi - lo == 1 => Ok(*leaf),
        _ => {
            let mid = lo + split_point(hi - lo);
            let cut = leaves.partition_point(|(i, _)| *i < mid);
            let (left, right) = leaves.split_at(cut);
            let l = walk_hash(lo, mid, left, nodes)?;
            let r = walk_hash(mid, hi, right, nodes)?;
            Ok(node_hash(&l, &r))
        }
    }
}

/// Rebuilds the plain RFC 6962 audit path of `index` (one of the carried leaves) from a shared proof: each
/// path member is either a carried node or the hash of a subtree computed from carried leaves and nodes.
pub fn inclusion_proof_from_shared(
    index: u64,
    size: u64,
    leaves: &[Leaf],
    nodes: &[SharedNode],
) -> Result<Vec<Hash>, SharedError> {
    check_indices(size, leaves.iter().map(|(i, _)| *i))?;
    let by_range: HashMap<(u64, u64), Hash> = nodes.iter().map(|(r, h)| ((r.start, r.end), *h)).collect();
    inclusion_ranges(index, size)?
        .into_iter()
        .map(|r| {
            let from = leaves.partition_point(|(i, _)| *i < r.start);
            let to = leaves.partition_point(|(i, _)| *i < r.end);
            range_hash(r.start, r.end, leaves.get(from..to).unwrap_or_default(), &by_range)
        })
        .collect()
}

/// The RFC 6962 hash of leaves `range`, computed from a shared proof's leaves and nodes.
pub fn subtree_hash(range: Range<u64>, leaves: &[Leaf], nodes: &[SharedNode]) -> Result<Hash, SharedError> {
    let by_range: HashMap<(u64, u64), Hash> = nodes.iter().map(|(r, h)| ((r.start, r.end), *h)).collect();
    let from = leaves.partition_point(|(i, _)| *i < range.start);
    let to = leaves.partition_point(|(i, _)| *i < range.end);
    range_hash(range.start, range.end, leaves.get(from..to).unwrap_or_default(), &by_range)
}

fn range_hash(lo: u64, hi: u64, leaves: &[Leaf], nodes: &HashMap<(u64, u64), Hash>) -> Result<Hash, SharedError> {
    match leaves {
        [] => nodes.get(&(lo, hi)).copied().ok_or(SharedError::MissingNode { start: lo, end: hi }),
        [(_, leaf)] if hi - lo == 1 => Ok(*leaf),
        _ => {
            let mid = lo + split_point(hi - lo);
            let cut = leaves.partition_point(|(i, _)| *i < mid);
            let (left, right) = leaves.split_at(cut);
            Ok(node_hash(&range_hash(lo, mid, left, nodes)?, &range_hash(mid, hi, right, nodes)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{MemoryTree, leaf_hash};

    fn tree(n: u64) -> MemoryTree {
        MemoryTree::new((0..n).map(|i| leaf_hash(format!("leaf-{i}").as_bytes())).collect())
    }

    fn shared(t: &MemoryTree, size: u64, indices: &[u64]) -> (Vec<Leaf>, Vec<SharedNode>) {
        let leaves = indices.iter().map(|&i| (i, t.range_hash(i..i + 1).unwrap())).collect();
        let nodes =
            shared_ranges(size, indices).unwrap().into_iter().map(|r| (r.clone(), t.range_hash(r).unwrap())).collect();
        (leaves, nodes)
    }

    #[test]
    fn shared_proofs_reach_the_root_and_rebuild_every_plain_path() {
        let t = tree(70);
        for size in [1u64, 2, 3, 7, 8, 9, 33, 70] {
            let root = t.root_at(size).unwrap();
            for indices in [vec![0], vec![size - 1], (0..size).step_by(3).collect(), (0..size).collect::<Vec<_>>()] {
                let (leaves, nodes) = shared(&t, size, &indices);
                assert_eq!(root_from_shared(size, &leaves, &nodes).unwrap(), root, "size {size} {indices:?}");
                for &i in &indices {
                    let plain = inclusion_proof_from_shared(i, size, &leaves, &nodes).unwrap();
                    assert_eq!(plain, t.inclusion_proof(i, size).unwrap(), "size {size} index {i}");
                }
            }
        }
    }

    /// Large proofs are hashed in two halves; the root, and every fault, are those of the single walk.
    #[test]
    fn a_large_proof_hashed_in_halves_agrees_with_the_single_walk() {
        let size = 10_000u64;
        let t = tree(size);
        let indices: Vec<u64> = (0..size).filter(|i| i % 3 != 1).collect();
        let (leaves, nodes) = shared(&t, size, &indices);
        assert!(leaves.len() >= MIN_LEAVES_FOR_HALVES);
        assert_eq!(root_in_halves(size, &leaves, &nodes), Some(t.root_at(size).unwrap()));
        assert_eq!(root_from_shared(size, &leaves, &nodes).unwrap(), t.root_at(size).unwrap());
        let mut swapped = nodes.clone();
        let mid = swapped.partition_point(|(r, _)| r.start < split_point(size));
        swapped.swap(mid - 1, mid);
        assert_eq!(root_in_halves(size, &leaves, &swapped), None);
        assert!(matches!(root_from_shared(size, &leaves, &swapped), Err(SharedError::WrongNode { .. })));
        assert!(matches!(root_from_shared(size, &leaves, &nodes[1..]), Err(SharedError::WrongNode { .. })));
        let mut extra = nodes.clone();
        extra.push(nodes[0].clone());
        assert_eq!(root_from_shared(size, &leaves, &extra), Err(SharedError::ExtraNodes { extra: 1 }));
        let mut wrong = leaves.clone();
        wrong[leaves.len() - 1].1[0] ^= 1;
        assert_ne!(root_from_shared(size, &wrong, &nodes).unwrap(), t.root_at(size).unwrap());
    }

    #[test]
    fn nodes_are_fewer_than_the_paths_they_replace() {
        let size = 1u64 << 16;
        let indices: Vec<u64> = (0..size).step_by(7).collect();
        let nodes = shared_ranges(size, &indices).unwrap().len();
        let paths: usize = indices.iter().map(|&i| inclusion_ranges(i, size).unwrap().len()).sum();
        assert!(nodes * 4 < paths, "{nodes} nodes vs {paths} path hashes");
    }

    #[test]
    fn every_malformed_shared_proof_is_rejected() {
        let t = tree(20);
        let (leaves, nodes) = shared(&t, 20, &[2, 5, 11]);
        let root = t.root_at(20).unwrap();
        let mut wrong_leaf = leaves.clone();
        wrong_leaf[1].1[0] ^= 1;
        assert_ne!(root_from_shared(20, &wrong_leaf, &nodes).unwrap(), root);
        let mut flipped = nodes.clone();
        flipped[2].1[31] ^= 1;
        assert_ne!(root_from_shared(20, &leaves, &flipped).unwrap(), root);
        assert!(matches!(root_from_shared(20, &leaves, &nodes[1..]), Err(SharedError::WrongNode { .. })));
        assert!(matches!(
            root_from_shared(20, &leaves, &nodes[..nodes.len() - 1]),
            Err(SharedError::MissingNode { .. })
        ));
        let mut extra = nodes.clone();
        extra.push(nodes[0].clone());
        assert_eq!(root_from_shared(20, &leaves, &extra), Err(SharedError::ExtraNodes { extra: 1 }));
        let mut swapped = nodes.clone();
        swapped.swap(0, 1);
        assert!(matches!(root_from_shared(20, &leaves, &swapped), Err(SharedError::WrongNode { .. })));
        let reordered = vec![leaves[1], leaves[0], leaves[2]];
        assert!(matches!(root_from_shared(20, &reordered, &nodes), Err(SharedError::BadIndex { .. })));
        let duplicated = vec![leaves[0], leaves[0], leaves[1], leaves[2]];
        assert!(matches!(root_from_shared(20, &duplicated, &nodes), Err(SharedError::BadIndex { .. })));
        assert!(matches!(root_from_shared(20, &[(20, leaves[0].1)], &nodes), Err(SharedError::BadIndex { .. })));
        assert_eq!(root_from_shared(20, &[], &nodes), Err(SharedError::NoLeaves));
        assert!(root_from_shared(0, &leaves, &nodes).is_err());
    }
}
