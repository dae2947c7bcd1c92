//! `vargate export`: one session's signed evidence pack (`vargate-pack/1`), with progress on a terminal.

use crate::output::{count, safe, say};
use anyhow::{Context, Result};
use std::path::Path;
use vargate_engine::export::{Stage, export_pack};
use vargate_store::Store;

pub async fn run(store: &Store, tenant: &str, session: &str, out: &Path) -> Result<()> {
    crate::require_log(store, tenant).await?;
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let progress = |stage: Stage| {
        bar.set_message(match stage {
            Stage::Proving => "proving the session's records against a fresh checkpoint".to_owned(),
            Stage::Reporting { records } => format!("rendering the report of {}", count(records, "record", "records")),
            Stage::Signing => "signing the manifest with the log's key".to_owned(),
            Stage::Writing => "writing the pack".to_owned(),
        });
    };
    let now = vargate_engine::ingest::now();
    let pack = export_pack(store, tenant, session, &now, &progress).await;
    bar.finish_and_clear();
    let pack = pack?;
    std::fs::write(out, &pack.bytes).with_context(|| format!("writing {}", out.display()))?;
    say!(
        "wrote {} ({} bytes): {} of session {}, checkpoint of {}, {}",
        out.display(),
        pack.bytes.len(),
        count(pack.records, "record", "records"),
        safe(session),
        count(pack.checkpoint_size, "record", "records"),
        if pack.anchored { "anchored" } else { "not anchored (vargate anchor now)" }
    );
    say!("verify it offline: vargate verify {} --key \"$(vargate log key --tenant {})\"", out.display(), safe(tenant));
    Ok(())
}
