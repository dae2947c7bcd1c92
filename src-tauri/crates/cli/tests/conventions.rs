//! Issue 8, the CLI's conventions, which every command follows: output that data cannot spoof, a closed pipe
//! ending quietly, one-line errors with each cause once, messages that say what is wrong, filters that say
//! when they match nothing, standard input as `-`, and options only where a command uses them.

mod common;

use common::{Env, jsonl, stderr, text};
use std::io::{BufRead as _, BufReader};
use std::process::Stdio;

/// A record whose values try to draw fake lines and move the cursor on a terminal.
const HOSTILE: &str = r#"{"session_id":"s\nPASS  fake","ts":"2026-11-25T10:00:00Z","type":"agent.message\u001b[2K","payload":{"name":"x\nresult: VALID","input":{"c":"\u001b]0;owned\u0007\u202e"}}}"#;

#[test]
fn data_cannot_spoof_human_output_but_json_stays_exact() {
    let env = Env::new();
    let input = env.write("hostile.jsonl", &format!("{HOSTILE}\n"));
    let out = env.vargate(&["log", "import", &input, "--tenant", "acme"]);
    assert!(out.status.success(), "{}", text(&out));
    let session = "s\nPASS  fake";
    for args in [
        vec!["timeline", "--tenant", "acme", "--session", session],
        vec!["log", "sessions", "--tenant", "acme"],
        vec!["proof", "--tenant", "acme", "--session", session, "--out", env.path("p.json").to_str().unwrap()],
    ] {
        let out = env.vargate(&args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{202e}') && !stdout.contains('\u{7}'), "{stdout:?}");
        assert!(!stdout.lines().any(|l| l.starts_with("PASS") || l.starts_with("result:")), "{args:?}: {stdout}");
    }
    let key = env.vkey("acme");
    let out = env.vargate(&["verify", env.path("p.json").to_str().unwrap(), "--key", &key]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().filter(|l| l.starts_with("PASS  fake")).count(), 0, "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.starts_with("result:")).count(), 1, "{stdout}");
    assert!(stdout.contains("s\\nPASS  fake"), "escaped, still readable: {stdout}");
    // --json is exact: the value reads back to what was imported.
    let out = env.vargate(&["timeline", "--tenant", "acme", "--session", session, "--json"]);
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["record"]["payload"]["input"]["c"], "\u{1b}]0;owned\u{7}\u{202e}");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let env = Env::new();
    let input = env.write("many.jsonl", &jsonl(8000)); // 2000 records of sess-1, far beyond a pipe's buffer
    assert!(env.vargate(&["log", "import", &input, "--tenant", "acme"]).status.success());
    let proof = env.path("p.json");
    assert!(
        env.vargate(&["proof", "--tenant", "acme", "--session", "sess-1", "--out", proof.to_str().unwrap()])
            .status
            .success()
    );
    let demo_out = env.path("demo");
    for args in [
        vec!["timeline", "--tenant", "acme", "--session", "sess-1"],
        vec!["timeline", "--tenant", "acme", "--session", "sess-1", "--json"],
        vec!["verify", proof.to_str().unwrap(), "--allow-unpinned"],
        vec!["demo", "--out", demo_out.to_str().unwrap()],
    ] {
        // `| head -1`: read one line, then close the pipe.
        let mut child = env.command().args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(!first.is_empty());
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}");
    }
}

/// True when no cause appears twice in the error line (split at ": ").
fn each_cause_once(line: &str) -> bool {
    let parts: Vec<&str> = line.split(": ").filter(|p| p.len() > 12).collect();
    parts.iter().enumerate().all(|(i, p)| !parts[i + 1..].iter().any(|q| q.contains(p) || p.contains(q)))
}

