//! Live mode: the console governs the sessions of the managed-agents API. It asks the API for sessions
//! periodically and attaches a listener to each one that is not terminated; a listener that ends (the
//! session terminated, or the stream failed for good) is attached again at the next look if the session
//! still runs. Attaching to a session ingested before records only what is new and waits again on calls
//! held for approval (see `ingest`). A session started from the app gets its listener at once, in either
//! mode ([`Console::watch`]).

use super::{Console, ConsoleConfig, ConsoleError, Parts, Settings, open_store};
use crate::approvals::{ApprovalConfig, Approvals};
use crate::governor::Governor;
use crate::ingest::ingest_session;
use crate::policy_set::{PolicySet, ProfileChoice};
use std::sync::{Arc, PoisonError};
use vargate_agents::client::{Client, ClientConfig};
use vargate_agents::stream::WatchOptions;
use vargate_store::Keychain;

pub(super) async fn start(
    config: ConsoleConfig,
    keychain: Arc<Keychain>,
    settings: Settings,
    api_key: String,
) -> Result<Arc<Console>, ConsoleError> {
    let client = Client::new(ClientConfig::new(config.base_url.clone(), api_key))?;
    let store = open_store(&config, keychain.clone()).await?;
    let profile = settings.profile.clone().map_or_else(ProfileChoice::default, ProfileChoice::Named);
    let policies = Arc::new(PolicySet::load(config.policies.as_deref(), profile)?);
    let approvals = Arc::new(Approvals::new(
        store.clone(),
        ApprovalConfig { timeout: config.approval_timeout, ..Default::default() },
    ));
    let governor = Arc::new(Governor::new(policies.clone(), store.clone()).with_approvals(approvals.clone()));
    let console = Arc::new(Console::new(Parts {
        config: config.clone(),
        keychain,
        store,
        tenant: settings.tenant.clone().unwrap_or_else(|| config.tenant.clone()),
        approvals,
        policies,
        governor,
        client,
        demo: None,
        settings,
    }));
    console.spawn_anchoring();
    console.spawn(discover(console.clone()));
    console.spawn_watchers();
    Ok(console)
}

/// Looks for sessions to watch every `discover_every`, for as long as the console runs.
async fn discover(console: Arc<Console>) {
    loop {
        match crate::session_gate::running_session_ids(&console.client).await {
            Ok(ids) => {
                for id in ids {
                    console.watch(id);
                }
            }
            Err(e) => tracing::warn!("listing the API's sessions failed (trying again later): {e}"),
        }
        tokio::time::sleep(console.config.discover_every).await;
    }
}

impl Console {
    /// Attaches a listener to the session unless one listens already: its events are recorded and its calls
    /// decided by this console's governor.
    pub(super) fn watch(self: &Arc<Self>, id: String) {
        if self.watching.lock().unwrap_or_else(PoisonError::into_inner).insert(id.clone()) {
            self.spawn(listen(self.clone(), id));
        }
    }
}

/// Ingests one session until it ends, then forgets it so that the next look may attach again.
async fn listen(console: Arc<Console>, id: String) {
    let options = WatchOptions { max_reconnects: Some(50), ..WatchOptions::default() };
    let governor = console.governor.clone();
    match ingest_session(&console.client, &console.store, &console.tenant, &id, governor.as_ref(), &options).await {
        Ok(report) => tracing::info!(session = id, "listener ended: {:?}", report.end),
        Err(e) => tracing::warn!(session = id, "listener failed: {e}"),
    }
    console.watching.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
}
