//! Offline verification of a proof file. "The proof does not hold" is a [`Verdict`] listing every check with
//! its evidence; only "the input cannot be read at all" is an error.

use crate::checkpoint::{Checkpoint, HeadsCommitment};
use crate::heads;
use crate::leaves::{self, LeafFacts, Prev};
use crate::merkle::{self, Hash};
use crate::note::{Note, NoteVerifier};
use crate::proof_file::{MAX_PROOF_FILE_BYTES, PROOF_FORMAT, PROOF_FORMAT_V1};
use crate::session_proof::SESSION_PROOF_FORMAT;
use crate::shared;
pub use crate::verify_anchor::AnchorCheck;
use crate::view::{EntryView, FileView, SessionView};
use serde::Serialize;

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
    pub fn new(name: impl Into<String>, status: CheckStatus, detail: impl Into<String>) -> Self {
        Check { name: name.into(), status, detail: detail.into() }
    }
    pub fn pass(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Check::new(name, CheckStatus::Pass, detail)
    }
    pub fn fail(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Check::new(name, CheckStatus::Fail, detail)
    }
    pub fn warn(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Check::new(name, CheckStatus::Warn, detail)
    }
    pub fn of(name: impl Into<String>, result: Result<String, String>) -> Self {
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
    /// True only when the checkpoint was checked against a key the caller pinned. Without a pinned key the
    /// file's own key was used, and anyone can make a file whose checks all pass against a key of their own.
    pub origin_verified: bool,
    pub checks: Vec<Check>,
}

impl Verdict {
    /// True when no check failed (warnings allowed) and there was something to check.
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(Check::passed)
    }

    /// The verdict in one word: what `vargate verify` turns into its exit status and the app shows.
    pub fn outcome(&self) -> Outcome {
        if !self.passed() {
            Outcome::Invalid
        } else if self.origin_verified {
            Outcome::Valid
        } else {
            Outcome::UnverifiedOrigin
        }
    }
}

/// See [`Verdict::outcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No check failed (warnings allowed), against a pinned key.
    Valid,
    /// A check failed.
    Invalid,
    /// No check failed, but against the key the file carries, which anyone can make.
    UnverifiedOrigin,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("not a proof file: {0}")]
    Unreadable(#[from] serde_json::Error),
    #[error(
        "unsupported proof format {found:?} (this verifier reads {SESSION_PROOF_FORMAT:?}, {PROOF_FORMAT:?} and {PROOF_FORMAT_V1:?})"
    )]
    UnsupportedFormat { found: String },
    #[error("the file has {size} bytes; proof files of more than {MAX_PROOF_FILE_BYTES} bytes are not read")]
    TooLarge { size: usize },
}

/// Verifies a `vargate-proof/3` (or `/2`, `/1`) file. With `pinned`, the checkpoint must be signed by that
/// key; without it the file's own `log_vkey` is used, a warning says the key was not pinned, and the verdict's
/// `origin_verified` is false. An anchor's transaction is not checked (a warning says so): this crate knows
/// no EVM; see [`verify_proof_file_with`].
pub fn verify_proof_file(bytes: &[u8], pinned: Option<&NoteVerifier>) -> Result<Verdict, VerifyError> {
    verify_proof_file_with(bytes, pinned, None)
}

/// [`verify_proof_file`], with the caller's check of a format-3 file's anchor transaction.
pub fn verify_proof_file_with(
    bytes: &[u8],
    pinned: Option<&NoteVerifier>,
    anchor_check: Option<&dyn AnchorCheck>,
) -> Result<Verdict, VerifyError> {
    verify_with_subject(bytes, pinned, anchor_check).map(|(verdict, _)| verdict)
}

/// Whom a proof file is about: tenant, session and log key, as the file states them.
pub(crate) struct Subject {
    pub tenant: String,
    pub session_id: String,
    pub log_vkey: String,
}

/// [`verify_proof_file_with`], also returning the file's [`Subject`] (so that a pack need not parse it twice).
pub(crate) fn verify_with_subject(
    bytes: &[u8],
    pinned: Option<&NoteVerifier>,
    anchor_check: Option<&dyn AnchorCheck>,
) -> Result<(Verdict, Subject), VerifyError> {
    if bytes.len() > MAX_PROOF_FILE_BYTES {
        return Err(VerifyError::TooLarge { size: bytes.len() });
    }
    let file: FileView = serde_json::from_slice(bytes)?;
    if file.format != SESSION_PROOF_FORMAT && file.format != PROOF_FORMAT && file.format != PROOF_FORMAT_V1 {
        return Err(VerifyError::UnsupportedFormat { found: file.format.into_owned() });
    }
    let subject = Subject {
        tenant: file.session.tenant.to_string(),
        session_id: file.session.session_id.to_string(),
        log_vkey: file.log_vkey.to_string(),
    };
    Ok((verify_parsed(&file, pinned, anchor_check), subject))
}

