//! The app's demo mode runs for hours, a session every 30 s: what it keeps must not grow with the number of
//! sessions. The simulator keeps the newest finished sessions only (older ones are deleted, with their
//! environments, and their agents archived), while the console still names the agent of every session listed.

use std::sync::Arc;
use std::time::Duration;
use vargate_agents::client::{Client, ClientConfig, ListOptions};
use vargate_engine::console::{Console, ConsoleConfig};
use vargate_engine::demo;
use vargate_store::KeystoreKind;

fn config(dir: &std::path::Path) -> ConsoleConfig {
    let keystore = std::env::var("VARGATE_KEYSTORE")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| KeystoreKind::InsecureFile(dir.join("keys")));
    let mut config = ConsoleConfig::new(dir.join("data"), keystore);
    // Sessions far faster than the app's one every 30 s; held calls expire quickly so that sessions end.
    config.demo_every = Duration::from_millis(50);
    config.demo_event_delay = Duration::ZERO;
    config.approval_timeout = Duration::from_millis(300);
    config
}

async fn until<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..1200 {
        if let Some(t) = probe().await {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// What the simulator serves: sessions, environments and agents not archived.
async fn held_by_simulator(api: &Client) -> (usize, usize, usize) {
    let options = ListOptions { limit: Some(100), ..ListOptions::default() };
    let mut sessions = 0;
    let mut page = api.list_sessions(&options).await.unwrap();
    loop {
        sessions += page.data.len();
        let Some(next) = page.next_page.take() else { break };
        page = api.list_sessions(&ListOptions { page: Some(next), ..options.clone() }).await.unwrap();
    }
    let environments = api.list_environments(&options).await.unwrap().data.len();
    let agents = api.list_agents(&options).await.unwrap().data.len();
    (sessions, environments, agents)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_keeps_a_bounded_number_of_demo_sessions_and_the_console_names_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let console: Arc<Console> = Console::start_demo(config(dir.path())).await.unwrap();
    let api = Client::new(ClientConfig::new(console.api_base_url(), "demo-key")).unwrap();
    let wanted = 4 * demo::RETAINED;

    let rows = until("the log to hold many demo sessions", async || {
        let rows = console.sessions().await.unwrap();
        (rows.len() >= wanted).then_some(rows)
    })
    .await;
    // Every session is named, those the simulator no longer knows included: the demo told the console.
    for row in &rows {
        assert!(row.agent.starts_with("demo-"), "{row:?}");
    }
    let (sessions, _, _) = held_by_simulator(&api).await;
    assert!(sessions < rows.len(), "the simulator retired none of {} sessions", rows.len());

    // Once the demo stops, the sessions it had started end and are retired too, down to the newest few.
    console.shutdown().await;
    let held = until("the simulator to retire the demo's finished sessions", async || {
        let held = held_by_simulator(&api).await;
        (held.0 <= demo::RETAINED).then_some(held)
    })
    .await;
    let (sessions, environments, agents) = held;
    assert!(environments <= demo::RETAINED, "{environments} environments kept for {sessions} sessions");
    assert!(agents <= demo::RETAINED, "{agents} agents not archived for {sessions} sessions");
}