#[test]
fn errors_are_one_line_with_each_cause_once() {
    let env = Env::new();
    let input = env.write("in.jsonl", &jsonl(2));
    // No Secret Service on this bus address: one line, which says what the keystore choices are.
    let out = env
        .command()
        .args(["log", "import", &input, "--tenant", "acme", "--keystore", "secret-service"])
        .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", env.path("no-bus").display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("keyutils") && err.contains("insecure-file:DIR"), "{err}");
    assert!(each_cause_once(&err), "{err}");
    // The demo, tried without a keychain, says the same in one line before it starts anything.
    let out = env
        .command()
        .args(["demo", "--out", env.path("demo").to_str().unwrap(), "--keystore", "secret-service"])
        .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", env.path("no-bus").display()))
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!((out.status.code(), err.lines().count()), (Some(1), 1), "{err}");
    assert!(err.contains("--keystore") && out.stdout.is_empty(), "{err}");
    // A database path that cannot be opened.
    let env = Env::new();
    std::fs::create_dir_all(env.path("data/vargate.db")).unwrap();
    let out = env.vargate(&["log", "import", &input, "--tenant", "acme"]);
    let err = stderr(&out);
    assert_eq!((out.status.code(), err.lines().count()), (Some(1), 1), "{err}");
    assert!(each_cause_once(&err), "{err}");
    // A busy port.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let out = env.vargate(&["sim", "--addr", &addr]);
    let err = stderr(&out);
    assert_eq!((out.status.code(), err.lines().count()), (Some(1), 1), "{err}");
    assert!(each_cause_once(&err), "{err}");
}

#[test]
fn messages_say_what_is_wrong() {
    let env = Env::new();
    let input = env.write("in.jsonl", &jsonl(2));
    std::fs::write(env.path("a-file"), "x").unwrap();
    let out =
        env.vargate(&["log", "import", &input, "--tenant", "acme", "--data-dir", env.path("a-file").to_str().unwrap()]);
    assert!(stderr(&out).contains("a-file is not a directory"), "{}", text(&out));
    let out = env.vargate(&["log", "import", env.dir.path().to_str().unwrap(), "--tenant", "acme"]);
    assert!(stderr(&out).contains("is a directory; give a JSON Lines file"), "{}", text(&out));
    let out = env.vargate(&["log", "import", &input, "--tenant", "acme", "--keystore", "insecure-file:"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("insecure-file: needs a folder"), "{}", text(&out));
    let out = env.vargate(&["log", "import", &input, "--tenant", ""]);
    assert!(stderr(&out).contains("the tenant name is empty"), "{}", text(&out));
    // The line number is the file's; the column is the line's; serde's own "line 1" never appears.
    let bad = env.write("bad.jsonl", &format!("{}{{\"session_id\": oops}}\n", jsonl(3)));
    let out = env.vargate(&["log", "import", &bad, "--tenant", "acme"]);
    let err = stderr(&out);
    assert!(err.contains("bad.jsonl:4:16: not valid JSON: expected value") && !err.contains("at line"), "{err}");
}

#[test]
fn no_rust_notation_and_correct_plurals() {
    let env = Env::new();
    let input = env.write("one.jsonl", &jsonl(1));
    let out = env.vargate(&["log", "import", &input, "--tenant", "acme"]);
    assert!(stderr(&out).is_empty(), "{}", text(&out));
    assert!(text(&out).contains("imported 1 record into tenant acme (leaf indices 0)"), "{}", text(&out));
    let input = env.write("more.jsonl", &jsonl(56));
    let out = env.vargate(&["log", "import", &input, "--tenant", "acme"]);
    assert!(text(&out).contains("imported 56 records into tenant acme (leaf indices 1–56)"), "{}", text(&out));
    let out = env.vargate(&["log", "check", "--tenant", "acme"]);
    assert!(text(&out).contains("57 records, 4 sessions,"), "{}", text(&out));
    for bad in ["Some(", "None", "..=", "(s)"] {
        assert!(!text(&out).contains(bad), "{bad}: {}", text(&out));
    }
}

#[test]
fn filters_say_when_they_match_nothing_and_unknown_sessions_are_errors() {
    let env = Env::new();
    env.prove(8);
    let out = env.vargate(&["timeline", "--tenant", "acme", "--session", "sess-1", "--decision", "DENY"]);
    assert!(out.status.success(), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("no records with decision \"DENY\"; its decisions are: observed (2)"), "{err}");
    let out = env.vargate(&["timeline", "--tenant", "acme", "--session", "sess-1", "--type", "nonsense"]);
    assert!(stderr(&out).contains("its types are: agent.tool_use (2)"), "{}", text(&out));
    let out = env.vargate(&["timeline", "--tenant", "acme", "--session", "sess-9"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no records for session \"sess-9\""), "{}", text(&out));
    // A filter that matches stays quiet.
    let out = env.vargate(&["timeline", "--tenant", "acme", "--session", "sess-1", "--decision", "observed"]);
    assert!(stderr(&out).is_empty() && text(&out).contains("2 records of session sess-1"), "{}", text(&out));
}

#[test]
fn the_plain_key_file_warning_is_one_clean_line() {
    let env = Env::with_file_keys();
    let input = env.write("in.jsonl", &jsonl(3));
    let out = env.vargate(&["log", "import", &input, "--tenant", "acme"]);
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("warning: signing keys are kept in plain files under"), "{err}");
    // Commands that sign nothing do not warn.
    let out = env.vargate(&["log", "sessions", "--tenant", "acme"]);
    assert!(out.status.success() && out.stderr.is_empty(), "{}", text(&out));
    assert!(!err.contains("vargate_store") && !err.contains("WARN"), "{err}");
}

