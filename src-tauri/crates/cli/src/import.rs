//! `vargate log import`: JSON Lines → audit records. Two passes: the whole file is validated first, so a file
//! with any bad line imports nothing; then records are appended in large atomic batches with a progress bar.
//! Standard input (`-`) is spooled to a temporary file so that it can be read twice. Nothing given is changed
//! on the way in: a number RFC 8785 cannot keep exactly is refused, naming its line and field.

use crate::output::{count, range, safe, say};
use anyhow::{Context as _, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
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

/// The file to import: a path, or standard input spooled to a temporary file.
struct Input {
    path: PathBuf,
    /// How messages name it.
    name: String,
    _spool: Option<tempfile::NamedTempFile>,
}

impl Input {
    fn open(path: &Path) -> Result<Input> {
        if path == Path::new("-") {
            let mut spool = tempfile::NamedTempFile::new().context("creating a temporary file for standard input")?;
            std::io::copy(&mut std::io::stdin().lock(), &mut spool).context("reading standard input")?;
            return Ok(Input { path: spool.path().to_owned(), name: "<stdin>".into(), _spool: Some(spool) });
        }
        let name = path.display().to_string();
        let meta = std::fs::metadata(path).with_context(|| format!("cannot read {name}"))?;
        if meta.is_dir() {
            bail!("{name} is a directory; give a JSON Lines file, or - for standard input");
        }
        Ok(Input { path: path.to_owned(), name, _spool: None })
    }
}

/// A JSON error's message without serde's own " at line L column C", which counts lines of the one JSON text
/// and would contradict the file's line number.
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) if e.line() > 0 => text[..i].to_owned(),
        _ => text,
    }
}

/// Reads every non-blank line as a record, handing each to `each`; fails naming the first bad line.
fn for_each_record(input: &Input, mut each: impl FnMut(NewRecord) -> Result<()>) -> Result<u64> {
    let file = std::fs::File::open(&input.path).with_context(|| format!("opening {}", input.name))?;
    let mut count = 0;
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let at = format!("{}:{}", input.name, n + 1);
        let line = line.map_err(|_| anyhow::anyhow!("{at}: cannot read the line (is the file UTF-8 text?)"))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(&line)
            .map_err(|e| anyhow::anyhow!("{at}:{}: not valid JSON: {}", e.column(), json_message(&e)))?;
        if value.get("payload").is_some_and(|p| !p.is_object()) {
            bail!("{at}: payload must be a JSON object");
        }
        let parsed: Line =
            serde_json::from_value(value).map_err(|e| anyhow::anyhow!("{at}: not a record: {}", json_message(&e)))?;
        let record = parsed.into_record();
        if let Some((field, number)) = vargate_proof::jcs::first_inexact_number(&record.payload) {
            bail!(
                "{at}: payload.{field}: the number {number} is beyond 2^53 and cannot be recorded exactly (RFC 8785 \
                 numbers are IEEE doubles); send it as a string"
            );
        }
        record.validate().map_err(|e| anyhow::anyhow!("{at}: {e}"))?;
        each(record)?;
        count += 1;
    }
    Ok(count)
}

pub async fn run(store: &Store, path: &Path, tenant: &str) -> Result<()> {
    let input = Input::open(path)?;
    let mut last_of_session: HashMap<String, NewRecord> = HashMap::new();
    let total = for_each_record(&input, |r| {
        last_of_session.insert(r.session_id.clone(), r);
        Ok(())
    })?;
    if total == 0 {
        bail!("{}: no records to import", input.name);
    }
    warn_if_already_imported(store, tenant, &input.name, &last_of_session).await?;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} records ({per_sec}, {eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Parse on a blocking thread and append here; a bounded channel keeps memory flat for large files.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<NewRecord>>(4);
    let reader = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH);
        for_each_record(&input, |r| {
            batch.push(r);
            if batch.len() == BATCH {
                tx.blocking_send(std::mem::take(&mut batch)).context("the importer stopped")?;
            }
            Ok(())
        })?;
        if !batch.is_empty() {
            tx.blocking_send(batch).context("the importer stopped")?;
        }
        anyhow::Ok(input)
    });
    let mut imported = 0u64;
    let mut first_index = None;
    while let Some(batch) = rx.recv().await {
        let acks = store.append_batch(tenant, batch).await.with_context(|| match imported {
            0 => format!("importing into tenant {tenant}"),
            n => format!("appending after {}", count(n, "record", "records")),
        })?;
        first_index = first_index.or(acks.first().map(|a| a.index));
        imported += acks.len() as u64;
        bar.set_position(imported);
    }
    let input = reader.await??;
    bar.finish_and_clear();
    if imported != total {
        bail!("{} changed while importing: read {total} records, then {imported}", input.name);
    }
    let first = first_index.unwrap_or(0);
    say!(
        "imported {} into tenant {tenant} (leaf indices {})",
        count(imported, "record", "records"),
        range(first, first + imported - 1)
    );
    Ok(())
}

/// Warns when the file's last record of a session equals the log's last record of that session (same type,
/// time and payload): the file has most likely been imported before, and the log would gain duplicates.
async fn warn_if_already_imported(
    store: &Store,
    tenant: &str,
    name: &str,
    last_of_session: &HashMap<String, NewRecord>,
) -> Result<()> {
    match store.log(tenant).await {
        Ok(_) => {}
        Err(vargate_store::StoreError::UnknownTenant(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    let mut repeated = Vec::new();
    for (session, mine) in last_of_session {
        let (_, tail) = match store.session_tail(tenant, session).await {
            Ok(t) => t,
            Err(vargate_store::StoreError::UnknownSession { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        let r = &tail.record;
        if r.kind == mine.kind && r.ts == mine.ts && r.payload == mine.payload {
            repeated.push(safe(session).into_owned());
        }
    }
    if !repeated.is_empty() {
        repeated.sort();
        let shown: Vec<&str> = repeated.iter().take(5).map(String::as_str).collect();
        let more = if repeated.len() > 5 { format!(" and {} more", repeated.len() - 5) } else { String::new() };
        eprintln!(
            "warning: {name} looks already imported: for {} ({}{more}) its last record equals the one the log already ends with; importing it again appends duplicates",
            count(repeated.len() as u64, "session", "sessions"),
            shown.join(", ")
        );
    }
    Ok(())
}
