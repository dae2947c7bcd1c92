//! What the `vargate` binary's tests share: a private data directory and keystore per test, and the
//! records they import.
#![allow(dead_code)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

pub struct Env {
    pub dir: tempfile::TempDir,
    /// Keys always in files under `keys`, whatever VARGATE_KEYSTORE says, for tests that look at them.
    file_keys: bool,
}

impl Env {
    pub fn new() -> Self {
        Env { dir: tempfile::tempdir().unwrap(), file_keys: false }
    }

    pub fn with_file_keys() -> Self {
        Env { dir: tempfile::tempdir().unwrap(), file_keys: true }
    }

    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// The keystore tests use: VARGATE_KEYSTORE (scripts/test: the Secret Service), else a key file here.
    pub fn keystore(&self) -> String {
        let file = format!("insecure-file:{}", self.path("keys").display());
        if self.file_keys { file } else { std::env::var("VARGATE_KEYSTORE").unwrap_or(file) }
    }

    /// `vargate` with this test's data directory and keystore in its environment.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vargate"));
        cmd.env("VARGATE_DATA_DIR", self.path("data")).env("VARGATE_KEYSTORE", self.keystore());
        cmd
    }

    pub fn vargate(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// Runs `vargate` with `input` on standard input.
    pub fn vargate_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn write(&self, name: &str, contents: &str) -> String {
        std::fs::write(self.path(name), contents).unwrap();
        self.path(name).display().to_string()
    }

    /// Imports `n` records over 4 sessions into tenant `acme` and writes the proof file of session `sess-1`.
    pub fn prove(&self, n: usize) -> String {
        let input = self.write("in.jsonl", &jsonl(n));
        let out = self.vargate(&["log", "import", &input, "--tenant", "acme"]);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains(&format!("imported {n} records")), "{}", text(&out));
        let proof = self.path("proof.json").display().to_string();
        let out = self.vargate(&["proof", "--tenant", "acme", "--session", "sess-1", "--out", &proof]);
        assert!(out.status.success(), "{}", text(&out));
        proof
    }

    /// The tenant's published verifier key, as `vargate log key` prints it.
    pub fn vkey(&self, tenant: &str) -> String {
        let out = self.vargate(&["log", "key", "--tenant", tenant]);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
    }
}

pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Standard error, less the plain-key-file warning that runs without VARGATE_KEYSTORE print.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.starts_with("warning: signing keys are kept in plain files"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// `n` records over sessions sess-0 … sess-3.
pub fn jsonl(n: usize) -> String {
    (0..n)
        .map(|i| format!(r#"{{"session_id":"sess-{}","ts":"2026-11-25T10:{:02}:00Z","type":"agent.tool_use","payload":{{"i":{i}}}}}"#, i % 4, i % 60) + "\n")
        .collect()
}
