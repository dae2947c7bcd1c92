//! Issue 8, trust: what an auditor can rely on without trusting the operator. A session cut short fails the
//! completeness check; a keystore switch never forks a log's key; a mistyped tenant creates nothing; the key
//! to pin can be printed; an unpinned verification is visibly unverified; import never changes a value.

mod common;

use base64::Engine as _;
use common::{Env, jsonl, stderr, text};

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn a_session_cut_short_with_length_and_head_restated_fails_the_completeness_check() {
    let env = Env::new();
    let proof = env.prove(120); // sess-1 has 30 records
    let key = env.vkey("acme");
    let original: vargate_proof::SessionProof = serde_json::from_slice(&std::fs::read(&proof).unwrap()).unwrap();
    for keep in [29, 20, 1] {
        // Re-proved for the first records only (an operator can), with length and head restated.
        let mut cut = original.keep_first(keep).unwrap();
        let last = b64(&cut.entries[keep - 1].leaf);
        cut.session.length = keep as u64;
        cut.session.head = hex::encode(vargate_proof::merkle::leaf_hash(&last));
        let path = env.write("cut.json", &serde_json::to_string(&cut).unwrap());
        let out = env.vargate(&["verify", &path, "--key", &key]);
        assert_eq!(out.status.code(), Some(1), "keeping {keep}: {}", text(&out));
        let failed: Vec<&str> =
            std::str::from_utf8(&out.stdout).unwrap().lines().filter(|l| l.starts_with("FAIL")).collect();
        assert_eq!(failed.len(), 1, "keeping {keep}: {failed:?}");
        assert!(failed[0].starts_with("FAIL  session complete:"), "{failed:?}");
    }
    let out = env.vargate(&["verify", &proof, "--key", &key]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("PASS  session complete"), "{}", text(&out));
}

/// The log is created with key files under `keys`; later commands run with another keystore.
fn log_with_file_keys(env: &Env) -> String {
    let input = env.write("in.jsonl", &jsonl(8));
    let out = env.vargate(&["log", "import", &input, "--tenant", "acme", "--keystore", &file_keys(env, "keys")]);
    assert!(out.status.success(), "{}", text(&out));
    let out = env.vargate(&["log", "key", "--tenant", "acme", "--json"]);
    let key: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    key["key_id"].as_str().unwrap().to_owned()
}

fn file_keys(env: &Env, dir: &str) -> String {
    format!("insecure-file:{}", env.path(dir).display())
}

