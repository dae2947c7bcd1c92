//! The evidence pack (`vargate-pack/1`): one zip file an auditor receives per session.
//!
//! It holds `proof.json` (a `vargate-proof/3` file), `report.pdf`, `manifest.json` (the RFC 8785 form of a
//! [`Manifest`]: SHA-256 and size of every other file, and whose pack it is) and `manifest.sig` (a C2SP signed
//! note by the **log's own key**, the one that signs its checkpoints, whose text commits to the manifest's
//! SHA-256; see [`manifest_note_text`]). Specified in `docs/proof-format.md` §8; change both together.
//!
//! Zip handling is in memory: nothing here touches a file system. The reader faces untrusted bytes, so it
//! bounds the number of files and every file's size before inflating anything.

use crate::jcs;
use crate::merkle::Hash;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Cursor, Write};

pub const PACK_FORMAT: &str = "vargate-pack/1";
pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
pub const PROOF: &str = "proof.json";
pub const REPORT: &str = "report.pdf";
/// The largest pack read; each file inside is bounded by [`crate::MAX_PROOF_FILE_BYTES`] too.
pub const MAX_PACK_BYTES: usize = 512 << 20;
/// A pack holds four files; a few more are tolerated (and reported), thousands are not read.
const MAX_FILES: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`PACK_FORMAT`].
    pub format: String,
    pub tenant: String,
    pub session_id: String,
    /// The C2SP verifier key of the log, which signs `manifest.sig` as well as the checkpoints.
    pub log_vkey: String,
    /// RFC 3339 time the pack was made.
    pub created_at: String,
    /// Every file of the pack but the manifest and its signature, by name.
    pub files: BTreeMap<String, FileDigest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDigest {
    /// Lowercase hex SHA-256 of the file's bytes.
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    #[error("not a readable zip archive: {0}")]
    Archive(String),
    #[error("{0}")]
    Layout(String),
}

impl Manifest {
    pub fn new(tenant: &str, session_id: &str, log_vkey: &str, created_at: &str, files: &[(&str, &[u8])]) -> Self {
        Manifest {
            format: PACK_FORMAT.to_owned(),
            tenant: tenant.to_owned(),
            session_id: session_id.to_owned(),
            log_vkey: log_vkey.to_owned(),
            created_at: created_at.to_owned(),
            files: files
                .iter()
                .map(|(name, bytes)| {
                    let digest = FileDigest { sha256: hex::encode(Sha256::digest(bytes)), size: bytes.len() as u64 };
                    ((*name).to_owned(), digest)
                })
                .collect(),
        }
    }

    /// The manifest's bytes in the pack: its RFC 8785 canonical JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).unwrap_or_default();
        jcs::to_canonical(&value).unwrap_or_default()
    }
}

/// A pack before its manifest is signed: the caller signs [`Draft::manifest_bytes`] with the log's key (the
/// store does, asynchronously) and hands the signed note to [`Draft::finish`].
#[derive(Debug, Clone)]
pub struct Draft {
    proof_json: Vec<u8>,
    report: Vec<u8>,
    manifest: Vec<u8>,
}

impl Draft {
    pub fn new(proof: &crate::SessionProof, report_pdf: Vec<u8>, created_at: &str) -> Result<Draft, PackError> {
        let proof_json = serde_json::to_vec(proof).map_err(|e| PackError::Layout(e.to_string()))?;
        let manifest = Manifest::new(
            &proof.session.tenant,
            &proof.session.session_id,
            &proof.log_vkey,
            created_at,
            &[(PROOF, &proof_json), (REPORT, &report_pdf)],
        );
        Ok(Draft { proof_json, report: report_pdf, manifest: manifest.to_bytes() })
    }

    /// The bytes of `manifest.json`, to be signed (see [`manifest_note_text`]).
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest
    }

    /// The zip, with `manifest.sig` the signed note over the manifest.
    pub fn finish(&self, signature: &str) -> Result<Vec<u8>, PackError> {
        write_zip(&[
            (MANIFEST, &self.manifest),
            (SIGNATURE, signature.as_bytes()),
            (PROOF, &self.proof_json),
            (REPORT, &self.report),
        ])
    }
}

/// The text `manifest.sig` signs: a fixed first line, so that it can never be read as a checkpoint (whose
/// second line is a tree size), then the manifest's SHA-256.
pub fn manifest_note_text(manifest_sha256: &Hash) -> String {
    format!("{PACK_FORMAT} manifest\nsha256 {}\n", hex::encode(manifest_sha256))
}

