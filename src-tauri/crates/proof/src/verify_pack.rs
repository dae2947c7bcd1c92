//! Offline verification of an evidence pack: the archive, the manifest's signature by the log's key, every
//! file's hash, that the manifest and the proof are of the same session and log, then everything
//! [`crate::verify_proof_file_with`] checks of `proof.json`. A damaged or altered pack is a verdict with the
//! failing check named, never an error: only an input too large to read is one.

use crate::note::{Note, NoteVerifier};
use crate::pack::{self, MANIFEST, Manifest, PROOF, REPORT, SIGNATURE};
use crate::verify::{AnchorCheck, Check, Subject, Verdict, VerifyError, verify_with_subject};
use std::collections::BTreeMap;

/// Verifies a `vargate-pack/1` zip. `pinned` and `anchor_check` are as for [`crate::verify_proof_file_with`]; without
/// `pinned`, the manifest's signature is checked against the key the pack carries, and the verdict's
/// `origin_verified` is false.
pub fn verify_pack(
    bytes: &[u8],
    pinned: Option<&NoteVerifier>,
    anchor_check: Option<&dyn AnchorCheck>,
) -> Result<Verdict, VerifyError> {
    if bytes.len() > pack::MAX_PACK_BYTES {
        return Err(VerifyError::TooLarge { size: bytes.len() });
    }
    let mut checks = Vec::new();
    let stored = match pack::read_stored_unchecked(bytes) {
        Ok(stored) => stored,
        Err(e) => {
            checks.push(Check::fail("pack archive", e.to_string()));
            return Ok(Verdict { origin_verified: false, checks });
        }
    };
    let files = &stored.files;
    // The archive's checks hash every file; proof.json's check every record. Neither needs the other's result,
    // so they run side by side. A file that fails its zip checksum fails the pack alone, as it would have had
    // the checksums been checked first (the proof's result is then dropped).
    let (archive, proof) = std::thread::scope(|scope| {
        let archive = scope.spawn(|| stored.check_crcs().map(|()| check_archive(bytes, files, pinned)));
        let proof = match files.get(PROOF) {
            Some(proof) => verify_with_subject(proof, pinned, anchor_check).map_err(|e| Verdict {
                origin_verified: false,
                checks: vec![Check::fail("proof file", e.to_string())],
            }),
            None => Err(Verdict {
                origin_verified: false,
                checks: vec![Check::fail("proof file", "the pack has no proof.json")],
            }),
        };
        (archive.join(), proof)
    });
    let (archive_checks, manifest) = match archive {
        Ok(Ok(checked)) => checked,
        Ok(Err(e)) => {
            checks.push(Check::fail("pack archive", e.to_string()));
            return Ok(Verdict { origin_verified: false, checks });
        }
        Err(_) => (vec![Check::fail("pack archive", "the archive's checks stopped unexpectedly")], None),
    };
    checks.extend(archive_checks);
    if let Some(m) = &manifest {
        let subject = proof.as_ref().map(|(_, s)| s).map_err(|_| "proof.json cannot be read".to_owned());
        checks.push(Check::of("manifest session", subject.and_then(|s| same_session(s, m))));
    }
    let proof = match proof {
        Ok((verdict, _)) => verdict,
        Err(verdict) => verdict,
    };
    checks.extend(proof.checks);
    let origin_verified = proof.origin_verified && checks.iter().all(Check::passed);
    Ok(Verdict { origin_verified, checks })
}

/// The archive's layout, the manifest, its signature and every file's hash; the manifest when it is readable.
fn check_archive(
    bytes: &[u8],
    files: &BTreeMap<String, &[u8]>,
    pinned: Option<&NoteVerifier>,
) -> (Vec<Check>, Option<Manifest>) {
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    let layout = pack::check_layout(bytes, files)
        .map(|()| format!("{} files, stored in the pack layout: {}", files.len(), names.join(", ")));
    let mut checks = vec![Check::of("pack archive", layout)];
    let manifest = read_manifest(files);
    checks.push(Check::of("manifest", manifest.as_ref().map(describe).map_err(Clone::clone)));
    let Ok(manifest) = manifest else {
        return (checks, None);
    };
    checks.push(Check::of("manifest signature", manifest_signature(files, &manifest, pinned)));
    checks.push(Check::of("file hashes", file_hashes(files, &manifest)));
    (checks, Some(manifest))
}

