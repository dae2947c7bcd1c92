//! The `vargate` binary end to end: import → proof → verify, exit codes, and clear errors for bad input.
//! Keys go to the keystore named by VARGATE_KEYSTORE (scripts/test: the Secret Service), else to a warned
//! key file in the test's own directory.

use std::process::Command;

mod common;

use common::{Env, jsonl, text};

fn prove(env: &Env, n: usize) -> String {
    env.prove(n)
}

#[test]
fn import_prove_verify_round_trip() {
    let env = Env::new();
    let proof = prove(&env, 103);
    let key = env.vkey("acme");
    let out = env.vargate(&["verify", &proof, "--key", &key]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("PASS  checkpoint signature") && t.contains("PASS  session chain: 26 records"), "{t}");
    assert!(t.lines().any(|l| l.starts_with("result: VALID")), "{t}");

    let out = env.vargate(&["verify", &proof, "--json", "--allow-unpinned"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["origin_verified"], false);
    assert!(v["checks"].as_array().unwrap().iter().any(|c| c["status"] == "warn" && c["name"] == "pinned key"));

    let out = env.vargate(&["log", "check", "--tenant", "acme"]);
    assert!(out.status.success() && text(&out).contains("103 records, 4 sessions"), "{}", text(&out));
}

#[test]
fn tampered_proof_exits_1_and_says_which_check_failed() {
    let env = Env::new();
    let proof = prove(&env, 20);
    let original = std::fs::read_to_string(&proof).unwrap();
    let mut file: serde_json::Value = serde_json::from_str(&original).unwrap();
    file["entries"][1]["index"] = serde_json::json!(file["entries"][1]["index"].as_u64().unwrap() + 1);
    std::fs::write(&proof, serde_json::to_vec(&file).unwrap()).unwrap();
    let out = env.vargate(&["verify", &proof]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).lines().any(|l| l.starts_with("FAIL  inclusion proofs")), "{}", text(&out));
    assert!(text(&out).contains("result: INVALID"));

    // A different, well-formed key: the checkpoint is not signed by it.
    std::fs::write(&proof, &original).unwrap();
    let other = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    let out = env.vargate(&["verify", &proof, "--key", other]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("FAIL  pinned key"), "{}", text(&out));
}

#[test]
fn unreadable_inputs_exit_2_with_a_clear_message() {
    let env = Env::new();
    let proof = prove(&env, 5);
    let good = std::fs::read(&proof).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("truncated", good[..good.len() / 3].to_vec()),
        ("garbage", (0..=255u8).cycle().take(700).collect()),
        ("other json", b"{\"format\":\"something-else\"}".to_vec()),
    ];
    for (name, bytes) in cases {
        std::fs::write(env.path(name), bytes).unwrap();
        let out = env.vargate(&["verify", env.path(name).to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "), "{name}: {}", text(&out));
    }
    let out = env.vargate(&["verify", env.path("missing.json").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.vargate(&["verify", &proof, "--key", "not-a-key"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("--key is not a verifier key"), "{}", text(&out));
}

#[test]
fn a_bad_line_names_itself_and_imports_nothing() {
    let env = Env::new();
    let mut lines: Vec<String> = jsonl(6).lines().map(str::to_owned).collect();
    let cases = [
        (r#"{"session_id":"s","ts":"2026-11-25T10:00:00Z","type":"x","payload":{}"#, "EOF while parsing"),
        (r#"{"session_id":"s","ts":"last tuesday","type":"x","payload":{}}"#, "RFC 3339"),
        (r#"{"session_id":"s","ts":"2026-11-25T10:00:00Z","type":"x","payload":[]}"#, "payload"),
        (r#"{"session_id":"s","ts":"2026-11-25T10:00:00Z","type":"x","payload":{},"extra":1}"#, "extra"),
        (r#"{"session_id":"","ts":"2026-11-25T10:00:00Z","type":"x","payload":{}}"#, "session_id"),
    ];
    for (bad, hint) in cases {
        lines[3] = bad.to_owned();
        let input = env.write("bad.jsonl", &(lines.join("\n") + "\n"));
        let out = env.vargate(&["log", "import", &input, "--tenant", "acme"]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad.jsonl:4:") && err.contains(hint), "{bad}: {err}");
    }
    // Nothing was imported: the tenant has no log at all.
    let out = env.vargate(&["log", "check", "--tenant", "acme"]);
    assert!(!out.status.success() && text(&out).contains("no log for tenant"), "{}", text(&out));
    // Not UTF-8, and an empty file.
    std::fs::write(env.path("bin.jsonl"), b"\xff\xfe\x00garbage\n").unwrap();
    let out = env.vargate(&["log", "import", env.path("bin.jsonl").to_str().unwrap(), "--tenant", "acme"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("bin.jsonl:1:"), "{}", text(&out));
    let empty = env.write("empty.jsonl", "\n\n");
    let out = env.vargate(&["log", "import", &empty, "--tenant", "acme"]);
    assert!(text(&out).contains("no records to import"), "{}", text(&out));
    let out = env.vargate(&["log", "import", &env.write("ok.jsonl", &jsonl(1)), "--tenant", "bad tenant!"]);
    assert!(text(&out).contains("invalid tenant name"), "{}", text(&out));
}

#[test]
fn bad_configuration_is_reported_clearly() {
    let env = Env::new();
    let input = env.write("in.jsonl", &jsonl(1));
    let out = Command::new(env!("CARGO_BIN_EXE_vargate"))
        .args(["log", "import", &input, "--tenant", "acme", "--keystore", "keepass"])
        .env("VARGATE_DATA_DIR", env.path("data"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("unknown keystore"), "{}", text(&out));
    // A data dir that is a file.
    std::fs::write(env.path("file"), "x").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vargate"))
        .args(["log", "import", &input, "--tenant", "acme", "--data-dir", env.path("file").to_str().unwrap()])
        .env("VARGATE_KEYSTORE", env.keystore())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("is not a directory"), "{}", text(&out));
}