#[test]
fn commands_that_never_touch_keys_neither_need_nor_list_store_options() {
    let env = Env::new();
    for cmd in ["verify", "sim"] {
        let out = env.vargate(&[cmd, "--help"]);
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(!help.contains("--data-dir") && !help.contains("--keystore"), "{cmd}: {help}");
    }
    let help = String::from_utf8(env.vargate(&["timeline", "--help"]).stdout).unwrap();
    assert!(help.contains("--data-dir") && help.contains("--keystore"), "{help}");
    // verify with a keystore that could never open still works: it never touches keys.
    let proof = env.prove(4);
    let out =
        env.command().args(["verify", &proof, "--allow-unpinned"]).env("VARGATE_KEYSTORE", "bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn standard_input_is_read_where_a_file_is() {
    let env = Env::new();
    let out = env.vargate_stdin(&["log", "import", "-", "--tenant", "acme"], jsonl(12).as_bytes());
    assert!(out.status.success() && text(&out).contains("imported 12 records"), "{}", text(&out));
    let proof = env.path("p.json");
    assert!(
        env.vargate(&["proof", "--tenant", "acme", "--session", "sess-2", "--out", proof.to_str().unwrap()])
            .status
            .success()
    );
    let key = env.vkey("acme");
    let out = env.vargate_stdin(&["verify", "-", "--key", &key], &std::fs::read(&proof).unwrap());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // A bad line on standard input is named as such.
    let out = env.vargate_stdin(&["log", "import", "-", "--tenant", "acme"], b"{}\n");
    assert!(stderr(&out).contains("<stdin>:1:"), "{}", text(&out));
}

#[test]
fn verify_refuses_fifos_and_devices_without_blocking() {
    let env = Env::new();
    let fifo = env.path("fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for path in [fifo.to_str().unwrap(), "/dev/zero"] {
        let out = env.vargate(&["verify", path]);
        assert_eq!(out.status.code(), Some(2), "{path}: {}", text(&out));
        assert!(stderr(&out).contains("is not a regular file"), "{path}: {}", text(&out));
    }
}

#[test]
fn sim_listens_on_a_named_host_with_port_0() {
    let env = Env::new();
    let mut child = env.command().args(["sim", "--addr", "localhost:0"]).stdout(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(first.starts_with("managed-agents simulator listening on http://"), "{first}");
    assert!(!first.trim_end().ends_with(":0"), "{first}");
}
