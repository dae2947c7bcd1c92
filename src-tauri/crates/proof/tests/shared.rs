//! `vargate-proof/3`: shared nodes and the anchor section. Every change to what the file asserts fails the
//! named check; the untouched file, and one anchored at an earlier size, verify.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{TENANT, log, signer};
use vargate_proof::merkle::{MemoryTree, leaf_hash};
use vargate_proof::session_proof::{Node, build_from_leaves};
use vargate_proof::{
    AnchorCheck, AnchorSection, CheckStatus, Checkpoint, NoteSigner, SessionProof, verify_proof_file,
    verify_proof_file_with,
};

fn file(n: u64, session: &str) -> SessionProof {
    build_from_leaves(&log(n), TENANT, session, &signer()).unwrap()
}

fn checks(file: &SessionProof, anchor: Option<&dyn AnchorCheck>) -> Vec<(String, CheckStatus)> {
    let bytes = serde_json::to_vec(file).unwrap();
    let v = verify_proof_file_with(&bytes, Some(signer().verifier()), anchor).unwrap();
    v.checks.into_iter().map(|c| (c.name, c.status)).collect()
}

fn failed(file: &SessionProof) -> Vec<String> {
    checks(file, None).into_iter().filter(|(_, s)| *s == CheckStatus::Fail).map(|(n, _)| n).collect()
}

fn assert_fails(what: &str, check: &str, tamper: impl FnOnce(&mut SessionProof)) {
    let mut f = file(300, "s1");
    tamper(&mut f);
    let failed = failed(&f);
    assert!(failed.iter().any(|c| c == check), "{what}: failed {failed:?}, expected {check:?} among them");
}

/// A checkpoint of the first `size` leaves and the consistency proof from it to the whole log.
fn anchor_at(size: u64, n: u64, by: &NoteSigner) -> AnchorSection {
    let tree = MemoryTree::new(log(n).iter().map(|l| leaf_hash(l)).collect());
    let origin = signer().verifier().name.clone();
    AnchorSection {
        checkpoint: Checkpoint::new(&origin, size, tree.root_at(size).unwrap()).sign(by).unwrap(),
        consistency_proof: tree.consistency_proof(size, n).unwrap().iter().map(hex::encode).collect(),
        evidence: serde_json::json!({"tx": "opaque to this crate"}),
    }
}

struct Accepts;
impl AnchorCheck for Accepts {
    fn check(&self, evidence: &serde_json::Value, anchored: &Checkpoint) -> Result<String, String> {
        assert_eq!(evidence["tx"], "opaque to this crate");
        Ok(format!("size {}", anchored.size))
    }
}

#[test]
fn untouched_file_verifies_and_carries_each_node_once() {
    let f = file(300, "s1");
    assert_eq!(f.entries.len(), 100);
    let all = checks(&f, None);
    assert!(all.iter().all(|(_, s)| *s != CheckStatus::Fail), "{all:?}");
    assert!(all.contains(&("anchor".to_owned(), CheckStatus::Warn)), "unanchored must be a warning: {all:?}");
    let distinct: std::collections::HashSet<_> = f.nodes.iter().map(|Node(s, e, _)| (*s, *e)).collect();
    assert_eq!(distinct.len(), f.nodes.len());
    let plain_hashes: usize = (0..f.entries.len()).map(|i| f.inclusion_proof(i, 300).unwrap().len()).sum();
    assert!(f.nodes.len() * 3 < plain_hashes, "{} nodes for {plain_hashes} path hashes", f.nodes.len());
}

#[test]
fn plain_paths_rebuilt_from_the_file_are_rfc6962_proofs() {
    let leaves = log(300);
    let tree = MemoryTree::new(leaves.iter().map(|l| leaf_hash(l)).collect());
    let f = file(300, "s2");
    for (i, e) in f.entries.iter().enumerate() {
        assert_eq!(f.inclusion_proof(i, 300).unwrap(), tree.inclusion_proof(e.index, 300).unwrap());
    }
}

fn edit_leaf(f: &mut SessionProof, i: usize, from: &str, to: &str) {
    let leaf = String::from_utf8(B64.decode(&f.entries[i].leaf).unwrap()).unwrap();
    f.entries[i].leaf = B64.encode(leaf.replacen(from, to, 1));
}

fn restate_head(f: &mut SessionProof) {
    f.session.length = f.entries.len() as u64;
    let last = B64.decode(&f.entries.last().unwrap().leaf).unwrap();
    f.session.head = hex::encode(leaf_hash(&last));
}

#[test]
fn record_and_node_changes_fail_the_named_check() {
    assert_fails("payload edited", "inclusion proofs", |f| edit_leaf(f, 7, "ls -la", "rm -rf"));
    assert_fails("record dropped", "inclusion proofs", |f| {
        f.entries.remove(4);
    });
    assert_fails("records swapped", "inclusion proofs", |f| f.entries.swap(1, 2));
    assert_fails("record duplicated", "inclusion proofs", |f| {
        let e = f.entries[1].clone();
        f.entries.insert(2, e);
    });
    assert_fails("foreign record inserted", "session chain", |f| {
        let other = file(300, "s2");
        f.entries.insert(3, other.entries[3].clone());
    });
    assert_fails("node flipped", "inclusion proofs", |f| {
        let h = &mut f.nodes[5].2;
        let c = if h.starts_with('0') { "1" } else { "0" };
        h.replace_range(0..1, c);
    });
    assert_fails("node dropped", "inclusion proofs", |f| {
        f.nodes.remove(0);
    });
    assert_fails("node added", "inclusion proofs", |f| f.nodes.push(f.nodes[0].clone()));
    assert_fails("nodes reordered", "inclusion proofs", |f| f.nodes.swap(0, 1));
    assert_fails("nodes missing", "inclusion proofs", |f| f.nodes.clear());
}

