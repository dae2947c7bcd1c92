//! Any change to what a proof file asserts must make verification fail; any bytes at all must give a verdict
//! or a clear error, never a panic.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{proof_file, signer};
use proptest::prelude::*;
use vargate_proof::{CheckStatus, ProofFile, verify_proof_file};

fn verdict(file: &ProofFile) -> vargate_proof::Verdict {
    verify_proof_file(&serde_json::to_vec(file).unwrap(), Some(signer().verifier())).unwrap()
}

fn failed_checks(file: &ProofFile) -> Vec<String> {
    verdict(file).checks.into_iter().filter(|c| c.status == CheckStatus::Fail).map(|c| c.name).collect()
}

/// Applies `tamper` to a fresh valid file and asserts that verification fails.
fn assert_rejected(what: &str, tamper: impl FnOnce(&mut ProofFile)) {
    let mut file = proof_file(37, "s1");
    tamper(&mut file);
    let failed = failed_checks(&file);
    assert!(!failed.is_empty(), "{what}: accepted");
}

#[test]
fn untouched_file_verifies() {
    let file = proof_file(37, "s1");
    assert_eq!(file.entries.len(), 12);
    let v = verdict(&file);
    assert!(v.passed(), "{v:#?}");
    assert!(v.checks.iter().all(|c| c.status == CheckStatus::Pass));
}

fn edit_leaf(file: &mut ProofFile, i: usize, edit: impl FnOnce(&mut Vec<u8>)) {
    let mut leaf = B64.decode(&file.entries[i].leaf).unwrap();
    edit(&mut leaf);
    file.entries[i].leaf = B64.encode(leaf);
}

fn replace_in_leaf(file: &mut ProofFile, i: usize, from: &str, to: &str) {
    edit_leaf(file, i, |l| *l = String::from_utf8(l.clone()).unwrap().replacen(from, to, 1).into_bytes());
}

#[test]
fn record_changes_are_rejected() {
    assert_rejected("payload edited", |f| replace_in_leaf(f, 3, "ls -la", "rm -rf"));
    assert_rejected("decision edited", |f| replace_in_leaf(f, 0, "observed", "allowed!"));
    assert_rejected("one bit flipped", |f| edit_leaf(f, 5, |l| l[10] ^= 1));
    assert_rejected("leaf truncated", |f| edit_leaf(f, 5, |l| l.truncate(l.len() - 1)));
    assert_rejected("leaf not base64", |f| f.entries[2].leaf.push('!'));
    assert_rejected("record dropped", |f| {
        f.entries.remove(4);
    });
    assert_rejected("last record dropped", |f| {
        f.entries.pop();
    });
    assert_rejected("last record dropped, head restated", |f| {
        f.entries.pop();
        restate_head(f);
    });
    assert_rejected("records swapped", |f| f.entries.swap(1, 2));
    assert_rejected("record duplicated", |f| {
        let e = f.entries[1].clone();
        f.entries.insert(2, e);
    });
    assert_rejected("foreign session's record", |f| {
        let other = proof_file(37, "s2");
        f.entries[0] = other.entries[0].clone();
    });
}

#[test]
fn proof_changes_are_rejected() {
    assert_rejected("hash bit flipped", |f| {
        let h = &mut f.entries[0].inclusion_proof[2];
        let flipped = if h.starts_with('0') { "1" } else { "0" };
        h.replace_range(0..1, flipped);
    });
    assert_rejected("hash removed", |f| {
        f.entries[0].inclusion_proof.pop();
    });
    assert_rejected("hash added", |f| f.entries[0].inclusion_proof.push("00".repeat(32)));
    assert_rejected("hashes reordered", |f| f.entries[0].inclusion_proof.swap(0, 1));
    assert_rejected("hash not hex", |f| f.entries[0].inclusion_proof[0] = "zz".repeat(32));
    assert_rejected("index changed", |f| f.entries[3].index += 1);
    assert_rejected("index beyond tree", |f| f.entries[3].index = 1000);
}

