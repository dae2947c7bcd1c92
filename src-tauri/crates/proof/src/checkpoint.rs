//! C2SP `tlog-checkpoint` bodies (<https://c2sp.org/tlog-checkpoint>): the signed statement of a log's size and
//! root. The body is `origin\n<decimal size>\n<base64 root>\n` followed by optional extension lines; it is
//! the text of a signed note.

use crate::merkle::Hash;
use crate::note::{self, NoteError, NoteSigner, NoteVerifier};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    #[error(transparent)]
    Note(#[from] NoteError),
}

/// What a checkpoint says about the session-heads map ([`crate::heads`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadsCommitment {
    /// No extension line commits to session heads (a checkpoint of an older Vargate version).
    Absent,
    Root(Hash),
    /// More than one such line, or one that is not base64 of 32 bytes: the commitment is unusable.
    Malformed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's unique identity, conventionally a schema-less URL; Vargate uses the signing key's name.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Extension lines, without their newlines.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Checkpoint { origin: origin.to_owned(), size, root, extensions: Vec::new() }
    }

    /// The note text this checkpoint signs.
    pub fn to_text(&self) -> String {
        let mut text = format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root));
        for ext in &self.extensions {
            text.push_str(ext);
            text.push('\n');
        }
        text
    }

    /// Parses a checkpoint body (the text of a note, signatures already removed).
    pub fn parse_text(text: &str) -> Result<Self, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::Malformed("does not end in a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty()).ok_or(CheckpointError::Malformed("empty origin"))?;
        let size_line = lines.next().ok_or(CheckpointError::Malformed("missing tree size"))?;
        let canonical_decimal = !size_line.is_empty()
            && size_line.bytes().all(|b| b.is_ascii_digit())
            && (size_line == "0" || !size_line.starts_with('0'));
        if !canonical_decimal {
            return Err(CheckpointError::Malformed("tree size is not a canonical decimal number"));
        }
        let size = size_line.parse::<u64>().map_err(|_| CheckpointError::Malformed("tree size out of range"))?;
        let root_line = lines.next().ok_or(CheckpointError::Malformed("missing root hash"))?;
        let root = B64.decode(root_line).map_err(|_| CheckpointError::Malformed("root hash is not base64"))?;
        let root: Hash = root.try_into().map_err(|_| CheckpointError::Malformed("root hash is not 32 bytes"))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(CheckpointError::Malformed("empty extension line"));
        }
        Ok(Checkpoint { origin: origin.to_owned(), size, root, extensions })
    }

    /// A checkpoint that also commits to the root of the log's session-heads map at `size`.
    pub fn with_heads(origin: &str, size: u64, root: Hash, heads_root: &Hash) -> Self {
        let mut cp = Checkpoint::new(origin, size, root);
        cp.extensions.push(format!("{}{}", crate::heads::HEADS_EXTENSION, B64.encode(heads_root)));
        cp
    }

    /// The session-heads root this checkpoint commits to, read from its extension lines.
    pub fn heads(&self) -> HeadsCommitment {
        let mut lines = self.extensions.iter().filter_map(|l| l.strip_prefix(crate::heads::HEADS_EXTENSION));
        let (Some(first), None) = (lines.next(), lines.next()) else {
            let any = self.extensions.iter().any(|l| l.starts_with(crate::heads::HEADS_EXTENSION));
            return if any { HeadsCommitment::Malformed } else { HeadsCommitment::Absent };
        };
        match B64.decode(first).ok().and_then(|b| Hash::try_from(b).ok()) {
            Some(root) => HeadsCommitment::Root(root),
            None => HeadsCommitment::Malformed,
        }
    }

    pub fn sign(&self, signer: &NoteSigner) -> Result<String, CheckpointError> {
        Ok(signer.sign(&self.to_text())?)
    }

    /// Parses the body of a signed checkpoint note **without checking its signature**: for notes this process
    /// signed or already verified (sizes for messages, the report). Never use it to trust a note.
    pub fn read_unverified(signed: &str) -> Result<Self, CheckpointError> {
        Checkpoint::parse_text(&note::Note::parse(signed)?.text)
    }

    /// Verifies a signed checkpoint note against trusted keys and parses its body.
    pub fn open(signed: &str, known: &[NoteVerifier]) -> Result<Self, CheckpointError> {
        let text = note::open(signed, known)?;
        Checkpoint::parse_text(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_rejects_malformed_bodies() {
        let cp = Checkpoint { extensions: vec!["Timestamp: 1".into()], ..Checkpoint::new("log", 3, [5u8; 32]) };
        assert_eq!(Checkpoint::parse_text(&cp.to_text()).unwrap(), cp);
        for bad in ["log\n3\n", "log\n03\nBQUF\n", "\n3\nBQUF\n", "log\n-1\nBQUF\n", "log\n3\nBQUF\n", "log\n3\n!!\n"] {
            assert!(Checkpoint::parse_text(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn heads_commitment_is_read_back_and_ambiguity_is_malformed() {
        let cp = Checkpoint::with_heads("log", 3, [5u8; 32], &[7u8; 32]);
        let parsed = Checkpoint::parse_text(&cp.to_text()).unwrap();
        assert_eq!(parsed.heads(), HeadsCommitment::Root([7u8; 32]));
        assert_eq!(Checkpoint::new("log", 3, [5u8; 32]).heads(), HeadsCommitment::Absent);
        let mut twice = cp.clone();
        twice.extensions.push(cp.extensions[0].clone());
        assert_eq!(twice.heads(), HeadsCommitment::Malformed);
        let bad = Checkpoint { extensions: vec!["vargate-session-heads AAAA".into()], ..cp };
        assert_eq!(bad.heads(), HeadsCommitment::Malformed);
    }
}
