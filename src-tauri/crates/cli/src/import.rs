//! `vargate log import`: JSON Lines → audit records. Two passes: the whole file is validated first, so a file
//! with any bad line imports nothing; then records are appended in large atomic batches with a progress bar.

use anyhow::{Context as _, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use vargate_store::{NewRecord, Store};

const BATCH: usize = 4096;

/// One line of an import file. `source` defaults to "import", `decision` to "observed".
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    session_id: String,
    ts: String,
    #[serde(rename = "type")]
    kind: String,
    payload: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    decision: Option<String>,
}

impl Line {
    fn into_record(self) -> NewRecord {
        NewRecord {
            session_id: self.session_id,
            ts: self.ts,
            kind: self.kind,
            source: self.source.unwrap_or_else(|| "import".into()),
            decision: self.decision.unwrap_or_else(|| "observed".into()),
            payload: serde_json::Value::Object(self.payload),
        }
    }
}

/// Reads every non-blank line as a record, handing each to `each`; fails naming the first bad line.
fn for_each_record(path: &Path, mut each: impl FnMut(NewRecord) -> Result<()>) -> Result<u64> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut count = 0;
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let lineno = n + 1;
        let line =
            line.with_context(|| format!("{}:{lineno}: cannot read line (is the file UTF-8 text?)", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let invalid = || format!("{}:{lineno}: not a valid record", path.display());
        let value: serde_json::Value = serde_json::from_str(&line).with_context(invalid)?;
        if value.get("payload").is_some_and(|p| !p.is_object()) {
            bail!("{}: payload must be a JSON object", invalid());
        }
        let parsed: Line = serde_json::from_value(value).with_context(invalid)?;
        let record = parsed.into_record();
        record.validate().with_context(invalid)?;
        each(record)?;
        count += 1;
    }
    Ok(count)
}

pub async fn run(store: &Store, path: &Path, tenant: &str) -> Result<()> {
    let total = for_each_record(path, |_| Ok(()))?;
    if total == 0 {
        bail!("{}: no records to import", path.display());
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} records ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Parse on a blocking thread and append here; a bounded channel keeps memory flat for large files.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<NewRecord>>(4);
    let reader_path = path.to_owned();
    let reader = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH);
        for_each_record(&reader_path, |r| {
            batch.push(r);
            if batch.len() == BATCH {
                tx.blocking_send(std::mem::take(&mut batch)).context("the importer stopped")?;
            }
            Ok(())
        })?;
        if !batch.is_empty() {
            tx.blocking_send(batch).context("the importer stopped")?;
        }
        anyhow::Ok(())
    });
    let mut imported = 0u64;
    let mut first_index = None;
    while let Some(batch) = rx.recv().await {
        let acks =
            store.append_batch(tenant, batch).await.with_context(|| format!("appending after {imported} records"))?;
        first_index = first_index.or(acks.first().map(|a| a.index));
        imported += acks.len() as u64;
        bar.set_position(imported);
    }
    reader.await??;
    bar.finish_and_clear();
    if imported != total {
        bail!("{} changed while importing: read {total} records, then {imported}", path.display());
    }
    let last = first_index.unwrap_or(0) + imported - 1;
    println!("imported {imported} records into tenant {tenant} (leaf indices {}..={last})", first_index.unwrap_or(0));
    Ok(())
}
