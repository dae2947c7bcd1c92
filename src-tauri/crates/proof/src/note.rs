//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 signatures (signature type 0x01).
//!
//! A note is UTF-8 text ending in a newline, a blank line, then one line per signature:
//! `— <key name> <base64(key id[4] ‖ signature[64])>`. The key id is the first four bytes of
//! SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key). Verifier keys are written `name+hex(key id)+base64(0x01 ‖ key)`.
//! Signatures by keys the verifier does not know are ignored (they may be witness cosignatures); a signature
//! that claims a known key but does not verify makes the whole note invalid, as in the Go reference.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

/// Signature algorithm byte for Ed25519 in C2SP signed notes.
const ALG_ED25519: u8 = 0x01;
/// The Go reference rejects notes with more signatures than this; so do we, to bound work on hostile input.
const MAX_SIGNATURES: usize = 100;
const SIG_PREFIX: &str = "\u{2014} ";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(&'static str),
    #[error("malformed signing key: {0}")]
    MalformedSigningKey(&'static str),
    #[error("key name {0:?} is not valid (it must be non-empty and contain no spaces, newlines or '+')")]
    InvalidKeyName(String),
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    #[error("note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    #[error("signature by {name} (key id {key_id:08x}) does not verify")]
    InvalidSignature { name: String, key_id: u32 },
    #[error("note is not signed by any trusted key")]
    UnverifiedNote,
}

fn valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// C2SP key id of an Ed25519 key: SHA-256(name ‖ '\n' ‖ 0x01 ‖ key)[..4], big-endian.
pub fn key_id(name: &str, public_key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(public_key.as_bytes());
    let digest: [u8; 32] = h.finalize().into();
    let [a, b, c, d, ..] = digest;
    u32::from_be_bytes([a, b, c, d])
}

/// A public key that can check note signatures, parsed from or rendered as a C2SP verifier-key string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    pub name: String,
    pub key_id: u32,
    pub key: VerifyingKey,
}

impl NoteVerifier {
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, NoteError> {
        if !valid_key_name(name) {
            return Err(NoteError::InvalidKeyName(name.to_owned()));
        }
        Ok(NoteVerifier { name: name.to_owned(), key_id: key_id(name, &key), key })
    }

    /// Parses `name+hex8(key id)+base64(0x01 ‖ key)` and checks that the key id matches the key.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::MalformedVerifierKey("expected name+keyid+key"));
        };
        if !valid_key_name(name) {
            return Err(NoteError::InvalidKeyName(name.to_owned()));
        }
        let id = parse_key_id_hex(id_hex).ok_or(NoteError::MalformedVerifierKey("key id is not 8 hex digits"))?;
        let raw = B64.decode(key_b64).map_err(|_| NoteError::MalformedVerifierKey("key is not base64"))?;
        let (alg, key) = raw.split_first().ok_or(NoteError::MalformedVerifierKey("key is empty"))?;
        if *alg != ALG_ED25519 {
            return Err(NoteError::MalformedVerifierKey("key type is not Ed25519 (0x01)"));
        }
        let key: [u8; 32] =
            key.try_into().map_err(|_| NoteError::MalformedVerifierKey("Ed25519 key is not 32 bytes"))?;
        let key =
            VerifyingKey::from_bytes(&key).map_err(|_| NoteError::MalformedVerifierKey("invalid Ed25519 point"))?;
        let verifier = NoteVerifier::new(name, key)?;
        if verifier.key_id != id {
            return Err(NoteError::MalformedVerifierKey("key id does not match the key"));
        }
        Ok(verifier)
    }

    /// The C2SP verifier-key string.
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id, B64.encode(raw))
    }

    /// SHA-256 of the public key, hex: the fingerprint shown to people.
    pub fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(self.key.as_bytes()))
    }
}

fn parse_key_id_hex(s: &str) -> Option<u32> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// An Ed25519 private key with its note key name.
#[derive(Clone)]
pub struct NoteSigner {
    name: String,
    key: SigningKey,
    verifier: NoteVerifier,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("NoteSigner").field("name", &self.name).field("key_id", &self.verifier.key_id).finish()
    }
}

