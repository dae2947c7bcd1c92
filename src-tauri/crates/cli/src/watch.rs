//! `vargate watch`: ingest one session of the real API (or any compatible server) into the audit log, until
//! it is terminated or deleted. The API key comes from `ANTHROPIC_API_KEY`, the base URL from
//! `ANTHROPIC_BASE_URL` (default: the public API).

use anyhow::{Context as _, Result, bail};
use vargate_agents::client::{Client, ClientConfig, DEFAULT_BASE_URL};
use vargate_agents::stream::{WatchEnd, WatchOptions};
use vargate_engine::{Governor, PolicySet, ingest_session};
use vargate_store::Store;

use crate::output::{count, safe, say};

/// The API client of every command that talks to the API (`watch`, `session`): key and base URL from the
/// environment.
pub(crate) fn client() -> Result<Client> {
    let key = std::env::var("ANTHROPIC_API_KEY").unwrap_or_default();
    if key.trim().is_empty() {
        bail!("set ANTHROPIC_API_KEY to reach a real session (or try `vargate demo`, which needs no key)");
    }
    let base = std::env::var("ANTHROPIC_BASE_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.to_owned());
    Client::new(ClientConfig::new(base, key)).context("configuring the API client")
}

pub async fn run(store: &Store, tenant: &str, session: &str, policies: PolicySet) -> Result<()> {
    let client = client()?;
    let options = WatchOptions { max_reconnects: None, ..WatchOptions::default() };
    let policies = std::sync::Arc::new(policies);
    // Edits to a user policy folder are picked up while the session runs.
    let watcher = policies.spawn_watcher(std::time::Duration::from_secs(2));
    let governor = Governor::new(policies, store.clone());
    let report = ingest_session(&client, store, tenant, session, &governor, &options).await;
    watcher.abort();
    let report = report?;
    let end = match report.end {
        Some(WatchEnd::Terminated) => "the session was terminated",
        Some(WatchEnd::Deleted) => "the session was deleted",
        Some(WatchEnd::Gone) => "the session vanished (deleted while reconnecting)",
        Some(WatchEnd::Stopped) | None => "the watch was stopped",
    };
    say!(
        "session {}: {} recorded ({} malformed, {}), {}; {end}",
        safe(session),
        count(report.events, "event", "events"),
        report.malformed,
        count(report.garbled, "garbled frame", "garbled frames"),
        count(report.decisions, "decision", "decisions"),
    );
    Ok(())
}
