//! Verifying what an auditor was given — an evidence pack or a bare proof file — offline, with the anchor
//! transaction checked by `vargate-anchor`; and, when asked, against a chain node. `vargate verify` and the
//! desktop app's Verify screen both call these, so they give the same verdicts.

use crate::anchoring::EvmAnchorCheck;
use std::io::Read as _;
use std::path::Path;
use vargate_proof::pack::{self, MAX_PACK_BYTES};
use vargate_proof::{Check, NoteVerifier, SessionProof, Verdict, VerifyError, verify_pack, verify_proof_file_with};

/// Whether `bytes` are a zip (an evidence pack): a local file header begins with "PK\x03\x04".
pub fn is_pack(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Why a file to verify could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} is not a regular file (a directory, device or FIFO)")]
    NotAFile { path: String },
    #[error("{path}: larger than the {MAX_PACK_BYTES} bytes a pack or proof file may have")]
    TooLarge { path: String },
}

/// Reads a regular file of at most [`MAX_PACK_BYTES`], refusing directories, devices and FIFOs (which may
/// never end) and files that grow past the limit while being read.
pub fn read_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    let shown = || path.display().to_string();
    let io = |source| ReadError::Io { path: shown(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile { path: shown() });
    }
    let limit = MAX_PACK_BYTES as u64;
    if meta.len() > limit {
        return Err(ReadError::TooLarge { path: shown() });
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|f| f.take(limit + 1).read_to_end(&mut bytes)).map_err(io)?;
    if bytes.len() > MAX_PACK_BYTES {
        return Err(ReadError::TooLarge { path: shown() });
    }
    Ok(bytes)
}

/// Verifies a pack or a proof file offline. `Err` only when the input cannot be read at all.
pub fn verify_bytes(bytes: &[u8], pinned: Option<&NoteVerifier>) -> Result<Verdict, VerifyError> {
    if is_pack(bytes) {
        verify_pack(bytes, pinned, Some(&EvmAnchorCheck))
    } else {
        verify_proof_file_with(bytes, pinned, Some(&EvmAnchorCheck))
    }
}

/// Asks the node at `url` whether the anchor transaction of a pack or proof file is in its chain at the
/// stated block (the one check that needs a network).
pub async fn check_on_chain(bytes: &[u8], url: &str) -> Check {
    const NAME: &str = "anchor on chain";
    let proof = if is_pack(bytes) {
        match pack::read_zip(bytes).ok().and_then(|mut f| f.remove(pack::PROOF)) {
            Some(p) => p,
            None => return Check::fail(NAME, "the pack has no readable proof.json"),
        }
    } else {
        bytes.to_vec()
    };
    let evidence = serde_json::from_slice::<SessionProof>(&proof)
        .ok()
        .and_then(|p| p.anchor)
        .map(|a| serde_json::from_value::<vargate_anchor::AnchorEvidence>(a.evidence));
    match evidence {
        None => Check::fail(NAME, "the file carries no anchor to look up"),
        Some(Err(e)) => Check::fail(NAME, format!("the anchor evidence is malformed: {e}")),
        Some(Ok(ev)) => Check::of(NAME, vargate_anchor::verify_online(url, &ev).await.map_err(|e| e.to_string())),
    }
}
