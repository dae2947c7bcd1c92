//! Offline verification of a proof file. "The proof does not hold" is a [`Verdict`] listing every check with
//! its evidence; only "the input cannot be read at all" is an error.

use crate::checkpoint::Checkpoint;
use crate::merkle::{self, Hash};
use crate::note::{Note, NoteVerifier};
use crate::proof_file::PROOF_FORMAT;
use crate::record::AuditRecord;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    /// Holds, but with a caveat the reader must see (e.g. the signing key was not pinned).
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub status: CheckStatus,
    /// The evidence: what was compared with what.
    pub detail: String,
}

impl Check {
    fn new(name: impl Into<String>, status: CheckStatus, detail: impl Into<String>) -> Self {
        Check { name: name.into(), status, detail: detail.into() }
    }
    fn pass(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Check::new(name, CheckStatus::Pass, detail)
    }
    fn fail(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Check::new(name, CheckStatus::Fail, detail)
    }
    fn of(name: impl Into<String>, result: Result<String, String>) -> Self {
        match result {
            Ok(detail) => Check::pass(name, detail),
            Err(detail) => Check::fail(name, detail),
        }
    }
    pub fn passed(&self) -> bool {
        self.status != CheckStatus::Fail
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub checks: Vec<Check>,
}

impl Verdict {
    /// True when no check failed (warnings allowed) and there was something to check.
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(Check::passed)
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("not a proof file: {0}")]
    Unreadable(#[from] serde_json::Error),
    #[error("unsupported proof format {found:?} (this verifier reads {PROOF_FORMAT:?})")]
    UnsupportedFormat { found: String },
}

/// Verifies a `vargate-proof/1` file. With `pinned`, the checkpoint must be signed by that key; without it the
/// file's own `log_vkey` is used and a warning says the key was not pinned.
pub fn verify_proof_file(bytes: &[u8], pinned: Option<&NoteVerifier>) -> Result<Verdict, VerifyError> {
    let file: FileView = serde_json::from_slice(bytes)?;
    if file.format != PROOF_FORMAT {
        return Err(VerifyError::UnsupportedFormat { found: file.format.into_owned() });
    }
    Ok(verify_parsed(&file, pinned))
}

/// The proof file as the verifier reads it: the shape of [`crate::ProofFile`], borrowing from the input
/// wherever JSON escapes allow, so that a large file is not copied string by string.
#[derive(Deserialize)]
struct FileView<'a> {
    #[serde(borrow)]
    format: Cow<'a, str>,
    #[serde(borrow)]
    checkpoint: Cow<'a, str>,
    #[serde(borrow)]
    log_vkey: Cow<'a, str>,
    #[serde(borrow)]
    session: SessionView<'a>,
    #[serde(borrow)]
    entries: Vec<EntryView<'a>>,
}

#[derive(Deserialize)]
struct SessionView<'a> {
    #[serde(borrow)]
    tenant: Cow<'a, str>,
    #[serde(borrow)]
    session_id: Cow<'a, str>,
    length: u64,
    #[serde(borrow)]
    head: Cow<'a, str>,
}

#[derive(Deserialize)]
struct EntryView<'a> {
    index: u64,
    #[serde(borrow)]
    leaf: Cow<'a, str>,
    #[serde(borrow)]
    inclusion_proof: Vec<Cow<'a, str>>,
}

fn verify_parsed(file: &FileView<'_>, pinned: Option<&NoteVerifier>) -> Verdict {
    let mut checks = vec![Check::pass("format", PROOF_FORMAT)];
    let file_key = NoteVerifier::parse(&file.log_vkey);
    checks.push(Check::of(
        "log key",
        file_key
            .as_ref()
            .map(|k| format!("{} (fingerprint {})", file.log_vkey, k.fingerprint()))
            .map_err(|e| e.to_string()),
    ));
    let trusted = match (pinned, &file_key) {
        (Some(pin), Ok(k)) if pin == k => {
            checks.push(Check::pass("pinned key", format!("the file's key is the pinned key {}", pin.to_vkey())));
            Some(pin.clone())
        }
        (Some(pin), _) => {
            checks.push(Check::fail("pinned key", format!("the file's key is not the pinned key {}", pin.to_vkey())));
            Some(pin.clone())
        }
        (None, Ok(k)) => {
            checks.push(Check::new(
                "pinned key",
                CheckStatus::Warn,
                "not pinned: checked against the key the file carries; pass --key with the log's published key",
            ));
            Some(k.clone())
        }
        (None, Err(_)) => None,
    };

    let checkpoint = check_checkpoint(&file.checkpoint, trusted.as_ref(), &mut checks);
    let leaves = check_entries(&file.entries, checkpoint.as_ref(), &mut checks);
    checks.push(Check::of("session chain", check_chain(file, &leaves)));
    Verdict { checks }
}

