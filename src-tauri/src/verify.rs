//! The Verify screen's back end: reads a pack or proof file (from a path the window was given, or from bytes
//! the page read) and runs exactly the verifier `vargate verify` runs, offline. "Cannot read the input" is an
//! [`IpcError`]; "the proof does not hold" is a [`VerdictView`] with failing checks.

use serde::Serialize;
use specta::Type;
use std::path::Path;
use vargate_engine::verification;
use vargate_proof::pack::MAX_PACK_BYTES;
use vargate_proof::{Check, CheckStatus, NoteVerifier, Verdict};

/// What the UI shows: the overall result and one row per check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct VerdictView {
    pub outcome: Outcome,
    /// True only when the checkpoint was checked against the key the user pinned.
    pub origin_verified: bool,
    pub checks: Vec<CheckView>,
}

/// The verdict in one word, decided as `vargate verify` decides its exit status (0, 1 or 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every check passed (warnings allowed) against the pinned key.
    Valid,
    /// At least one check failed.
    Invalid,
    /// Every check passed, but against the key the file carries, which anyone can make.
    UnverifiedOrigin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct CheckView {
    pub name: String,
    pub status: Status,
    /// The evidence: what was compared with what.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

/// An error the UI can branch on by `code`; `message` is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The verifier key field does not hold a C2SP verifier key.
    BadKey,
    /// The file could not be read, is too large, or is neither a pack nor a proof file.
    Unreadable,
    /// The verifier did not finish (a bug: it never panics on input, so this is not the user's doing).
    Internal,
    /// The engine did not start (the message says why); only verifying works.
    NotStarted,
    /// An operation of the engine failed; the message says why.
    Failed,
    /// Governance refused what was asked (a session start over the profile's limits); the message is the
    /// reason alone (which limit). The refusal is recorded.
    Refused,
    /// What was asked needs a setting that is not made (anchoring without an endpoint); the message says
    /// which.
    NotConfigured,
}

impl IpcError {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        IpcError { code, message: message.into() }
    }
}

