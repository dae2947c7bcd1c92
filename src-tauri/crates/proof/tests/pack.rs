//! The evidence pack's tamper suite: every change to a pack is rejected with the failing check named, and
//! no bytes at all make the reader panic.

mod common;

use common::{TENANT, log, signer};
use std::collections::BTreeMap;
use vargate_proof::merkle::{MemoryTree, leaf_hash};
use vargate_proof::pack::{self, Draft, MANIFEST, PROOF, REPORT, SIGNATURE};
use vargate_proof::session_proof::build_from_leaves;
use vargate_proof::{
    AnchorCheck, AnchorSection, CheckStatus, Checkpoint, NoteSigner, SessionProof, Verdict, verify_pack,
};

const N: u64 = 300;
const AT: &str = "2026-12-01T00:00:00Z";

/// Accepts evidence naming the anchored size (the EVM check itself is the anchoring crate's, tested there).
struct SizeCheck;
impl AnchorCheck for SizeCheck {
    fn check(&self, evidence: &serde_json::Value, anchored: &Checkpoint) -> Result<String, String> {
        match evidence["size"].as_u64() {
            Some(size) if size == anchored.size => Ok(format!("commits to size {size}")),
            other => Err(format!("the transaction commits to size {other:?}, not {}", anchored.size)),
        }
    }
}

fn anchor_at(size: u64, n: u64, by: &NoteSigner) -> AnchorSection {
    let tree = MemoryTree::new(log(n).iter().map(|l| leaf_hash(l)).collect());
    AnchorSection {
        checkpoint: Checkpoint::new(&by.verifier().name, size, tree.root_at(size).unwrap()).sign(by).unwrap(),
        consistency_proof: tree.consistency_proof(size, n).unwrap().iter().map(hex::encode).collect(),
        evidence: serde_json::json!({ "size": size }),
    }
}

fn proof() -> SessionProof {
    let mut p = build_from_leaves(&log(N), TENANT, "s1", &signer()).unwrap();
    p.anchor = Some(anchor_at(120, N, &signer()));
    p
}

fn pack_of(proof: &SessionProof, report: &[u8], by: &NoteSigner) -> Vec<u8> {
    let draft = Draft::new(proof, report.to_vec(), AT).unwrap();
    let note = by.sign(&pack::manifest_note_text(&pack::sha256(draft.manifest_bytes()))).unwrap();
    draft.finish(&note).unwrap()
}

fn good() -> Vec<u8> {
    pack_of(&proof(), b"%PDF-1.7 the report", &signer())
}

fn verdict(bytes: &[u8]) -> Verdict {
    verify_pack(bytes, Some(signer().verifier()), Some(&SizeCheck)).unwrap()
}

fn failed(bytes: &[u8]) -> Vec<String> {
    verdict(bytes).checks.into_iter().filter(|c| c.status == CheckStatus::Fail).map(|c| c.name).collect()
}

fn assert_fails(what: &str, bytes: &[u8], check: &str) {
    let failed = failed(bytes);
    assert!(failed.iter().any(|c| c == check), "{what}: failed {failed:?}, expected {check:?} among them");
}

/// Rebuilds the zip with some files replaced (no re-signing: what an attacker without the key can do).
fn rezip(bytes: &[u8], edit: impl FnOnce(&mut BTreeMap<String, Vec<u8>>)) -> Vec<u8> {
    let mut files = pack::read_zip(bytes).unwrap();
    edit(&mut files);
    let order = [MANIFEST, SIGNATURE, PROOF, REPORT];
    let mut named: Vec<(&str, &[u8])> =
        order.iter().filter_map(|n| files.get(*n).map(|b| (*n, b.as_slice()))).collect();
    named.extend(files.iter().filter(|(n, _)| !order.contains(&n.as_str())).map(|(n, b)| (n.as_str(), b.as_slice())));
    pack::write_zip(&named).unwrap()
}

fn edit_proof(edit: impl FnOnce(&mut SessionProof)) -> Vec<u8> {
    let mut p = proof();
    edit(&mut p);
    // Re-signed by the real key: the manifest is genuine, the proof inside is not.
    pack_of(&p, b"%PDF-1.7 the report", &signer())
}

#[test]
fn an_untouched_pack_verifies_with_every_check() {
    let v = verdict(&good());
    assert!(v.passed() && v.origin_verified, "{v:#?}");
    let names: Vec<&str> = v.checks.iter().map(|c| c.name.as_str()).collect();
    for check in [
        "pack archive",
        "manifest",
        "manifest signature",
        "file hashes",
        "manifest session",
        "checkpoint signature",
        "inclusion proofs",
        "session chain",
        "session complete",
        "anchored checkpoint",
        "consistency to anchor",
        "anchor transaction",
    ] {
        assert!(names.contains(&check), "{check} missing from {names:?}");
    }
}

#[test]
fn a_byte_flipped_anywhere_is_rejected_and_never_panics() {
    let bytes = good();
    let mut accepted = Vec::new();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        if verdict(&b).passed() {
            accepted.push(i);
        }
    }
    assert!(accepted.is_empty(), "flips accepted at offsets {accepted:?} of {}", bytes.len());
}

