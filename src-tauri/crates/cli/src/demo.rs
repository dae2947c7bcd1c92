//! `vargate demo`: the whole loop with no API key. Starts the built-in simulator, creates governed agents and
//! sessions through the client, ingests every event into the local audit log (PII redacted and sealed),
//! decides on every tool call that waits on Vargate with the policy bundle and governance profile (the
//! shipped ones unless given), interrupts a session whose observed behaviour turns dangerous, prints the
//! timeline as it grows, and ends by writing a signed evidence pack per session that `vargate verify` accepts.

use anyhow::{Context as _, Result, bail};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use vargate_engine::demo::{self, Demo};
use vargate_engine::export::export_pack;
use vargate_engine::{ApprovalConfig, Approvals, Governor, PolicySet};
use vargate_store::{Store, TimelineFilter};

use crate::output::{count, safe, say};

use vargate_engine::demo::TENANT;

pub async fn run(store: &Store, out: &Path, drop_every: Option<usize>, policies: PolicySet) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let demo = Arc::new(Demo::start(drop_every, Duration::ZERO).await.context("starting the demo")?);
    let drops = drop_every.map_or_else(
        || "never dropped".to_owned(),
        |n| format!("dropped every {}", count(n as u64, "event", "events")),
    );
    say!("simulator at {} (streams {drops})", demo.base_url());
    let active = policies.active();
    say!(
        "policy bundle {} with profile {}",
        active.bundle.hash().get(..12).unwrap_or_default(),
        safe(&active.profile.name)
    );
    // The demo's reviewer approves opening files in the editor through the queue's API (recorded as the
    // approver, channel "app") and leaves everything else to expire, so both outcomes show.
    let config = ApprovalConfig { timeout: Duration::from_secs(3), ..ApprovalConfig::default() };
    let approvals = Arc::new(Approvals::new(store.clone(), config));
    let reviewer = tokio::spawn(demo::approve_editor_requests(approvals.clone()));
    let governor = Arc::new(Governor::new(Arc::new(policies), store.clone()).with_approvals(approvals));

    let mut tasks = Vec::new();
    for spec in demo::SESSIONS {
        let session_id = demo.create(spec).await?;
        say!("{:<12} session {} (scenario {})", spec.label, safe(&session_id), spec.scenario);
        let (demo, store, governor, id) = (demo.clone(), store.clone(), governor.clone(), session_id.clone());
        let task = tokio::spawn(async move { demo.drive(&store, governor, &id, spec.turns).await });
        tasks.push((spec.label, session_id, task));
    }

    let watched: Vec<(&str, String)> = tasks.iter().map(|(l, id, _)| (*l, id.clone())).collect();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let printer = tokio::spawn(live_timeline(store.clone(), watched, stopped));

    let mut results = Vec::new();
    for (label, session_id, task) in tasks {
        results.push((label, session_id, task.await?));
    }
    let _ = stop.send(true);
    printer.await??;
    reviewer.abort();

    let mut failures = 0u64;
    for (label, session_id, result) in results {
        match result {
            Ok(()) => {}
            Err(e) => {
                failures += 1;
                eprintln!("{label}: {}", crate::output::one_line(&anyhow::Error::new(e)));
                continue;
            }
        }
        let pack = export_pack(store, TENANT, &session_id, &vargate_engine::ingest::now(), &|_| {}).await?;
        let path = out.join(format!("{label}.pack.zip"));
        std::fs::write(&path, &pack.bytes)?;
        let verdict = vargate_engine::verification::verify_bytes(&std::fs::read(&path)?, None)?;
        say!(
            "{label:<12} {} → {} ({})",
            count(pack.records, "record", "records"),
            path.display(),
            if verdict.passed() { "verifies" } else { "DOES NOT VERIFY" }
        );
        if !verdict.passed() {
            failures += 1;
        }
    }
    if let Some(demo) = Arc::into_inner(demo) {
        demo.shutdown().await;
    }
    if failures > 0 {
        bail!("{} failed", count(failures, "demo session", "demo sessions"));
    }
    say!(
        "check any of them offline: vargate verify {}/risky-bash.pack.zip --key \"$(vargate log key --tenant {TENANT})\"",
        out.display()
    );
    Ok(())
}

/// Prints each session's new records as they are appended, until told to stop (then once more).
async fn live_timeline(
    store: Store,
    sessions: Vec<(&'static str, String)>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Result<()> {
    let mut after: Vec<Option<u64>> = vec![None; sessions.len()];
    loop {
        let last_round = *stop.borrow();
        for ((label, id), after) in sessions.iter().zip(after.iter_mut()) {
            let filter = TimelineFilter { after_seq: *after, limit: 1000, ..Default::default() };
            let entries = match store.timeline(TENANT, id, &filter).await {
                Ok(e) => e,
                Err(vargate_store::StoreError::UnknownTenant(_)) => continue,
                Err(e) => return Err(e.into()),
            };
            for e in entries {
                say!(
                    "{label:<12} {:>3} {:<28} {:<9} {}",
                    e.record.seq,
                    safe(&e.record.kind),
                    safe(&e.record.decision),
                    safe(&vargate_engine::console::summary(&e.record))
                );
                *after = Some(e.record.seq);
            }
        }
        if last_round {
            return Ok(());
        }
        tokio::select! {
            _ = stop.changed() => {}
            _ = tokio::time::sleep(Duration::from_millis(150)) => {}
        }
    }
}