fn verify_parsed(
    file: &FileView<'_>,
    pinned: Option<&NoteVerifier>,
    anchor_check: Option<&dyn AnchorCheck>,
) -> Verdict {
    let mut checks = vec![Check::pass("format", file.format.as_ref())];
    if !file.unknown.is_empty() {
        checks.push(Check::new(
            "unknown members",
            CheckStatus::Warn,
            format!("ignored, and covered by no signature: {}", file.unknown.join(", ")),
        ));
    }
    let file_key = NoteVerifier::parse(&file.log_vkey);
    checks.push(Check::of(
        "log key",
        file_key
            .as_ref()
            .map(|k| format!("{} (fingerprint {})", file.log_vkey, k.fingerprint()))
            .map_err(|e| e.to_string()),
    ));
    let mut origin_verified = false;
    let trusted = match (pinned, &file_key) {
        (Some(pin), Ok(k)) if pin == k => {
            checks.push(Check::pass("pinned key", format!("the file's key is the pinned key {}", pin.to_vkey())));
            origin_verified = true;
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
                "not pinned: checked against the key the file carries, which anyone can make; pass --key with the log's published key",
            ));
            Some(k.clone())
        }
        (None, Err(_)) => None,
    };

    let checkpoint = check_checkpoint(&file.checkpoint, trusted.as_ref(), &mut checks);
    let leaves = leaves::read_leaves(&file.entries, &file.session.tenant, &file.session.session_id);
    if file.format == SESSION_PROOF_FORMAT {
        check_shared_entries(file, &leaves, checkpoint.as_ref(), &mut checks);
    } else {
        check_entries(&file.entries, &leaves, checkpoint.as_ref(), &mut checks);
    }
    checks.push(Check::of("session chain", check_chain(file, &leaves)));
    checks.push(Check::of("session complete", check_complete(&file.session, checkpoint.as_ref())));
    if file.format == SESSION_PROOF_FORMAT {
        crate::verify_anchor::check_anchor(
            file.anchor.as_ref(),
            trusted.as_ref(),
            checkpoint.as_ref(),
            anchor_check,
            &mut checks,
        );
    }
    Verdict { origin_verified: origin_verified && checks.iter().all(Check::passed), checks }
}

