//! Every case of the published RFC 6962 and C2SP signed-note vectors (copied into `tests/vectors/` from
//! `shared/vectors/`), negative cases included.

use serde_json::Value;
use vargate_proof::checkpoint::Checkpoint;
use vargate_proof::merkle::{self, Hash, MemoryTree};
use vargate_proof::note::{Note, NoteSigner, NoteVerifier};

fn load(name: &str) -> Value {
    let path = format!("{}/../../../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Hex that does not decode to 32 bytes can never match: such vectors are expected to be invalid.
fn hash(v: &Value) -> Option<Hash> {
    hex::decode(v.as_str()?).ok()?.try_into().ok()
}

fn hashes(v: &Value) -> Option<Vec<Hash>> {
    v.as_array()?.iter().map(hash).collect()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

fn inclusion_holds(case: &Value) -> bool {
    let (Some(leaf), Some(proof), Some(root)) = (hash(&case["leaf_hash"]), hashes(&case["proof"]), hash(&case["root"]))
    else {
        return false;
    };
    merkle::verify_inclusion(u(&case["index"]), u(&case["tree_size"]), &leaf, &proof, &root).is_ok()
}

fn consistency_holds(case: &Value) -> bool {
    let (Some(proof), Some(r1), Some(r2)) = (hashes(&case["proof"]), hash(&case["root1"]), hash(&case["root2"])) else {
        return false;
    };
    merkle::verify_consistency(u(&case["size1"]), u(&case["size2"]), &proof, &r1, &r2).is_ok()
}

fn cases<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key].as_array().unwrap_or_else(|| panic!("vector group {key} missing"))
}

#[test]
fn rfc6962_hashes_and_roots() {
    let v = load("rfc6962.json");
    assert_eq!(hex::encode(merkle::empty_root()), v["empty_tree_root"].as_str().unwrap());
    let leaves: Vec<Vec<u8>> = cases(&v, "leaves").iter().map(|l| hex::decode(l.as_str().unwrap()).unwrap()).collect();
    for lh in cases(&v, "leaf_hashes") {
        let i = u(&lh["index"]) as usize;
        assert_eq!(hex::encode(merkle::leaf_hash(&leaves[i])), lh["leaf_hash"].as_str().unwrap());
    }
    let tree = MemoryTree::new(leaves.iter().map(|l| merkle::leaf_hash(l)).collect());
    for r in cases(&v, "roots") {
        let size = u(&r["tree_size"]);
        assert_eq!(hex::encode(tree.root_at(size).unwrap()), r["root"].as_str().unwrap(), "size {size}");
        assert_eq!(hex::encode(merkle::root_of(&tree_leaves(&tree, size))), r["root"].as_str().unwrap());
    }
}

fn tree_leaves(tree: &MemoryTree, size: u64) -> Vec<Hash> {
    (0..size).map(|i| tree.range_hash(i..i + 1).unwrap()).collect()
}

#[test]
fn rfc6962_positive_proofs_verify_and_are_generated_identically() {
    let v = load("rfc6962.json");
    let leaves: Vec<Hash> =
        cases(&v, "leaves").iter().map(|l| merkle::leaf_hash(&hex::decode(l.as_str().unwrap()).unwrap())).collect();
    let tree = MemoryTree::new(leaves);
    let mut n = 0;
    for group in ["inclusion", "inclusion_all"] {
        for case in cases(&v, group) {
            assert!(inclusion_holds(case), "{group}: {case}");
            let generated = tree.inclusion_proof(u(&case["index"]), u(&case["tree_size"])).unwrap();
            assert_eq!(Some(generated), hashes(&case["proof"]), "{group}: {case}");
            n += 1;
        }
    }
    for group in ["consistency", "consistency_all"] {
        for case in cases(&v, group) {
            assert!(consistency_holds(case), "{group}: {case}");
            let generated = tree.consistency_proof(u(&case["size1"]), u(&case["size2"])).unwrap();
            assert_eq!(Some(generated), hashes(&case["proof"]), "{group}: {case}");
            n += 1;
        }
    }
    assert_eq!(n, 82);
}

/// The "negative" groups are upstream's error-path test data: nearly all must be rejected, a few are controls
/// that must hold, and one may go either way (`strict_expect_valid`: non-32-byte hashes, which we reject).
fn expected(case: &Value, got: bool) -> bool {
    got == case["expect_valid"].as_bool().unwrap() || case["strict_expect_valid"].as_bool() == Some(got)
}

#[test]
fn rfc6962_negative_cases_behave_as_expected() {
    let v = load("rfc6962.json");
    let (mut n, mut rejected) = (0, 0);
    for case in cases(&v, "negative_inclusion") {
        let got = inclusion_holds(case);
        assert!(expected(case, got), "inclusion {}: got valid={got}", case["desc"]);
        rejected += usize::from(!got);
        n += 1;
    }
    for case in cases(&v, "negative_consistency") {
        let got = consistency_holds(case);
        assert!(expected(case, got), "consistency {}: got valid={got}", case["desc"]);
        rejected += usize::from(!got);
        n += 1;
    }
    assert_eq!((n, rejected), (186, 185));
}

#[test]
fn rfc6962_large_tree() {
    let v = load("rfc6962.json");
    let large = &v["large"];
    let tree = MemoryTree::new((0..1000).map(|i| merkle::leaf_hash(format!("leaf-{i}").as_bytes())).collect());
    for r in large["roots"].as_array().unwrap() {
        assert_eq!(hex::encode(tree.root_at(u(&r["tree_size"])).unwrap()), r["root"].as_str().unwrap());
    }
    for case in large["inclusion"].as_array().unwrap() {
        assert!(inclusion_holds(case), "{case}");
        assert_eq!(
            Some(tree.inclusion_proof(u(&case["index"]), u(&case["tree_size"])).unwrap()),
            hashes(&case["proof"])
        );
    }
    for case in large["consistency"].as_array().unwrap() {
        assert!(consistency_holds(case), "{case}");
        assert_eq!(Some(tree.consistency_proof(u(&case["size1"]), u(&case["size2"])).unwrap()), hashes(&case["proof"]));
    }
}

#[test]
fn signed_note_and_checkpoint_vectors() {
    let v = load("signed_note.json");
    for (name, key) in v["keys"].as_object().unwrap() {
        let vkey = key["vkey"].as_str().unwrap();
        let parsed = NoteVerifier::parse(vkey).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(parsed.to_vkey(), vkey);
        if let Some(skey) = key["skey"].as_str() {
            let signer = NoteSigner::parse(skey).unwrap();
            assert_eq!(signer.verifier(), &parsed, "{name}");
            assert_eq!(signer.to_skey(), skey);
        }
    }
    let mut n = 0;
    for case in v["cases"].as_array().unwrap() {
        let desc = case["desc"].as_str().unwrap();
        let keys: Vec<NoteVerifier> = case["vkeys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| NoteVerifier::parse(k.as_str().unwrap()).unwrap())
            .collect();
        let expect_valid = case["expect_valid"].as_bool().unwrap_or(true);
        let note = case["note"].as_str().unwrap();
        let valid = match case["type"].as_str().unwrap() {
            "note" => Note::parse(note).and_then(|n| n.verify(&keys)).is_ok(),
            "checkpoint" => match Checkpoint::open(note, &keys) {
                Ok(cp) => {
                    let size_ok = case["expect_size"].as_u64().is_none_or(|s| s == cp.size);
                    let root_ok = case["expect_root"].as_str().is_none_or(|r| r == hex::encode(cp.root));
                    size_ok && root_ok
                }
                Err(_) => false,
            },
            other => panic!("unknown case type {other}"),
        };
        assert_eq!(valid, expect_valid, "{desc}");
        n += 1;
    }
    assert_eq!(n, v["cases"].as_array().unwrap().len());
}

#[test]
fn our_signer_reproduces_the_acceptance_test_checkpoints() {
    // Ed25519 signatures are deterministic, so signing the same body with the published test key must give
    // the published note byte for byte.
    let v = load("signed_note.json");
    let signer = NoteSigner::parse(v["keys"]["acceptance_test"]["skey"].as_str().unwrap()).unwrap();
    for case in v["cases"].as_array().unwrap() {
        if case["type"] != "checkpoint" || case["expect_valid"] == false {
            continue;
        }
        let note = case["note"].as_str().unwrap();
        let Ok(cp) = Checkpoint::open(note, std::slice::from_ref(signer.verifier())) else { continue };
        if note.matches('\u{2014}').count() == 1 {
            assert_eq!(cp.sign(&signer).unwrap(), note, "{}", case["desc"]);
        }
    }
}
