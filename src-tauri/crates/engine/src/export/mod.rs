//! Evidence packs: one session's `vargate-pack/1` zip — the `vargate-proof/3` file (anchored when the log
//! has an anchor at or below the proof's checkpoint), the PDF report built from the same records, the
//! manifest, and the manifest's signature by the log's key. The app, `vargate export` and a headless server
//! all call [`export_pack`].

mod controls;
mod report_data;

use vargate_proof::pack::{self, Draft};
use vargate_store::{Store, StoreError};

pub use report_data::{record_summary, report_for};

/// Where an export is; for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the session's records and proving them against a fresh checkpoint.
    Proving,
    /// Rendering the report of `records` records.
    Reporting { records: u64 },
    /// Signing the manifest with the log's key.
    Signing,
    /// Writing the zip.
    Writing,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("rendering the report: {0}")]
    Report(String),
    #[error("building the pack: {0}")]
    Pack(String),
}

/// A finished pack and what is in it.
#[derive(Debug, Clone)]
pub struct ExportedPack {
    pub bytes: Vec<u8>,
    pub records: u64,
    pub checkpoint_size: u64,
    pub anchored: bool,
    pub manifest_sha256: String,
}

/// Builds the evidence pack of one session. `created_at` is RFC 3339 (the caller's clock, so that tests and
/// reproducible builds can fix it).
pub async fn export_pack(
    store: &Store,
    tenant: &str,
    session_id: &str,
    created_at: &str,
    progress: &(dyn Fn(Stage) + Sync),
) -> Result<ExportedPack, ExportError> {
    progress(Stage::Proving);
    let mut proof = store.session_proof(tenant, session_id).await?;
    let checkpoint_size = vargate_proof::Checkpoint::read_unverified(&proof.checkpoint).map_or(0, |cp| cp.size);
    proof.anchor = store.anchor_section(tenant, checkpoint_size).await?;
    let anchored = proof.anchor.is_some();
    progress(Stage::Reporting { records: proof.entries.len() as u64 });
    let report = report_for(&proof, created_at).map_err(ExportError::Report)?;
    let pdf = vargate_report::render(&report).map_err(|e| ExportError::Report(e.to_string()))?;
    progress(Stage::Signing);
    let draft = Draft::new(&proof, pdf, created_at).map_err(|e| ExportError::Pack(e.to_string()))?;
    let signature = store.sign_manifest(tenant, draft.manifest_bytes()).await?;
    progress(Stage::Writing);
    let bytes = draft.finish(&signature).map_err(|e| ExportError::Pack(e.to_string()))?;
    Ok(ExportedPack {
        bytes,
        records: proof.entries.len() as u64,
        checkpoint_size,
        anchored,
        manifest_sha256: hex::encode(pack::sha256(draft.manifest_bytes())),
    })
}