#[test]
fn an_entry_with_a_plain_path_is_refused_in_format_3() {
    let mut json = serde_json::to_value(file(30, "s1")).unwrap();
    json["entries"][0]["inclusion_proof"] = serde_json::json!([]);
    let v = verify_proof_file(&serde_json::to_vec(&json).unwrap(), Some(signer().verifier())).unwrap();
    let c = v.checks.iter().find(|c| c.name == "inclusion proofs").unwrap();
    assert_eq!(c.status, CheckStatus::Fail, "{c:?}");
}

#[test]
fn a_session_cut_short_fails_completeness_even_with_a_restated_head() {
    // Built from a log where the session really has fewer records: every proof holds, but the checkpoint's
    // session-heads map commits to the longer session.
    let f = file(300, "s1");
    for keep in [99, 50, 1] {
        let mut cut = f.keep_first(keep).unwrap();
        restate_head(&mut cut);
        assert_eq!(failed(&cut), ["session complete"], "keeping {keep}");
    }
}

#[test]
fn an_anchor_at_an_earlier_size_verifies_and_tampering_with_it_fails() {
    let mut f = file(300, "s1");
    f.anchor = Some(anchor_at(120, 300, &signer()));
    let all = checks(&f, Some(&Accepts));
    for name in ["anchored checkpoint", "consistency to anchor", "anchor transaction"] {
        assert!(all.contains(&(name.to_owned(), CheckStatus::Pass)), "{name}: {all:?}");
    }
    let unchecked = checks(&f, None);
    assert!(unchecked.contains(&("anchor transaction".to_owned(), CheckStatus::Warn)));

    let mut wrong_size = f.clone();
    wrong_size.anchor = Some(AnchorSection {
        consistency_proof: anchor_at(121, 300, &signer()).consistency_proof,
        ..anchor_at(120, 300, &signer())
    });
    assert!(failed(&wrong_size).contains(&"consistency to anchor".to_owned()));

    let other = NoteSigner::from_seed(&signer().verifier().name, [9u8; 32]).unwrap();
    let mut forged = f.clone();
    forged.anchor = Some(anchor_at(120, 300, &other));
    assert!(failed(&forged).contains(&"anchored checkpoint".to_owned()));

    let mut later = f.clone();
    later.anchor = Some(AnchorSection { consistency_proof: vec![], ..anchor_at(300, 300, &signer()) });
    assert!(failed(&later).is_empty(), "anchored at the checkpoint's own size: {:?}", failed(&later));

    struct Rejects;
    impl AnchorCheck for Rejects {
        fn check(&self, _: &serde_json::Value, _: &Checkpoint) -> Result<String, String> {
            Err("calldata commits to another root".into())
        }
    }
    let rejected = checks(&f, Some(&Rejects));
    assert!(rejected.contains(&("anchor transaction".to_owned(), CheckStatus::Fail)));
}

#[test]
fn every_truncation_of_a_valid_file_gives_a_verdict_or_an_error_never_a_panic() {
    let mut f = file(60, "s0");
    f.anchor = Some(anchor_at(30, 60, &signer()));
    let bytes = serde_json::to_vec(&f).unwrap();
    for cut in (0..bytes.len()).step_by(7) {
        let _ = verify_proof_file(&bytes[..cut], Some(signer().verifier()));
    }
    for i in (0..bytes.len()).step_by(11) {
        let mut b = bytes.clone();
        b[i] ^= 0x20;
        let _ = verify_proof_file(&b, Some(signer().verifier()));
    }
}

/// A large session's records are read in parts, on several threads: a fault in any part is still found, and
/// named by its place in the whole session.
#[test]
fn a_large_session_is_read_in_parts_and_a_fault_in_any_part_is_named() {
    let f = file(4_000, "s1");
    assert!(f.entries.len() >= 1_024, "large enough to be split: {}", f.entries.len());
    assert!(failed(&f).is_empty());
    let last = f.entries.len() - 1;
    for i in [0, last / 2 + 1, last] {
        let mut g = f.clone();
        let text = String::from_utf8(B64.decode(&g.entries[i].leaf).unwrap()).unwrap();
        let changed = text.replacen(&format!("\"seq\":{i},"), &format!("\"seq\":{},", i + 7), 1);
        assert_ne!(text, changed);
        g.entries[i].leaf = B64.encode(changed);
        let v = verify_proof_file(&serde_json::to_vec(&g).unwrap(), Some(signer().verifier())).unwrap();
        let chain = v.checks.iter().find(|c| c.name == "session chain").unwrap();
        assert_eq!(chain.status, CheckStatus::Fail);
        assert!(chain.detail.starts_with(&format!("entry {i} has sequence number {}", i + 7)), "{}", chain.detail);
        let inclusion = v.checks.iter().find(|c| c.name == "inclusion proofs").unwrap();
        assert_eq!(inclusion.status, CheckStatus::Fail, "a changed leaf is not in the tree");
    }
}