#[test]
fn a_keystore_without_the_logs_key_is_an_error_and_creates_none() {
    let env = Env::new();
    let key_id = log_with_file_keys(&env);
    let out = env.vargate(&["checkpoint", "--tenant", "acme", "--keystore", &file_keys(&env, "other-keys")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().filter(|l| !l.starts_with("warning:")).count(), 1, "{err}");
    assert!(err.contains(&key_id) && err.contains("--keystore") && err.contains("has no signing key"), "{err}");
    assert!(!env.path("other-keys").exists(), "a key was created in the other keystore");
    // The log is untouched and still signs with its own key.
    let out = env.vargate(&["checkpoint", "--tenant", "acme", "--keystore", &file_keys(&env, "keys")]);
    assert!(out.status.success(), "{}", text(&out));
    let out = env.vargate(&["log", "check", "--tenant", "acme"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_keystore_holding_a_different_key_for_the_log_is_an_error() {
    let env = Env::new();
    let key_id = log_with_file_keys(&env);
    // Another keystore holds a key of the same name (the log's origin), but not the log's key.
    let stored = std::fs::read_dir(env.path("keys")).unwrap().next().unwrap().unwrap();
    let origin = env.vkey("acme").split('+').next().unwrap().to_owned();
    let impostor = vargate_proof::NoteSigner::from_seed(&origin, [42u8; 32]).unwrap();
    std::fs::create_dir_all(env.path("other-keys")).unwrap();
    std::fs::write(env.path("other-keys").join(stored.file_name()), impostor.to_skey()).unwrap();
    let other = file_keys(&env, "other-keys");
    let out =
        env.vargate(&["proof", "--tenant", "acme", "--session", "sess-1", "--out", "/dev/null", "--keystore", &other]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("holds a different key") && err.contains(&key_id), "{err}");
    let out = env.vargate(&["log", "check", "--tenant", "acme"]);
    assert!(out.status.success(), "the log must not be forked: {}", text(&out));
}

#[test]
fn a_mistyped_tenant_creates_nothing_and_names_the_tenants_that_exist() {
    let env = Env::with_file_keys();
    env.prove(8);
    let keys_before = std::fs::read_dir(env.path("keys")).unwrap().count();
    assert_eq!(keys_before, 1);
    for args in [
        vec!["checkpoint", "--tenant", "acmee"],
        vec!["proof", "--tenant", "acmee", "--session", "sess-1", "--out", "/dev/null"],
        vec!["timeline", "--tenant", "acmee", "--session", "sess-1"],
        vec!["log", "check", "--tenant", "acmee"],
        vec!["log", "key", "--tenant", "acmee"],
        vec!["log", "sessions", "--tenant", "acmee"],
    ] {
        let out = env.vargate(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(stderr(&out).contains("no log for tenant \"acmee\"; tenants here: acme"), "{args:?}: {}", text(&out));
    }
    let keys_after = std::fs::read_dir(env.path("keys")).unwrap().count();
    assert_eq!(keys_before, keys_after, "a key was created for a mistyped tenant");
    let out = env.vargate(&["log", "check", "--tenant", "acmee"]);
    assert!(stderr(&out).contains("no log for tenant"), "{}", text(&out));
}

#[test]
fn the_published_key_is_printed_for_pinning_and_unpinned_runs_exit_3() {
    let env = Env::new();
    let proof = env.prove(12);
    let out = env.vargate(&["log", "key", "--tenant", "acme"]);
    let vkey = String::from_utf8(out.stdout.clone()).unwrap();
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&proof).unwrap()).unwrap();
    assert_eq!(vkey.trim_end(), file["log_vkey"].as_str().unwrap(), "stdout is exactly the vkey");
    let key = vargate_proof::NoteVerifier::parse(vkey.trim_end()).unwrap();
    assert!(stderr(&out).contains(&key.fingerprint()), "{}", text(&out));

    assert_eq!(env.vargate(&["verify", &proof, "--key", vkey.trim_end()]).status.code(), Some(0));
    let out = env.vargate(&["verify", &proof]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("result: UNVERIFIED ORIGIN"), "{}", text(&out));
    let out = env.vargate(&["verify", &proof, "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["valid"].as_bool(), v["origin_verified"].as_bool()), (Some(true), Some(false)));
    assert_eq!(env.vargate(&["verify", &proof, "--allow-unpinned"]).status.code(), Some(0));

    // A complete forgery signed by any key with the right name is never exit 0 without a pin.
    let forger = vargate_proof::NoteSigner::from_seed(&key.name, [9u8; 32]).unwrap();
    let mut forged = file.clone();
    let text_part = file["checkpoint"].as_str().unwrap().split("\n\n").next().unwrap().to_owned() + "\n";
    forged["checkpoint"] = forger.sign(&text_part).unwrap().into();
    forged["log_vkey"] = forger.verifier().to_vkey().into();
    let path = env.write("forged.json", &forged.to_string());
    assert_eq!(env.vargate(&["verify", &path]).status.code(), Some(3));
    assert_eq!(env.vargate(&["verify", &path, "--key", vkey.trim_end()]).status.code(), Some(1));
}

#[test]
fn import_refuses_integers_it_cannot_keep_exactly() {
    let env = Env::new();
    let line = r#"{"session_id":"s","ts":"2026-11-25T10:00:00Z","type":"agent.message","payload":{"usage":{"tokens":9007199254740993}}}"#;
    let input = env.write("big.jsonl", &format!("{}{line}\n", jsonl(2)));
    let out = env.vargate(&["log", "import", &input, "--tenant", "acme"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("big.jsonl:3: payload.usage.tokens: the number 9007199254740993 is beyond 2^53"), "{err}");
    // 2^53 itself is exact and imports.
    let ok = env.write("ok.jsonl", &line.replace("9007199254740993", "9007199254740992"));
    let out = env.vargate(&["log", "import", &ok, "--tenant", "acme"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = env.vargate(&["timeline", "--tenant", "acme", "--session", "s", "--json"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("9007199254740992"), "{}", text(&out));
}

#[test]
fn importing_the_same_file_twice_warns() {
    let env = Env::new();
    let input = env.write("in.jsonl", &jsonl(10));
    let first = env.vargate(&["log", "import", &input, "--tenant", "acme"]);
    assert!(first.status.success() && !stderr(&first).contains("already imported"), "{}", text(&first));
    let again = env.vargate(&["log", "import", &input, "--tenant", "acme"]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(stderr(&again).contains("looks already imported: for 4 sessions"), "{}", text(&again));
}