fn read_manifest(files: &BTreeMap<String, &[u8]>) -> Result<Manifest, String> {
    let bytes = files.get(MANIFEST).ok_or("the pack has no manifest.json")?;
    let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| format!("manifest.json: {e}"))?;
    if manifest.format != pack::PACK_FORMAT {
        return Err(format!("manifest format {:?} is not {:?}", manifest.format, pack::PACK_FORMAT));
    }
    if manifest.to_bytes() != *bytes {
        return Err("manifest.json is not in its canonical (RFC 8785) form".to_owned());
    }
    Ok(manifest)
}

fn describe(m: &Manifest) -> String {
    format!("{} of session {}/{}, made {}", m.format, m.tenant, m.session_id, m.created_at)
}

fn manifest_signature(
    files: &BTreeMap<String, &[u8]>,
    manifest: &Manifest,
    pinned: Option<&NoteVerifier>,
) -> Result<String, String> {
    let key = match pinned {
        Some(k) => k.clone(),
        None => NoteVerifier::parse(&manifest.log_vkey).map_err(|e| format!("the manifest's log_vkey: {e}"))?,
    };
    let signed = files.get(SIGNATURE).ok_or("the pack has no manifest.sig")?;
    let signed = std::str::from_utf8(signed).map_err(|_| "manifest.sig is not UTF-8 text")?;
    let note = Note::parse(signed).map_err(|e| format!("manifest.sig: {e}"))?;
    note.verify(std::slice::from_ref(&key)).map_err(|e| format!("manifest.sig: {e}"))?;
    if !note.signatures.iter().any(|s| s.name == key.name && s.key_id == key.key_id) {
        return Err(format!("manifest.sig has no signature by {} ({:08x})", key.name, key.key_id));
    }
    let bytes = files.get(MANIFEST).copied().unwrap_or_default();
    let digest = pack::sha256(bytes);
    if note.text != pack::manifest_note_text(&digest) {
        return Err(format!("the signed text is not for this manifest (SHA-256 {})", hex::encode(digest)));
    }
    Ok(format!("{} ({:08x}) signed manifest SHA-256 {}", key.name, key.key_id, hex::encode(digest)))
}

fn file_hashes(files: &BTreeMap<String, &[u8]>, manifest: &Manifest) -> Result<String, String> {
    for required in [PROOF, REPORT] {
        if !manifest.files.contains_key(required) {
            return Err(format!("the manifest does not list {required}"));
        }
    }
    for (name, digest) in &manifest.files {
        let bytes = files.get(name).ok_or(format!("{name} is listed but not in the pack"))?;
        let actual = hex::encode(pack::sha256(bytes));
        if actual != digest.sha256 || bytes.len() as u64 != digest.size {
            return Err(format!(
                "{name} has SHA-256 {actual} ({} bytes), the manifest says {} ({} bytes)",
                bytes.len(),
                digest.sha256,
                digest.size
            ));
        }
    }
    let uncovered: Vec<&str> = files
        .keys()
        .map(String::as_str)
        .filter(|n| *n != MANIFEST && *n != SIGNATURE && !manifest.files.contains_key(*n))
        .collect();
    if !uncovered.is_empty() {
        return Err(format!("not covered by the manifest: {}", uncovered.join(", ")));
    }
    Ok(format!("{} files match the manifest", manifest.files.len()))
}

/// The manifest must name the session and log that `proof.json` proves.
fn same_session(proof: &Subject, m: &Manifest) -> Result<String, String> {
    if proof.tenant != m.tenant || proof.session_id != m.session_id {
        return Err(format!(
            "the manifest is for {}/{}, proof.json for {}/{}",
            m.tenant, m.session_id, proof.tenant, proof.session_id
        ));
    }
    if proof.log_vkey != m.log_vkey {
        return Err("the manifest and proof.json name different log keys".to_owned());
    }
    Ok(format!("manifest and proof.json are both of {}/{}", m.tenant, m.session_id))
}