impl From<Verdict> for VerdictView {
    fn from(v: Verdict) -> Self {
        let outcome = match v.outcome() {
            vargate_proof::Outcome::Valid => Outcome::Valid,
            vargate_proof::Outcome::Invalid => Outcome::Invalid,
            vargate_proof::Outcome::UnverifiedOrigin => Outcome::UnverifiedOrigin,
        };
        VerdictView {
            outcome,
            origin_verified: v.origin_verified,
            checks: v.checks.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Check> for CheckView {
    fn from(c: Check) -> Self {
        let status = match c.status {
            CheckStatus::Pass => Status::Pass,
            CheckStatus::Warn => Status::Warn,
            CheckStatus::Fail => Status::Fail,
        };
        CheckView { name: c.name, status, detail: c.detail }
    }
}

/// Verifies the file at `path`. Runs on a blocking thread: a large pack takes a while and must not stall
/// the window's event loop.
pub async fn file(path: String, key: Option<String>) -> Result<VerdictView, IpcError> {
    off_the_event_loop(move || verify_path(Path::new(&path), key.as_deref())).await
}

/// Verifies bytes the page read from a file the user chose.
pub async fn bytes(bytes: Vec<u8>, key: Option<String>) -> Result<VerdictView, IpcError> {
    off_the_event_loop(move || verify_bytes(&bytes, key.as_deref())).await
}

async fn off_the_event_loop<F>(work: F) -> Result<VerdictView, IpcError>
where
    F: FnOnce() -> Result<VerdictView, IpcError> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(IpcError::new(ErrorCode::Internal, format!("the verifier stopped: {e}"))))
}

pub fn verify_path(path: &Path, key: Option<&str>) -> Result<VerdictView, IpcError> {
    let pinned = pinned_key(key)?;
    let bytes = verification::read_file(path).map_err(|e| IpcError::new(ErrorCode::Unreadable, e.to_string()))?;
    run(&bytes, pinned.as_ref())
}

pub fn verify_bytes(bytes: &[u8], key: Option<&str>) -> Result<VerdictView, IpcError> {
    let pinned = pinned_key(key)?;
    if bytes.len() > MAX_PACK_BYTES {
        return Err(too_large());
    }
    run(bytes, pinned.as_ref())
}

fn run(bytes: &[u8], pinned: Option<&NoteVerifier>) -> Result<VerdictView, IpcError> {
    verification::verify_bytes(bytes, pinned)
        .map(VerdictView::from)
        .map_err(|e| IpcError::new(ErrorCode::Unreadable, format!("not a pack or proof file: {e}")))
}

/// An empty field means "no key": people clear the field rather than toggle an option.
fn pinned_key(key: Option<&str>) -> Result<Option<NoteVerifier>, IpcError> {
    match key.map(str::trim).filter(|k| !k.is_empty()) {
        None => Ok(None),
        Some(k) => NoteVerifier::parse(k)
            .map(Some)
            .map_err(|e| IpcError::new(ErrorCode::BadKey, format!("the verifier key is not a C2SP verifier key: {e}"))),
    }
}

fn too_large() -> IpcError {
    IpcError::new(ErrorCode::Unreadable, format!("the file is larger than the {MAX_PACK_BYTES} bytes a pack may have"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(origin_verified: bool, statuses: &[CheckStatus]) -> Verdict {
        let checks = statuses.iter().map(|s| Check::new("c", *s, "d")).collect();
        Verdict { origin_verified, checks }
    }

    #[test]
    fn outcome_follows_the_cli_exit_status() {
        use CheckStatus::{Fail, Pass, Warn};
        for (origin, statuses, want) in [
            (true, &[Pass, Warn][..], Outcome::Valid),
            (false, &[Pass, Pass][..], Outcome::UnverifiedOrigin),
            (true, &[Pass, Fail][..], Outcome::Invalid),
            (false, &[Fail][..], Outcome::Invalid),
            // Nothing checked is not a pass.
            (true, &[][..], Outcome::Invalid),
        ] {
            assert_eq!(VerdictView::from(verdict(origin, statuses)).outcome, want, "{origin} {statuses:?}");
        }
    }

    #[test]
    fn checks_keep_their_order_name_and_evidence() {
        let view = VerdictView::from(Verdict {
            origin_verified: false,
            checks: vec![Check::pass("manifest signature", "ok"), Check::fail("session complete", "cut short")],
        });
        assert_eq!(
            view.checks,
            [
                CheckView { name: "manifest signature".into(), status: Status::Pass, detail: "ok".into() },
                CheckView { name: "session complete".into(), status: Status::Fail, detail: "cut short".into() },
            ]
        );
    }

    #[test]
    fn a_bad_key_is_an_error_and_an_empty_one_is_no_key() {
        let err = verify_bytes(b"{}", Some("not a key")).unwrap_err();
        assert_eq!(err.code, ErrorCode::BadKey, "{err:?}");
        let err = verify_bytes(b"garbage", Some("  ")).unwrap_err();
        assert_eq!(err.code, ErrorCode::Unreadable, "{err:?}");
    }

    #[test]
    fn unreadable_inputs_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        for path in [dir.path().to_path_buf(), dir.path().join("missing.zip")] {
            let err = verify_path(&path, None).unwrap_err();
            assert_eq!(err.code, ErrorCode::Unreadable, "{err:?}");
        }
        // A zip that is not a pack is a verdict with failing checks or an error, never a panic.
        let zip = dir.path().join("broken.zip");
        std::fs::write(&zip, b"PK\x03\x04 not really a zip").unwrap();
        if let Ok(view) = verify_path(&zip, None) {
            assert_eq!(view.outcome, Outcome::Invalid);
        }
        assert_eq!(verify_bytes(&[], None).map(|v| v.outcome).unwrap_or(Outcome::Invalid), Outcome::Invalid);
    }
}