/// Checks the checkpoint's signature and, only if it holds, reads its body: nothing of an unsigned body is
/// worth parsing, and an attacker's body could be large.
fn check_checkpoint(signed: &str, key: Option<&NoteVerifier>, checks: &mut Vec<Check>) -> Option<Checkpoint> {
    let note = signed_by(signed, key, "checkpoint signature", checks)?;
    let key = key?;
    let others: Vec<String> = note
        .signatures
        .iter()
        .filter(|s| !(s.name == key.name && s.key_id == key.key_id))
        .map(|s| format!("{} ({:08x})", s.name, s.key_id))
        .collect();
    if !others.is_empty() {
        checks.push(Check::new(
            "other signatures",
            CheckStatus::Warn,
            format!("not checked, by keys not trusted here: {}", others.join(", ")),
        ));
    }
    match Checkpoint::parse_text(&note.text) {
        Ok(cp) => {
            let origin = if key.name == cp.origin {
                Ok(format!("{} (tree size {}, root {})", cp.origin, cp.size, hex::encode(cp.root)))
            } else {
                Err(format!("origin {:?} is not the key name {:?}", cp.origin, key.name))
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

/// Parses a signed note and checks its signature by `key`, recording the check under `name`.
pub(crate) fn signed_by(signed: &str, key: Option<&NoteVerifier>, name: &str, checks: &mut Vec<Check>) -> Option<Note> {
    let note = match Note::parse(signed) {
        Ok(note) => note,
        Err(e) => {
            checks.push(Check::fail(name, e.to_string()));
            return None;
        }
    };
    let Some(key) = key else {
        checks.push(Check::fail(name, "no usable key to check it with"));
        return None;
    };
    if let Err(e) = note.verify(std::slice::from_ref(key)) {
        checks.push(Check::fail(name, e.to_string()));
        return None;
    }
    checks.push(Check::pass(name, format!("signed by {} ({:08x})", key.name, key.key_id)));
    Some(note)
}

/// The session's stated (length, head) must be what the signed checkpoint's session-heads map commits to:
/// otherwise records may have been cut from the end of the session.
fn check_complete(session: &SessionView<'_>, checkpoint: Option<&Checkpoint>) -> Result<String, String> {
    let cp = checkpoint.ok_or("no trusted checkpoint to check against")?;
    let root = match cp.heads() {
        HeadsCommitment::Root(root) => root,
        HeadsCommitment::Absent => {
            return Err("the checkpoint commits to no session heads, so records cut from the end of the session \
                        would go unnoticed (a file of format 1 or of an older log)"
                .to_owned());
        }
        HeadsCommitment::Malformed => return Err("the checkpoint's session-heads line is malformed".to_owned()),
    };
    let proof = session.heads_proof.as_ref().ok_or("the file has no session.heads_proof")?;
    let proof = proof.iter().map(|h| decode_hash(h)).collect::<Result<Vec<_>, _>>()?;
    let head = decode_hash(&session.head).map_err(|e| format!("session.head: {e}"))?;
    heads::verify(&root, &session.session_id, session.length, &head, &proof).map_err(|e| {
        format!(
            "the checkpoint does not commit to {} records ending at head {} for this session: {e}",
            session.length, session.head
        )
    })?;
    Ok(format!(
        "the checkpoint's session-heads map (root {}) commits to {} records ending at head {} ({} proof hashes)",
        hex::encode(root),
        session.length,
        session.head,
        proof.len()
    ))
}

pub(crate) fn decode_hash(s: &str) -> Result<Hash, String> {
    // const-hex: proof hashes are most of a proof file, and its vectorised decoder is several times faster
    // than a per-character one.
    if s.len() != 64 {
        return Err(format!("{s:?} is not a 32-byte hash"));
    }
    let mut hash = [0u8; 32];
    const_hex::decode_to_slice(s, &mut hash).map_err(|_| format!("{s:?} is not hex"))?;
    Ok(hash)
}

/// Checks every entry's inclusion proof.
fn check_entries(
    entries: &[EntryView<'_>],
    leaves: &[Option<LeafFacts>],
    checkpoint: Option<&Checkpoint>,
    checks: &mut Vec<Check>,
) {
    if entries.is_empty() {
        checks.push(Check::fail("entries", "the file has no entries"));
    }
    // Decode first, then verify all decodable proofs in one batch that shares the work of converging paths.
    let decoded: Vec<Result<(Hash, Vec<Hash>), String>> = entries
        .iter()
        .zip(leaves)
        .map(|(entry, leaf)| {
            let leaf = leaf.as_ref().ok_or("leaf is not base64")?;
            let proof = entry.inclusion_proof.as_ref().ok_or("the entry has no inclusion_proof")?;
            let proof = proof.iter().map(|h| decode_hash(h)).collect::<Result<Vec<_>, _>>()?;
            Ok((leaf.hash, proof))
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
}

/// Format 3: all entries at once, from their leaves and the shared nodes, must reach the checkpoint's root.
fn check_shared_entries(
    file: &FileView<'_>,
    leaves: &[Option<LeafFacts>],
    checkpoint: Option<&Checkpoint>,
    checks: &mut Vec<Check>,
) {
    let stray = file.entries.iter().position(|e| e.inclusion_proof.is_some());
    let result = (|| {
        if let Some(i) = stray {
            return Err(format!("entry {i} has an inclusion_proof, which format 3 does not define"));
        }
        let cp = checkpoint.ok_or("no readable checkpoint")?;
        let hashed = file
            .entries
            .iter()
            .zip(leaves)
            .enumerate()
            .map(|(i, (e, l))| Ok((e.index, l.as_ref().ok_or_else(|| format!("entry {i}: leaf is not base64"))?.hash)))
            .collect::<Result<Vec<_>, String>>()?;
        let nodes = file.nodes.as_ref().ok_or("the file has no nodes")?;
        let nodes = nodes
            .iter()
            .enumerate()
            .map(|(i, (start, end, h))| Ok((*start..*end, decode_hash(h).map_err(|e| format!("node {i}: {e}"))?)))
            .collect::<Result<Vec<_>, String>>()?;
        let root = shared::root_from_shared(cp.size, &hashed, &nodes).map_err(|e| e.to_string())?;
        if root != cp.root {
            return Err(format!(
                "the {} records and {} nodes lead to root {}, not the checkpoint's {}",
                hashed.len(),
                nodes.len(),
                hex::encode(root),
                hex::encode(cp.root)
            ));
        }
        Ok(format!(
            "all {} records are in the checkpoint's tree of size {} ({} shared nodes lead to its root)",
            hashed.len(),
            cp.size,
            nodes.len()
        ))
    })();
    checks.push(Check::of("inclusion proofs", result));
}

/// The session's records must all be canonical records of the named session, numbered 0..length in log
/// order, each naming the previous one's leaf hash, ending at the stated head.
fn check_chain(file: &FileView<'_>, leaves: &[Option<LeafFacts>]) -> Result<String, String> {
    let s = &file.session;
    let mut prev: Option<Hash> = None;
    let mut last_index: Option<u64> = None;
    for (i, (leaf, entry)) in leaves.iter().zip(&file.entries).enumerate() {
        let leaf = leaf.as_ref().ok_or_else(|| format!("entry {i}: leaf is not base64"))?;
        let record = leaf.head.as_ref().map_err(|e| format!("entry {i}: {e}"))?;
        if let Some((tenant, session_id)) = &record.foreign {
            return Err(format!("entry {i} belongs to {tenant}/{session_id}, not {}/{}", s.tenant, s.session_id));
        }
        if record.seq != i as u64 {
            return Err(format!("entry {i} has sequence number {}: records are missing or out of order", record.seq));
        }
        let links = match (&record.prev, &prev) {
            (Prev::Null, None) => true,
            (Prev::Hash(named), Some(hash)) => named == hash,
            _ => false,
        };
        if !links {
            return Err(format!("entry {i} (seq {}) does not link to the previous record's leaf hash", record.seq));
        }
        if last_index.is_some_and(|l| entry.index <= l) {
            return Err(format!("entry {i} is at leaf {}, not after the previous record", entry.index));
        }
        last_index = Some(entry.index);
        prev = Some(leaf.hash);
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