pub fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

/// Writes the pack's files into a zip, in the order given: stored (not compressed), with the DOS epoch as
/// every timestamp and no extra fields, so the same files always give the same bytes. That makes the layout
/// checkable: a verifier rebuilds it from the files and compares, so no byte of the archive goes unchecked
/// (zip headers hold fields no hash covers). The PDF is compressed inside already.
pub fn write_zip(files: &[(&str, &[u8])]) -> Result<Vec<u8>, PackError> {
    // Room for the files and their headers up front: growing a buffer of megabytes by doubling copies it.
    let capacity = files.iter().map(|(n, b)| b.len() + 2 * n.len() + 128).sum::<usize>() + 64;
    let cursor = zip_into(Cursor::new(Vec::with_capacity(capacity)), files)?;
    Ok(cursor.into_inner())
}

/// The archive [`write_zip`] makes, written into `target`.
fn zip_into<W: Write + std::io::Seek>(target: W, files: &[(&str, &[u8])]) -> Result<W, PackError> {
    let mut zip = zip::ZipWriter::new(target);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .large_file(false);
    for (name, bytes) in files {
        zip.start_file(*name, options).map_err(|e| PackError::Archive(e.to_string()))?;
        zip.write_all(bytes).map_err(|e| PackError::Archive(e.to_string()))?;
    }
    zip.finish().map_err(|e| PackError::Archive(e.to_string()))
}

/// Reads every file of a pack, refusing what a pack never holds: directories, paths, duplicate names, more
/// than a few files, compressed files, or a file larger than the limit. See [`read_stored`].
pub fn read_zip(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, PackError> {
    Ok(read_stored(bytes)?.into_iter().map(|(name, content)| (name, content.to_vec())).collect())
}

/// [`read_zip`] without copying: a pack stores its files uncompressed, so each file is the slice of the
/// archive its header points at, checked against the header's CRC-32.
pub fn read_stored(bytes: &[u8]) -> Result<BTreeMap<String, &[u8]>, PackError> {
    let stored = read_stored_unchecked(bytes)?;
    stored.check_crcs()?;
    Ok(stored.files)
}

/// A pack's files as stored, their CRC-32s not yet checked (see [`StoredFiles::check_crcs`]): the verifier
/// checks them beside its other work instead of before it.
pub struct StoredFiles<'a> {
    pub files: BTreeMap<String, &'a [u8]>,
    /// Each file's CRC-32 as its header gives it.
    crcs: BTreeMap<String, u32>,
}

impl std::fmt::Debug for StoredFiles<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.files.iter().map(|(name, content)| (name, content.len()))).finish()
    }
}

impl StoredFiles<'_> {
    /// Every file against its header's CRC-32, in name order; the first that differs is the error.
    pub fn check_crcs(&self) -> Result<(), PackError> {
        for (name, content) in &self.files {
            if self.crcs.get(name).is_none_or(|crc| crc32fast::hash(content) != *crc) {
                return Err(PackError::Archive(format!("{name}: the data does not match its CRC-32 checksum")));
            }
        }
        Ok(())
    }
}

/// [`read_stored`] but for the CRC-32s, which the result checks on demand.
pub fn read_stored_unchecked(bytes: &[u8]) -> Result<StoredFiles<'_>, PackError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| PackError::Archive(e.to_string()))?;
    if archive.len() > MAX_FILES {
        return Err(PackError::Layout(format!("{} files; a pack holds a handful", archive.len())));
    }
    let (mut files, mut crcs) = (BTreeMap::new(), BTreeMap::new());
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i).map_err(|e| PackError::Archive(e.to_string()))?;
        let name = file.name().map_err(|e| PackError::Archive(e.to_string()))?.into_owned();
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') || file.is_dir() {
            return Err(PackError::Layout(format!("{name:?} is not a plain file name")));
        }
        if file.compression() != zip::CompressionMethod::Stored || file.size() != file.compressed_size() {
            return Err(PackError::Layout(format!("{name} is compressed; a pack stores its files as they are")));
        }
        let limit = crate::MAX_PROOF_FILE_BYTES as u64;
        if file.size() > limit {
            return Err(PackError::Layout(format!("{name} is larger than {limit} bytes")));
        }
        let content = file
            .data_start()
            .and_then(|start| Some(start..start.checked_add(file.size())?))
            .and_then(|range| bytes.get(usize::try_from(range.start).ok()?..usize::try_from(range.end).ok()?))
            .ok_or_else(|| PackError::Archive(format!("{name}: its data lies outside the archive")))?;
        crcs.insert(name.clone(), file.crc32());
        if files.insert(name.clone(), content).is_some() {
            return Err(PackError::Layout(format!("{name} appears twice")));
        }
    }
    Ok(StoredFiles { files, crcs })
}