#[test]
fn checkpoint_and_key_changes_are_rejected() {
    assert_rejected("tree size changed", |f| f.checkpoint = f.checkpoint.replacen("\n37\n", "\n38\n", 1));
    assert_rejected("root changed", |f| {
        let root_line = f.checkpoint.lines().nth(2).unwrap().to_owned();
        let mut root = B64.decode(&root_line).unwrap();
        root[0] ^= 0x80;
        f.checkpoint = f.checkpoint.replacen(&root_line, &B64.encode(root), 1);
    });
    assert_rejected("origin changed", |f| {
        f.checkpoint = f.checkpoint.replacen("vargate-test/acme\n", "other/acme\n", 1)
    });
    assert_rejected("signature removed", |f| {
        f.checkpoint = f.checkpoint.split("\n\n").next().unwrap().to_owned() + "\n\n"
    });
    assert_rejected("re-signed by another key", |f| {
        let other = vargate_proof::NoteSigner::from_seed("vargate-test/acme", [4u8; 32]).unwrap();
        let text = f.checkpoint.split("\n\n").next().unwrap().to_owned() + "\n";
        f.checkpoint = other.sign(&text).unwrap();
        f.log_vkey = other.verifier().to_vkey();
    });
    assert_rejected("session length changed", |f| f.session.length += 1);
    assert_rejected("session head changed", |f| f.session.head = "00".repeat(32));
}

#[test]
fn without_a_pinned_key_a_self_consistent_forgery_only_warns_about_the_key() {
    // A forger can re-sign with their own key; without --key the verifier can only say the key is unpinned.
    let mut file = proof_file(10, "s0");
    let other = vargate_proof::NoteSigner::from_seed("vargate-test/acme", [4u8; 32]).unwrap();
    let text = file.checkpoint.split("\n\n").next().unwrap().to_owned() + "\n";
    file.checkpoint = other.sign(&text).unwrap();
    file.log_vkey = other.verifier().to_vkey();
    let v = verify_proof_file(&serde_json::to_vec(&file).unwrap(), None).unwrap();
    let pin = v.checks.iter().find(|c| c.name == "pinned key").unwrap();
    assert_eq!(pin.status, CheckStatus::Warn);
}

#[test]
fn unreadable_inputs_are_errors_not_verdicts() {
    let good = serde_json::to_vec(&proof_file(5, "s0")).unwrap();
    for bad in [&b""[..], b"null", b"[]", b"{}", b"\xff\xfe", &good[..good.len() / 2]] {
        assert!(verify_proof_file(bad, None).is_err(), "{:?}", String::from_utf8_lossy(bad));
    }
    let wrong_format = String::from_utf8(good).unwrap().replace(vargate_proof::PROOF_FORMAT, "vargate-proof/9");
    assert!(verify_proof_file(wrong_format.as_bytes(), None).is_err());
    // Beyond the size cap the verifier refuses before parsing anything.
    let huge = vec![b' '; vargate_proof::MAX_PROOF_FILE_BYTES + 1];
    assert!(matches!(verify_proof_file(&huge, None), Err(vargate_proof::VerifyError::TooLarge { .. })));
}

/// Recomputes `session.length` and `session.head` from the entries left, as a careful forger would.
fn restate_head(f: &mut ProofFile) {
    let last = B64.decode(&f.entries.last().unwrap().leaf).unwrap();
    f.session.length = f.entries.len() as u64;
    f.session.head = hex::encode(vargate_proof::merkle::leaf_hash(&last));
}

#[test]
fn a_session_cut_short_with_a_restated_head_fails_only_the_completeness_check() {
    // Issue 8: with the genuine key pinned, dropping the last records and recomputing length and head used
    // to verify. Every other check still passes — the chain is intact up to the restated head — so the
    // session-heads commitment in the signed checkpoint is what must catch it.
    for keep in [11, 2, 1] {
        let mut file = proof_file(37, "s1");
        assert_eq!(file.entries.len(), 12);
        file.entries.truncate(keep);
        restate_head(&mut file);
        assert_eq!(failed_checks(&file), ["session complete"], "keeping {keep} of 12 records");
    }
}

