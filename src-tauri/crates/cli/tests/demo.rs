//! `vargate demo` end to end: simulated governed sessions are ingested, every waiting tool call is denied
//! fail-closed, and every evidence pack it writes passes `vargate verify`, its report readable as text. Plus clear errors for a bad scenario
//! file and a bad address given to `vargate sim`.

use std::process::Command;

fn vargate(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vargate"));
    cmd.env("VARGATE_DATA_DIR", dir.join("data"));
    if std::env::var_os("VARGATE_KEYSTORE").is_none() {
        cmd.env("VARGATE_KEYSTORE", format!("insecure-file:{}", dir.join("keys").display()));
    }
    cmd
}

#[test]
fn demo_sessions_are_recorded_and_their_proofs_verify() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out =
        vargate(dir.path()).args(["demo", "--out", out_dir.to_str().unwrap(), "--drop-every", "3"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    // Every outcome of the shipped policies shows: allowed, denied with the rule, held for a human (denied
    // while no approver is configured), and an observed session interrupted.
    let line = |label: &str, what: &str| text.lines().any(|l| l.starts_with(label) && l.contains(what));
    assert!(line("research", "bash ALLOW — allowed by policy"), "{text}");
    assert!(line("payments", "make_payment ALLOW"), "{text}");
    assert!(line("payments", "make_payment DENY — amount 25000 is over the hard cap 10000"), "{text}");
    assert!(line("risky-bash", "bash DENY — credential_access"), "{text}");
    assert!(line("support", "send_email DENY") && line("support", "payment_card"), "{text}");
    assert!(line("editor", "open_in_editor HOLD — held for a human's approval"), "{text}");
    assert!(line("editor", "open_in_editor ALLOW — approved by vargate-demo via app"), "{text}");
    assert!(line("outreach", "send_email DENY — no decision in time: the approval request expired"), "{text}");
    assert!(line("observed", "INTERRUPT — behavioural score"), "{text}");
    // The card number in the support e-mail is shown redacted, never in clear.
    assert!(!text.contains("4111 1111 1111 1111") && text.contains("[REDACTED:payment_card]"), "{text}");
    let mut proofs: Vec<_> = std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().path()).collect();
    proofs.sort();
    assert_eq!(proofs.len(), 8);
    // The queue shows both requests, as the CLI sees it.
    let out = vargate(dir.path()).args(["approvals", "list", "--all"]).output().unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("approved  demo  open_in_editor") && listed.contains("expired   demo  send_email"),
        "{listed}"
    );
    assert!(listed.ends_with("2 approval requests\n"), "{listed}");
    let id = listed.split_whitespace().next().unwrap();
    let out = vargate(dir.path()).args(["approvals", "approve", id, "--as", "carol"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is already"), "{}", String::from_utf8_lossy(&out.stderr));
    let key = vargate(dir.path()).args(["log", "key", "--tenant", "demo"]).output().unwrap();
    assert!(key.status.success(), "{}", String::from_utf8_lossy(&key.stderr));
    let key = String::from_utf8(key.stdout).unwrap();
    for proof in &proofs {
        let out = Command::new(env!("CARGO_BIN_EXE_vargate"))
            .arg("verify")
            .arg(proof)
            .args(["--key", key.trim()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}: {}", proof.display(), String::from_utf8_lossy(&out.stdout));
    }
    // The stored timeline shows the same decisions.
    let session = pack_session(&out_dir.join("risky-bash.pack.zip"));
    // The pack's report is a real PDF whose text names the session, its denial and the coverage table.
    let files = vargate_proof::pack::read_zip(&std::fs::read(out_dir.join("risky-bash.pack.zip")).unwrap()).unwrap();
    let pdf = dir.path().join("report.pdf");
    std::fs::write(&pdf, &files["report.pdf"]).unwrap();
    let text =
        Command::new("pdftotext").args(["-layout"]).arg(&pdf).arg("-").output().expect("pdftotext (poppler-utils)");
    let report = String::from_utf8_lossy(&text.stdout);
    assert!(report.contains(&session) && report.contains("credential_access") && report.contains("AG-2.9"), "{report}");
    let out = vargate(dir.path())
        .args(["timeline", "--tenant", "demo", "--session", &session, "--decision", "deny"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("vargate.decision") && text.contains("1 record of session"), "{text}");
}

/// Every decision the demo made replays on its recorded bundle (AGCS AG-2.8).
#[test]
fn every_demo_decision_replays() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out =
        vargate(dir.path()).args(["demo", "--out", out_dir.to_str().unwrap(), "--drop-every", "0"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut replayed = 0;
    for pack in std::fs::read_dir(&out_dir).unwrap() {
        let session = pack_session(&pack.unwrap().path());
        let session = session.as_str();
        let out = vargate(dir.path())
            .args(["timeline", "--tenant", "demo", "--session", session, "--type", "vargate.decision", "--json"])
            .output()
            .unwrap();
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap();
            let action = entry["record"]["payload"]["action_id"].as_str().unwrap();
            let out = vargate(dir.path()).args(["replay", action, "--tenant", "demo"]).output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("the decision reproduces"),
                "{action}: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            replayed += 1;
        }
    }
    assert!(replayed >= 6, "only {replayed} decisions");
    let out = vargate(dir.path()).args(["replay", "act_unknown", "--tenant", "demo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no decision with action id"));
}

#[test]
fn sim_rejects_bad_scenarios_and_addresses_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"name": "bad", "turns": [{"steps": [{"type": "teleport"}]}]}"#).unwrap();
    let out = vargate(dir.path())
        .args(["sim", "--addr", "127.0.0.1:0", "--scenario", bad.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("bad.json"), "{err}");

    std::fs::write(&bad, "not json").unwrap();
    let out = vargate(dir.path()).args(["sim", "--scenario", bad.to_str().unwrap()]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a JSON scenario"));

    let out = vargate(dir.path()).args(["sim", "--addr", "localhost-ish"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an address"));
}

#[test]
fn watch_ingests_a_session_of_any_compatible_server_and_needs_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = vargate(dir.path())
        .args(["watch", "--tenant", "t", "--session", "sesn_x"])
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("set ANTHROPIC_API_KEY"));
    let out = vargate(dir.path())
        .args(["session", "interrupt", "sesn_x", "--reason", "r"])
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("set ANTHROPIC_API_KEY"));
    // An unknown session is a clear API error, not a hang.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim =
        rt.block_on(vargate_agents::sim::Simulator::start("127.0.0.1:0".parse().unwrap(), Default::default())).unwrap();
    let out = vargate(dir.path())
        .args(["watch", "--tenant", "t", "--session", "sesn_missing"])
        .env("ANTHROPIC_API_KEY", "k")
        .env("ANTHROPIC_BASE_URL", sim.base_url())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("404") && err.contains("not_found_error"), "{err}");
    // The kill switch reaches a live session: the interrupt and the reason, with who sent it.
    let client =
        vargate_agents::client::Client::new(vargate_agents::client::ClientConfig::new(sim.base_url(), "k")).unwrap();
    let session = rt.block_on(async {
        let agent = client
            .create_agent(&vargate_agents::client::AgentParams {
                name: "a".into(),
                model: serde_json::json!("claude-sonnet-4-5"),
                ..Default::default()
            })
            .await
            .unwrap();
        let env = client
            .create_environment(&vargate_agents::client::EnvironmentParams { name: "e".into(), ..Default::default() })
            .await
            .unwrap();
        client
            .create_session(&vargate_agents::client::SessionParams {
                agent: serde_json::json!(agent.id),
                environment_id: env.id,
                ..Default::default()
            })
            .await
            .unwrap()
            .id
    });
    let out = vargate(dir.path())
        .args(["session", "interrupt", &session, "--reason", "runaway spending", "--as", "erin"])
        .env("ANTHROPIC_API_KEY", "k")
        .env("ANTHROPIC_BASE_URL", sim.base_url())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = rt.block_on(client.all_events(&session)).unwrap();
    let raw: Vec<String> = events.iter().map(|e| serde_json::Value::Object(e.raw.clone()).to_string()).collect();
    assert!(raw.iter().any(|e| e.contains("\"user.interrupt\"")), "{raw:?}");
    assert!(raw.iter().any(|e| e.contains("erin interrupted this session: runaway spending")), "{raw:?}");
    rt.block_on(sim.shutdown());
}

/// The session id of a pack, read from its proof.json.
fn pack_session(pack: &std::path::Path) -> String {
    let files = vargate_proof::pack::read_zip(&std::fs::read(pack).unwrap()).unwrap();
    let proof: serde_json::Value = serde_json::from_slice(&files["proof.json"]).unwrap();
    proof["session"]["session_id"].as_str().unwrap().to_owned()
}