/// Whether `bytes` are exactly the archive [`write_zip`] makes of the pack's four files in their order;
/// `Err` says where they differ.
pub fn check_layout<F: AsRef<[u8]>>(bytes: &[u8], files: &BTreeMap<String, F>) -> Result<(), String> {
    let mut ordered = Vec::new();
    for name in [MANIFEST, SIGNATURE, PROOF, REPORT] {
        let content = files.get(name).ok_or(format!("{name} is missing"))?;
        ordered.push((name, content.as_ref()));
    }
    if files.len() != ordered.len() {
        return Err(format!("{} files, a pack has {}", files.len(), ordered.len()));
    }
    if zip_into(crate::zip_compare::Comparison::new(bytes), &ordered).is_ok_and(|c| c.matches()) {
        return Ok(());
    }
    // Only a pack that fails is built, to say where it differs.
    let canonical = write_zip(&ordered).map_err(|e| e.to_string())?;
    if canonical == bytes {
        return Ok(());
    }
    match canonical.iter().zip(bytes).position(|(a, b)| a != b) {
        None => Err(format!("{} bytes where the pack's files make {}", bytes.len(), canonical.len())),
        Some(at) => Err(format!("byte {at} differs from the layout of the pack's files (zip headers no hash covers)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_round_trips_and_is_deterministic() {
        let files: [(&str, &[u8]); 2] = [("a.json", b"{}"), ("b.pdf", b"%PDF-1.7 ...")];
        let one = write_zip(&files).unwrap();
        assert_eq!(one, write_zip(&files).unwrap());
        let back = read_zip(&one).unwrap();
        assert_eq!(back.get("b.pdf").map(Vec::as_slice), Some(&b"%PDF-1.7 ..."[..]));
    }

    /// The layout check compares without building the archive; it must see every byte, headers included,
    /// and any byte changed anywhere.
    #[test]
    fn the_layout_comparison_sees_every_byte() {
        let proof = vec![b'p'; 5_000];
        let report = vec![b'r'; 4_500];
        let files: [(&str, &[u8]); 4] =
            [(MANIFEST, b"{\"m\":1}"), (SIGNATURE, b"sig"), (PROOF, &proof), (REPORT, &report)];
        let zip = write_zip(&files).unwrap();
        let compare = |bytes: &[u8]| zip_into(crate::zip_compare::Comparison::new(bytes), &files).unwrap().matches();
        assert!(compare(&zip));
        for i in 0..zip.len() {
            let mut flipped = zip.clone();
            flipped[i] ^= 0x20;
            assert!(!compare(&flipped), "byte {i} of {}", zip.len());
        }
        assert!(!compare(&zip[..zip.len() - 1]));
        assert!(!compare(&[zip.as_slice(), b"x"].concat()));
        let map: BTreeMap<String, &[u8]> = files.iter().map(|(n, b)| (n.to_string(), *b)).collect();
        assert_eq!(check_layout(&zip, &map), Ok(()));
        let mut flipped = zip.clone();
        flipped[3] ^= 1;
        assert!(check_layout(&flipped, &map).unwrap_err().starts_with("byte 3 differs"));
    }

    #[test]
    fn hostile_archives_are_refused() {
        assert!(read_zip(b"not a zip").is_err());
        assert!(read_zip(&write_zip(&[("../x", b"1")]).unwrap()).is_err());
        assert!(read_zip(&write_zip(&[("d/x", b"1")]).unwrap()).is_err());
        let many: Vec<(String, Vec<u8>)> = (0..20).map(|i| (format!("f{i}"), vec![])).collect();
        let refs: Vec<(&str, &[u8])> = many.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        assert!(read_zip(&write_zip(&refs).unwrap()).is_err());
    }

    #[test]
    fn manifest_bytes_are_canonical_and_the_note_text_is_no_checkpoint() {
        let m = Manifest::new("acme", "s1", "k", "2026-12-01T00:00:00Z", &[("proof.json", b"{}")]);
        let bytes = m.to_bytes();
        assert!(bytes.starts_with(br#"{"created_at":"#));
        let back: Manifest = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, m);
        let text = manifest_note_text(&sha256(&bytes));
        assert!(crate::Checkpoint::parse_text(&text).is_err());
    }
}