#[test]
fn a_file_without_a_heads_commitment_cannot_prove_completeness() {
    let signed_without_heads = |f: &ProofFile| {
        let text = f.checkpoint.split("\n\n").next().unwrap();
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with("vargate-session-heads ")).collect();
        signer().sign(&(body.join("\n") + "\n")).unwrap()
    };
    // A format-1 file, as the previous version wrote them: readable, every other check passes.
    let mut file = proof_file(37, "s1");
    file.checkpoint = signed_without_heads(&file);
    let mut v1 = serde_json::to_value(&file).unwrap();
    v1["format"] = "vargate-proof/1".into();
    v1["session"].as_object_mut().unwrap().remove("heads_proof");
    let verdict = verify_proof_file(&serde_json::to_vec(&v1).unwrap(), Some(signer().verifier())).unwrap();
    let failed: Vec<_> = verdict.checks.iter().filter(|c| c.status == CheckStatus::Fail).collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].name, "session complete");
    assert!(failed[0].detail.contains("commits to no session heads"), "{}", failed[0].detail);
    // Dropping the proof from a current file (a downgrade) fails the same check.
    let mut current = serde_json::to_value(proof_file(37, "s1")).unwrap();
    current["session"].as_object_mut().unwrap().remove("heads_proof");
    let verdict = verify_proof_file(&serde_json::to_vec(&current).unwrap(), Some(signer().verifier())).unwrap();
    let failed: Vec<_> = verdict.checks.iter().filter(|c| c.status == CheckStatus::Fail).map(|c| &c.name).collect();
    assert_eq!(failed, ["session complete"]);
}

#[test]
fn heads_proof_changes_are_rejected() {
    assert_rejected("heads proof hash flipped", |f| {
        let h = &mut f.session.heads_proof[0];
        let flipped = if h.starts_with('0') { "1" } else { "0" };
        h.replace_range(0..1, flipped);
    });
    assert_rejected("heads proof shortened", |f| {
        f.session.heads_proof.pop();
    });
    assert_rejected("heads proof of another session", |f| {
        f.session.heads_proof = proof_file(37, "s2").session.heads_proof;
    });
}

#[test]
fn unknown_members_and_foreign_signatures_are_reported_as_warnings() {
    let file = proof_file(10, "s0");
    let mut value = serde_json::to_value(&file).unwrap();
    value["comment"] = "not signed".into();
    value["session"]["note"] = 1.into();
    value["entries"][2]["extra"] = true.into();
    let witness = vargate_proof::NoteSigner::from_seed("witness.example", [8u8; 32]).unwrap();
    let text = file.checkpoint.split("\n\n").next().unwrap().to_owned() + "\n";
    let cosigned = witness.sign(&text).unwrap();
    let witness_line = cosigned.rsplit("\n\n").next().unwrap();
    value["checkpoint"] = (file.checkpoint.clone() + witness_line).into();
    let v = verify_proof_file(&serde_json::to_vec(&value).unwrap(), Some(signer().verifier())).unwrap();
    assert!(v.passed(), "{v:#?}");
    let warn = |name: &str| v.checks.iter().find(|c| c.name == name && c.status == CheckStatus::Warn).cloned();
    let unknown = warn("unknown members").expect("unknown members warned");
    assert!(unknown.detail.contains("comment, session.note, entries[2].extra"), "{}", unknown.detail);
    let others = warn("other signatures").expect("foreign signature warned");
    assert!(others.detail.contains("witness.example"), "{}", others.detail);
}

#[test]
fn a_checkpoint_whose_signature_fails_is_not_read_further() {
    let mut file = proof_file(10, "s0");
    file.checkpoint = file.checkpoint.replacen("\n10\n", "\n11\n", 1);
    let v = verdict(&file);
    assert!(v.checks.iter().any(|c| c.name == "checkpoint signature" && c.status == CheckStatus::Fail));
    // Nothing of the unsigned body was taken up: no origin, and no proof judged against its root.
    assert!(!v.checks.iter().any(|c| c.name == "checkpoint origin" || c.name == "checkpoint body"));
    assert!(
        v.checks
            .iter()
            .filter(|c| c.name.starts_with("inclusion"))
            .all(|c| c.detail.contains("no readable checkpoint"))
    );
}

#[test]
fn only_a_pinned_key_verifies_the_origin() {
    let bytes = serde_json::to_vec(&proof_file(10, "s0")).unwrap();
    let pinned = verify_proof_file(&bytes, Some(signer().verifier())).unwrap();
    assert!(pinned.passed() && pinned.origin_verified);
    let unpinned = verify_proof_file(&bytes, None).unwrap();
    assert!(unpinned.passed() && !unpinned.origin_verified);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn mutated_files_never_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = serde_json::to_vec(&proof_file(9, "s0")).unwrap();
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let _ = verify_proof_file(&bytes, Some(signer().verifier()));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = verify_proof_file(&bytes, None);
        let _ = vargate_proof::note::Note::parse(&String::from_utf8_lossy(&bytes));
    }
}