#[test]
fn every_truncation_is_rejected() {
    let bytes = good();
    for cut in 0..bytes.len() {
        assert!(!verdict(&bytes[..cut]).passed(), "truncated to {cut} bytes");
    }
}

#[test]
fn changed_files_fail_the_named_check() {
    let g = good();
    assert_fails(
        "swapped PDF",
        &rezip(&g, |f| {
            f.insert(REPORT.into(), b"%PDF-1.7 another report".to_vec());
        }),
        "file hashes",
    );
    assert_fails(
        "extra file",
        &rezip(&g, |f| {
            f.insert("notes.txt".into(), b"unsigned".to_vec());
        }),
        "file hashes",
    );
    assert_fails(
        "missing signature",
        &rezip(&g, |f| {
            f.remove(SIGNATURE);
        }),
        "manifest signature",
    );
    assert_fails(
        "missing report",
        &rezip(&g, |f| {
            f.remove(REPORT);
        }),
        "file hashes",
    );
    assert_fails(
        "missing proof",
        &rezip(&g, |f| {
            f.remove(PROOF);
        }),
        "proof file",
    );
    assert_fails(
        "missing manifest",
        &rezip(&g, |f| {
            f.remove(MANIFEST);
        }),
        "manifest",
    );
    let other = NoteSigner::from_seed(&signer().verifier().name, [8u8; 32]).unwrap();
    assert_fails("signed by another key", &pack_of(&proof(), b"%PDF", &other), "manifest signature");
    assert_fails(
        "manifest edited",
        &rezip(&g, |f| {
            let m = String::from_utf8(f[MANIFEST].clone()).unwrap().replace("2026-12-01", "2026-12-02");
            f.insert(MANIFEST.into(), m.into_bytes());
        }),
        "manifest signature",
    );
    assert_fails(
        "signature of another pack",
        &rezip(&g, |f| {
            let other = pack::read_zip(&pack_of(&proof(), b"%PDF other", &signer())).unwrap();
            f.insert(SIGNATURE.into(), other[SIGNATURE].clone());
        }),
        "manifest signature",
    );
}

#[test]
fn a_wrong_pinned_key_fails() {
    let other = NoteSigner::from_seed("someone-else", [5u8; 32]).unwrap();
    let v = verify_pack(&good(), Some(other.verifier()), Some(&SizeCheck)).unwrap();
    let failed: Vec<&str> =
        v.checks.iter().filter(|c| c.status == CheckStatus::Fail).map(|c| c.name.as_str()).collect();
    assert!(failed.contains(&"manifest signature") && failed.contains(&"pinned key"), "{failed:?}");
    let unpinned = verify_pack(&good(), None, Some(&SizeCheck)).unwrap();
    assert!(unpinned.passed() && !unpinned.origin_verified);
}

#[test]
fn record_changes_fail_even_in_a_genuinely_signed_pack() {
    assert_fails(
        "record dropped",
        &edit_proof(|p| {
            p.entries.remove(10);
        }),
        "inclusion proofs",
    );
    assert_fails("records reordered", &edit_proof(|p| p.entries.swap(3, 4)), "inclusion proofs");
    assert_fails(
        "record duplicated",
        &edit_proof(|p| {
            let e = p.entries[5].clone();
            p.entries.insert(6, e);
        }),
        "inclusion proofs",
    );
    assert_fails(
        "foreign record inserted",
        &edit_proof(|p| {
            let other = build_from_leaves(&log(N), TENANT, "s2", &signer()).unwrap();
            p.entries.insert(2, other.entries[2].clone());
        }),
        "session chain",
    );
    assert_fails(
        "session cut short with a matching but stale head",
        &edit_proof(|p| {
            let mut cut = p.keep_first(60).unwrap();
            let last = base64_decode(&cut.entries[59].leaf);
            cut.session.length = 60;
            cut.session.head = hex::encode(leaf_hash(&last));
            *p = cut;
        }),
        "session complete",
    );
}

#[test]
fn anchor_changes_fail_the_named_check() {
    assert_fails(
        "consistency proof to the wrong size",
        &edit_proof(|p| {
            let wrong = anchor_at(121, N, &signer());
            p.anchor.as_mut().unwrap().consistency_proof = wrong.consistency_proof;
        }),
        "consistency to anchor",
    );
    assert_fails(
        "anchored checkpoint forged",
        &edit_proof(|p| {
            let other = NoteSigner::from_seed(&signer().verifier().name, [9u8; 32]).unwrap();
            p.anchor = Some(anchor_at(120, N, &other));
        }),
        "anchored checkpoint",
    );
    assert_fails(
        "anchor evidence altered",
        &edit_proof(|p| {
            p.anchor.as_mut().unwrap().evidence = serde_json::json!({"size": 119});
        }),
        "anchor transaction",
    );
    assert_fails(
        "anchored checkpoint swapped for a later one",
        &edit_proof(|p| {
            let later = anchor_at(200, N, &signer());
            p.anchor.as_mut().unwrap().checkpoint = later.checkpoint;
        }),
        "consistency to anchor",
    );
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}
