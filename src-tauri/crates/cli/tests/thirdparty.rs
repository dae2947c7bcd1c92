//! A proof file from `vargate proof` verifies with an independent Python verifier written from
//! docs/proof-format.md alone (`tests/thirdparty/verify_proof.py`), and a tampered one does not.

use std::process::Command;

const PYTHON: &str = "/usr/bin/python3"; // Debian's, with python3-cryptography from scripts/install-deps.sh

fn python_ready() -> bool {
    let ok = Command::new(PYTHON).args(["-c", "import cryptography"]).status().is_ok_and(|s| s.success());
    if !ok && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI must run the third-party verifier: {PYTHON} with the cryptography package is missing");
    }
    ok
}

#[test]
fn independent_python_verifier_accepts_our_proofs_and_rejects_tampering() {
    if !python_ready() {
        eprintln!("skipped: {PYTHON} with cryptography not installed (scripts/install-deps.sh --test installs it)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let lines: String = (0..40)
        .map(|i| format!(r#"{{"session_id":"s{}","ts":"2026-11-25T10:00:00Z","type":"agent.tool_use","payload":{{"i":{i},"cmd":"ls ü"}}}}"#, i % 3) + "\n")
        .collect();
    std::fs::write(&input, lines).unwrap();
    let vargate = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vargate"));
        cmd.args(args).env("VARGATE_DATA_DIR", dir.path().join("data"));
        if std::env::var_os("VARGATE_KEYSTORE").is_none() {
            cmd.env("VARGATE_KEYSTORE", format!("insecure-file:{}", dir.path().join("keys").display()));
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    let proof = dir.path().join("proof.json");
    vargate(&["log", "import", input.to_str().unwrap(), "--tenant", "acme"]);
    vargate(&["proof", "--tenant", "acme", "--session", "s2", "--out", proof.to_str().unwrap()]);
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(&proof).unwrap()).unwrap();
    let vkey = file["log_vkey"].as_str().unwrap().to_owned();

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/thirdparty/verify_proof.py");
    let run = |path: &std::path::Path| Command::new(PYTHON).arg(script).arg(path).arg(&vkey).output().unwrap();
    let out = run(&proof);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.lines().filter(|l| l.starts_with("PASS")).count(), 3 + 2 * 13 + 3, "{text}");

    let mut tampered = file.clone();
    tampered["nodes"][3][2] = serde_json::json!("00".repeat(32));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, serde_json::to_vec(&tampered).unwrap()).unwrap();
    let out = run(&bad);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));

    // The session cut short with its head restated: only the session-heads proof can tell, and does.
    let typed: vargate_proof::SessionProof = serde_json::from_value(file.clone()).unwrap();
    let mut cut = typed.keep_first(10).unwrap();
    let last = base64_decode(&cut.entries[9].leaf);
    cut.session.length = 10;
    cut.session.head = hex::encode(vargate_proof::merkle::leaf_hash(&last));
    std::fs::write(&bad, serde_json::to_vec(&cut).unwrap()).unwrap();
    let out = run(&bad);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("FAIL")).collect::<Vec<_>>(),
        ["FAIL session complete "],
        "{text}"
    );
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}
