//! `vargate verify`: one line per check. Exit 0 only if every check passed against a pinned key; 1 if any
//! failed; 2 if the input cannot be read; 3 if every check passed but no key was pinned (unless the caller
//! opted in with `--allow-unpinned`). Never panics, whatever the bytes.

use crate::output::{safe, write_stdout};
use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;
use vargate_engine::verification;
use vargate_proof::pack::MAX_PACK_BYTES;
use vargate_proof::{Check, CheckStatus, NoteVerifier, Outcome, Verdict};

const FAILED: u8 = 1;
const UNREADABLE: u8 = 2;
const UNPINNED: u8 = 3;

pub fn run(path: &Path, key: Option<&str>, allow_unpinned: bool, rpc: Option<&str>, json: bool) -> ExitCode {
    let pinned = match key.map(NoteVerifier::parse).transpose() {
        Ok(k) => k,
        Err(e) => return unreadable(&format!("--key is not a verifier key: {e}")),
    };
    let bytes = match read_input(path) {
        Ok(b) => b,
        Err(msg) => return unreadable(&msg),
    };
    let mut verdict = match verification::verify_bytes(&bytes, pinned.as_ref()) {
        Ok(v) => v,
        Err(e) => return unreadable(&format!("{}: {e}", path.display())),
    };
    if let Some(url) = rpc {
        let check = on_chain(&bytes, url);
        verdict.origin_verified &= check.passed();
        verdict.checks.push(check);
    }
    let status = match verdict.outcome() {
        Outcome::Invalid => FAILED,
        Outcome::Valid => 0,
        Outcome::UnverifiedOrigin if allow_unpinned => 0,
        Outcome::UnverifiedOrigin => UNPINNED,
    };
    let text = if json {
        let out = serde_json::json!({
            "valid": verdict.passed(),
            "origin_verified": verdict.origin_verified,
            "checks": verdict.checks,
        });
        format!("{out:#}\n")
    } else {
        human(&verdict)
    };
    write_stdout(&text, i32::from(status));
    ExitCode::from(status)
}

/// `--rpc`: asks the node whether the anchor transaction is in its chain at the stated block.
fn on_chain(bytes: &[u8], url: &str) -> Check {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(verification::check_on_chain(bytes, url)),
        Err(e) => Check::fail("anchor on chain", format!("cannot start the network client: {e}")),
    }
}

/// Reads a regular file or standard input (`-`), refusing devices and FIFOs (which may never end) and
/// anything larger than the verifier reads.
fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    let limit = MAX_PACK_BYTES as u64;
    let too_large = || format!("{}: larger than the {limit} bytes a pack or proof file may have", path.display());
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        return if bytes.len() as u64 > limit { Err(too_large()) } else { Ok(bytes) };
    }
    verification::read_file(path).map_err(|e| match e {
        verification::ReadError::NotAFile { .. } => format!("{e}; give a pack or proof file, or - for standard input"),
        other => other.to_string(),
    })
}

fn unreadable(msg: &str) -> ExitCode {
    eprintln!("error: {}", safe(msg));
    ExitCode::from(UNREADABLE)
}

fn human(verdict: &Verdict) -> String {
    let mut out = String::new();
    for c in &verdict.checks {
        let tag = match c.status {
            CheckStatus::Pass => "PASS",
            CheckStatus::Warn => "WARN",
            CheckStatus::Fail => "FAIL",
        };
        // Check names and details quote the file's own strings: escape them, so a crafted tenant or session
        // name cannot print a line of its own.
        out.push_str(&format!("{tag}  {}: {}\n", safe(&c.name), safe(&c.detail)));
    }
    let total = verdict.checks.len();
    let failed = verdict.checks.iter().filter(|c| c.status == CheckStatus::Fail).count();
    let warned = verdict.checks.iter().filter(|c| c.status == CheckStatus::Warn).count();
    let checks = if total == 1 { "check" } else { "checks" };
    let with = match warned {
        0 => String::new(),
        1 => ", 1 with a warning".to_owned(),
        n => format!(", {n} with warnings"),
    };
    match verdict.outcome() {
        Outcome::Invalid => out.push_str(&format!("result: INVALID ({failed} of {total} {checks} failed)\n")),
        Outcome::Valid => out.push_str(&format!("result: VALID ({total} {checks} passed{with})\n")),
        Outcome::UnverifiedOrigin => out.push_str(&format!(
            "result: UNVERIFIED ORIGIN ({total} {checks} passed{with}, but against the key the file carries, which anyone can make; pin the log's published key with --key)\n"
        )),
    }
    out
}