impl NoteSigner {
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        let key = SigningKey::from_bytes(&seed);
        let verifier = NoteVerifier::new(name, key.verifying_key())?;
        Ok(NoteSigner { name: name.to_owned(), key, verifier })
    }

    /// Parses the Go `x/mod/sumdb/note` private key string `PRIVATE+KEY+name+hex8(id)+base64(0x01 ‖ seed)`.
    pub fn parse(skey: &str) -> Result<Self, NoteError> {
        let rest = skey.strip_prefix("PRIVATE+KEY+").ok_or(NoteError::MalformedSigningKey("missing PRIVATE+KEY+"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(NoteError::MalformedSigningKey("expected name+keyid+key"));
        };
        let id = parse_key_id_hex(id_hex).ok_or(NoteError::MalformedSigningKey("key id is not 8 hex digits"))?;
        let raw = B64.decode(key_b64).map_err(|_| NoteError::MalformedSigningKey("key is not base64"))?;
        let (alg, seed) = raw.split_first().ok_or(NoteError::MalformedSigningKey("key is empty"))?;
        if *alg != ALG_ED25519 {
            return Err(NoteError::MalformedSigningKey("key type is not Ed25519 (0x01)"));
        }
        let seed: [u8; 32] = seed.try_into().map_err(|_| NoteError::MalformedSigningKey("seed is not 32 bytes"))?;
        let signer = NoteSigner::from_seed(name, seed)?;
        if signer.verifier.key_id != id {
            return Err(NoteError::MalformedSigningKey("key id does not match the key"));
        }
        Ok(signer)
    }

    /// The private key string (Go `x/mod` format). Secret: store it only in a keychain.
    pub fn to_skey(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        format!("PRIVATE+KEY+{}+{:08x}+{}", self.name, self.verifier.key_id, B64.encode(raw))
    }

    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// Signs `text` (which must be a valid note text: UTF-8, newline-terminated) and returns the signed note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        let sig = self.key.sign(text.as_bytes());
        let mut blob = self.verifier.key_id.to_be_bytes().to_vec();
        blob.extend_from_slice(&sig.to_bytes());
        Ok(format!("{text}\n{SIG_PREFIX}{} {}\n", self.name, B64.encode(blob)))
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("text does not end in a newline"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Malformed("text contains control characters"));
    }
    Ok(())
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: u32,
    pub signature: Vec<u8>,
}

/// A parsed, not yet verified, signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub text: String,
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    pub fn parse(signed: &str) -> Result<Note, NoteError> {
        // The text ends at the *last* blank line: signature lines never contain "\n\n".
        let split = signed.rfind("\n\n").ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let (text, sigs) = signed.split_at(split + 1);
        let sigs = sigs.strip_prefix('\n').ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        check_text(text)?;
        if !sigs.ends_with('\n') {
            return Err(NoteError::Malformed("signature block does not end in a newline"));
        }
        let mut signatures = Vec::new();
        for line in sigs.split_terminator('\n') {
            if signatures.len() >= MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            let rest = line
                .strip_prefix(SIG_PREFIX)
                .ok_or(NoteError::Malformed("signature line does not start with an em dash"))?;
            let (name, b64) = rest.split_once(' ').ok_or(NoteError::Malformed("signature line lacks a signature"))?;
            if !valid_key_name(name) {
                return Err(NoteError::Malformed("signature line has an invalid key name"));
            }
            let blob = B64.decode(b64).map_err(|_| NoteError::Malformed("signature is not base64"))?;
            let (id, signature) = blob.split_at_checked(4).ok_or(NoteError::Malformed("signature too short"))?;
            let id: [u8; 4] = id.try_into().map_err(|_| NoteError::Malformed("signature too short"))?;
            let key_id = u32::from_be_bytes(id);
            signatures.push(NoteSignature { name: name.to_owned(), key_id, signature: signature.to_vec() });
        }
        if signatures.is_empty() {
            return Err(NoteError::Malformed("note has no signatures"));
        }
        Ok(Note { text: text.to_owned(), signatures })
    }

    /// Checks the signatures against the known keys. Returns the known keys that signed; fails if none did or
    /// if any signature that names a known key does not verify.
    pub fn verify<'a>(&self, known: &'a [NoteVerifier]) -> Result<Vec<&'a NoteVerifier>, NoteError> {
        let mut verified = Vec::new();
        for sig in &self.signatures {
            let Some(key) = known.iter().find(|k| k.name == sig.name && k.key_id == sig.key_id) else {
                continue;
            };
            let ok = Signature::from_slice(&sig.signature)
                .map(|s| key.key.verify(self.text.as_bytes(), &s).is_ok())
                .unwrap_or(false);
            if !ok {
                return Err(NoteError::InvalidSignature { name: sig.name.clone(), key_id: sig.key_id });
            }
            if !verified.contains(&key) {
                verified.push(key);
            }
        }
        if verified.is_empty() { Err(NoteError::UnverifiedNote) } else { Ok(verified) }
    }
}

/// Parses and verifies a signed note in one step, returning its text.
pub fn open(signed: &str, known: &[NoteVerifier]) -> Result<String, NoteError> {
    let note = Note::parse(signed)?;
    note.verify(known)?;
    Ok(note.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_open_round_trips() {
        let s = NoteSigner::from_seed("example.org/log", [7u8; 32]).unwrap();
        let signed = s.sign("hello\n").unwrap();
        assert_eq!(open(&signed, std::slice::from_ref(s.verifier())).unwrap(), "hello\n");
        assert_eq!(NoteVerifier::parse(&s.verifier().to_vkey()).unwrap(), *s.verifier());
        assert_eq!(NoteSigner::parse(&s.to_skey()).unwrap().verifier(), s.verifier());
    }

    #[test]
    fn rejects_bad_text_and_names() {
        let s = NoteSigner::from_seed("log", [1u8; 32]).unwrap();
        assert!(s.sign("no newline").is_err());
        assert!(s.sign("bell\u{7}\n").is_err());
        assert!(NoteSigner::from_seed("has space", [1u8; 32]).is_err());
        assert!(NoteSigner::from_seed("a+b", [1u8; 32]).is_err());
    }

    #[test]
    fn debug_does_not_leak_the_key() {
        let s = NoteSigner::from_seed("log", [9u8; 32]).unwrap();
        let dbg = format!("{s:?}");
        assert!(!dbg.contains(&B64.encode([9u8; 32])) && !dbg.contains("0909"));
    }
}
