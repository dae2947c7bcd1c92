//! `vargate verify`: one line per check; exit 0 only if every check passed, 1 if any failed, 2 if the
//! input cannot be read. Never panics, whatever the bytes.

use std::path::Path;
use std::process::ExitCode;
use vargate_proof::{CheckStatus, NoteVerifier, Verdict, verify_proof_file};

const UNREADABLE: u8 = 2;

pub fn run(path: &Path, key: Option<&str>, json: bool) -> ExitCode {
    let pinned = match key.map(NoteVerifier::parse).transpose() {
        Ok(k) => k,
        Err(e) => return unreadable(&format!("--key is not a verifier key: {e}")),
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return unreadable(&format!("cannot read {}: {e}", path.display())),
    };
    let verdict = match verify_proof_file(&bytes, pinned.as_ref()) {
        Ok(v) => v,
        Err(e) => return unreadable(&format!("{}: {e}", path.display())),
    };
    if json {
        let out = serde_json::json!({ "valid": verdict.passed(), "checks": verdict.checks });
        println!("{out:#}");
    } else {
        print_human(&verdict);
    }
    if verdict.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn unreadable(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(UNREADABLE)
}

fn print_human(verdict: &Verdict) {
    for c in &verdict.checks {
        let tag = match c.status {
            CheckStatus::Pass => "PASS",
            CheckStatus::Warn => "WARN",
            CheckStatus::Fail => "FAIL",
        };
        println!("{tag}  {}: {}", c.name, c.detail);
    }
    let failed = verdict.checks.iter().filter(|c| c.status == CheckStatus::Fail).count();
    let warned = verdict.checks.iter().filter(|c| c.status == CheckStatus::Warn).count();
    if verdict.passed() {
        println!("result: VALID ({} checks, {warned} with warnings)", verdict.checks.len());
    } else {
        println!("result: INVALID ({failed} of {} checks failed)", verdict.checks.len());
    }
}