fn check_checkpoint(signed: &str, key: Option<&NoteVerifier>, checks: &mut Vec<Check>) -> Option<Checkpoint> {
    let note = match Note::parse(signed) {
        Ok(note) => note,
        Err(e) => {
            checks.push(Check::fail("checkpoint signature", e.to_string()));
            return None;
        }
    };
    let signature = match key {
        None => Err("no usable key to check it with".to_owned()),
        Some(k) => note
            .verify(std::slice::from_ref(k))
            .map(|_| format!("signed by {} ({:08x})", k.name, k.key_id))
            .map_err(|e| e.to_string()),
    };
    checks.push(Check::of("checkpoint signature", signature));
    match Checkpoint::parse_text(&note.text) {
        Ok(cp) => {
            let origin = match key {
                Some(k) if k.name == cp.origin => {
                    Ok(format!("{} (tree size {}, root {})", cp.origin, cp.size, hex::encode(cp.root)))
                }
                Some(k) => Err(format!("origin {:?} is not the key name {:?}", cp.origin, k.name)),
                None => Err(format!("origin {:?} cannot be matched to a key", cp.origin)),
            };
            checks.push(Check::of("checkpoint origin", origin));
            Some(cp)
        }
        Err(e) => {
            checks.push(Check::fail("checkpoint body", e.to_string()));
            None
        }
    }
}

fn decode_hash(s: &str) -> Result<Hash, String> {
    // const-hex: proof hashes are most of a proof file, and its vectorised decoder is several times faster
    // than a per-character one.
    if s.len() != 64 {
        return Err(format!("{s:?} is not a 32-byte hash"));
    }
    let mut hash = [0u8; 32];
    const_hex::decode_to_slice(s, &mut hash).map_err(|_| format!("{s:?} is not hex"))?;
    Ok(hash)
}

/// Checks every entry's inclusion proof; returns each entry's decoded leaf (None when it could not be decoded).
fn check_entries(
    entries: &[EntryView<'_>],
    checkpoint: Option<&Checkpoint>,
    checks: &mut Vec<Check>,
) -> Vec<Option<Vec<u8>>> {
    if entries.is_empty() {
        checks.push(Check::fail("entries", "the file has no entries"));
    }
    let leaves: Vec<Option<Vec<u8>>> = entries.iter().map(|e| B64.decode(e.leaf.as_bytes()).ok()).collect();
    // Decode first, then verify all decodable proofs in one batch that shares the work of converging paths.
    let decoded: Vec<Result<(Hash, Vec<Hash>), String>> = entries
        .iter()
        .zip(&leaves)
        .map(|(entry, leaf)| {
            let leaf = leaf.as_deref().ok_or("leaf is not base64")?;
            let proof = entry.inclusion_proof.iter().map(|h| decode_hash(h)).collect::<Result<Vec<_>, _>>()?;
            Ok((merkle::leaf_hash(leaf), proof))
        })
        .collect();
    let batch: Vec<(u64, Hash, &[Hash])> = entries
        .iter()
        .zip(&decoded)
        .filter_map(|(e, d)| d.as_ref().ok().map(|(leaf, proof)| (e.index, *leaf, proof.as_slice())))
        .collect();
    let mut verified = match checkpoint {
        Some(cp) => merkle::verify_inclusions(cp.size, &cp.root, &batch).into_iter(),
        None => Vec::new().into_iter(),
    };
    for (entry, decoded) in entries.iter().zip(&decoded) {
        let result = match (decoded, checkpoint) {
            (Err(e), _) => Err(e.clone()),
            (Ok(_), None) => Err("no readable checkpoint".to_owned()),
            (Ok((_, proof)), Some(cp)) => match verified.next() {
                Some(Ok(())) => {
                    Ok(format!("{} hashes lead to the checkpoint root of tree size {}", proof.len(), cp.size))
                }
                Some(Err(e)) => Err(e.to_string()),
                None => Err("internal: verification result missing".to_owned()),
            },
        };
        checks.push(Check::of(format!("inclusion of leaf {}", entry.index), result));
    }
    leaves
}

/// The session's records must all be canonical records of the named session, numbered 0..length in log
/// order, each naming the previous one's leaf hash, ending at the stated head.
fn check_chain(file: &FileView<'_>, leaves: &[Option<Vec<u8>>]) -> Result<String, String> {
    let s = &file.session;
    let mut prev: Option<Hash> = None;
    let mut last_index: Option<u64> = None;
    for (i, (leaf, entry)) in leaves.iter().zip(&file.entries).enumerate() {
        let leaf = leaf.as_deref().ok_or(format!("entry {i}: leaf is not base64"))?;
        let record = AuditRecord::from_leaf(leaf).map_err(|e| format!("entry {i}: {e}"))?;
        if record.tenant != *s.tenant || record.session_id != *s.session_id {
            return Err(format!(
                "entry {i} belongs to {}/{}, not {}/{}",
                record.tenant, record.session_id, s.tenant, s.session_id
            ));
        }
        if record.seq != i as u64 {
            return Err(format!("entry {i} has sequence number {}: records are missing or out of order", record.seq));
        }
        if record.prev != prev.map(hex::encode) {
            return Err(format!("entry {i} (seq {}) does not link to the previous record's leaf hash", record.seq));
        }
        if last_index.is_some_and(|l| entry.index <= l) {
            return Err(format!("entry {i} is at leaf {}, not after the previous record", entry.index));
        }
        last_index = Some(entry.index);
        prev = Some(merkle::leaf_hash(leaf));
    }
    if leaves.len() as u64 != s.length {
        return Err(format!("the file has {} records but the session had {}", leaves.len(), s.length));
    }
    let head = prev.map(hex::encode).unwrap_or_default();
    if head != *s.head {
        return Err(format!("last record's leaf hash {head} is not the stated head {}", s.head));
    }
    Ok(format!(
        "{} records of {}/{}, seq 0..{} linked in log order, head {head}",
        s.length, s.tenant, s.session_id, s.length
    ))
}
