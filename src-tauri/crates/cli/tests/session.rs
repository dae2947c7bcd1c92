//! `vargate session start` through the binary, against the simulator: the new session's id alone on standard
//! output, its first message sent, the start recorded with who asked; over the profile's session limits a
//! one-line refusal with its own exit status, recorded too; `--json`; clear errors.

mod common;

use common::{Env, stderr, text};
use serde_json::{Value, json};
use vargate_agents::client::{AgentParams, Client, ClientConfig, EnvironmentParams};
use vargate_agents::sim::Simulator;

/// A simulator, a client of it, and an agent and environment there: their ids.
fn api(rt: &tokio::runtime::Runtime) -> (vargate_agents::sim::SimHandle, Client, String, String) {
    rt.block_on(async {
        let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), Default::default()).await.unwrap();
        let client = Client::new(ClientConfig::new(sim.base_url(), "k")).unwrap();
        let agent = AgentParams { name: "a".into(), model: json!("claude-sonnet-4-5"), ..Default::default() };
        let agent = client.create_agent(&agent).await.unwrap().id;
        let env = EnvironmentParams { name: "e".into(), ..Default::default() };
        let env = client.create_environment(&env).await.unwrap().id;
        (sim, client, agent, env)
    })
}

#[test]
fn a_session_is_started_within_the_limits_and_a_refusal_is_recorded() {
    let env = Env::new();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (sim, client, agent, environment) = api(&rt);
    let profile = env.write(
        "one-at-once.json",
        &json!({"name": "one-at-once", "templates": ["general"], "params": {"sessions": {"max_concurrent": 1}}})
            .to_string(),
    );
    let start = |extra: &[&str]| {
        let mut args = vec!["session", "start", "--tenant", "acme", "--agent", &agent, "--environment", &environment];
        args.extend_from_slice(&["--profile", &profile]);
        args.extend_from_slice(extra);
        env.command()
            .args(&args)
            .env("ANTHROPIC_API_KEY", "k")
            .env("ANTHROPIC_BASE_URL", sim.base_url())
            .output()
            .unwrap()
    };

    // Started: the id alone on standard output, so that `$(vargate session start …)` is the id.
    let out = start(&["--title", "quarterly report", "--message", "write the report", "--as", "alice"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let id = stdout.strip_suffix('\n').unwrap();
    assert!(id.starts_with("sesn_") && !id.contains(char::is_whitespace), "{stdout:?}");
    assert!(stderr(&out).contains(&format!("vargate watch --tenant acme --session {id}")), "{}", text(&out));
    let session = rt.block_on(client.get_session(id)).unwrap();
    assert_eq!(session.rest["title"], "quarterly report");
    let events = rt.block_on(client.all_events(id)).unwrap();
    assert!(
        events.iter().any(|e| e.raw["type"] == "user.message" && e.raw["content"][0]["text"] == "write the report"),
        "the first message was sent"
    );

    // One session is open and the profile allows one: refused, in one line, with its own exit status.
    let out = start(&["--by", "bob"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: session not started: 1 session is open; the profile allows 1 at once"), "{err}");
    assert!(err.contains("the refusal is recorded in tenant acme's log"), "{err}");

    // Both are on record in the tenant's control stream, with who asked.
    let out = env.vargate(&["timeline", "--tenant", "acme", "--session", "vargate:control", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let records: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|r| {
            let r = &r["record"];
            (r["type"].as_str().unwrap(), r["decision"].as_str().unwrap(), r["payload"]["by"].as_str().unwrap())
        })
        .collect();
    assert_eq!(summary, [("vargate.session_started", "allow", "alice"), ("vargate.session_refused", "deny", "bob")]);
    assert_eq!(records[0]["record"]["payload"]["session_id"], id);

    // With room again, --json describes the start.
    rt.block_on(client.delete_session(id)).unwrap();
    let out = start(&["--as", "carol", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let started: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(started["session_id"].as_str().unwrap().starts_with("sesn_"), "{started}");
    assert_eq!(
        (&started["by"], &started["message_sent"], &started["title"]),
        (&json!("carol"), &json!(false), &Value::Null)
    );
    assert_eq!((&started["agent"], &started["environment_id"]), (&json!(agent), &json!(environment)));
    rt.block_on(sim.shutdown());
}

#[test]
fn starting_a_session_says_what_is_wrong_in_one_line() {
    let env = Env::new();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (sim, _client, _agent, environment) = api(&rt);
    let args = ["session", "start", "--tenant", "acme", "--agent", "agent_nope", "--environment", &environment];
    // No API key.
    let out = env.command().args(args).args(["--as", "alice"]).env_remove("ANTHROPIC_API_KEY").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(stderr(&out).contains("set ANTHROPIC_API_KEY"), "{}", text(&out));
    // An agent the API does not know: the API's error, one line, nothing on standard output.
    let out = env
        .command()
        .args(args)
        .args(["--as", "alice"])
        .env("ANTHROPIC_API_KEY", "k")
        .env("ANTHROPIC_BASE_URL", sim.base_url())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!((out.status.code(), err.lines().count()), (Some(1), 1), "{err}");
    assert!(err.contains("starting a session") && err.contains("404"), "{err}");
    assert!(out.stdout.is_empty());
    for bad in ["Some(", "None", "Err(", "Api("] {
        assert!(!err.contains(bad), "{bad}: {err}");
    }
    rt.block_on(sim.shutdown());
}
