//! The console as the desktop app drives it, in demo mode against the built-in simulator: sessions appear
//! and are listed with their counts, a timeline pages, a held call waits for a human who approves it in the
//! app, the kill switch records who interrupted and why, a pack is exported that verifies, and every change
//! is announced to subscribers.

use std::sync::Arc;
use std::time::Duration;
use vargate_agents::client::{Client, ClientConfig, ListOptions};
use vargate_engine::console::{Console, ConsoleConfig, ConsoleEvent, SessionRow};
use vargate_engine::{ApprovalEvent, demo};
use vargate_store::{KeystoreKind, TimelineFilter};

fn config(dir: &std::path::Path) -> ConsoleConfig {
    // The real keychain when the test services run one (scripts/test), else key files in the temp dir.
    let keystore = std::env::var("VARGATE_KEYSTORE")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or_else(|| KeystoreKind::InsecureFile(dir.join("keys")));
    let mut config = ConsoleConfig::new(dir.join("data"), keystore);
    config.demo_every = Duration::from_secs(3600);
    config.demo_event_delay = Duration::from_millis(5);
    config.approval_timeout = Duration::from_secs(60);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_console_lists_pages_approves_interrupts_and_exports() {
    let dir = tempfile::tempdir().unwrap();
    let console: Arc<Console> = Console::start_demo(config(dir.path())).await.unwrap();
    assert!(console.is_demo());
    let mut changes = console.subscribe();

    // Every demo scenario starts once; the list shows them with their agents.
    let sessions: Vec<SessionRow> = until("every demo session to be listed", async || {
        let rows = console.sessions().await.unwrap();
        (rows.len() == demo::SESSIONS.len()).then_some(rows)
    })
    .await;
    for spec in demo::SESSIONS {
        assert!(sessions.iter().any(|s| s.agent == format!("demo-{}", spec.label)), "{spec:?} in {sessions:#?}");
    }

    // A held call waits for a human (the app has no automatic reviewer); approving it in the app records
    // the approver and the channel, and the session's decision follows.
    let held =
        until("a pending approval", async || console.approval_queue(true).await.unwrap().into_iter().next()).await;
    let decided = console.decide(std::slice::from_ref(&held.id), true, "alice", "looks fine").await.unwrap();
    assert_eq!((decided[0].status.as_str(), decided[0].channel.as_deref()), ("approved", Some("app")));
    let again = console.decide(std::slice::from_ref(&held.id), false, "bob", "too late").await;
    assert!(again.unwrap_err().to_string().contains("already"), "a decided request cannot be decided again");
    let concluded = until("the approval's conclusion in the session", async || {
        let page =
            console.timeline(&held.session_id, vec!["vargate.decision".into()], vec![], None, 100).await.unwrap();
        page.rows.into_iter().find(|r| r.approver.is_some())
    })
    .await;
    assert_eq!(concluded.approver.as_deref(), Some("alice via app"), "{concluded:?}");

    // Pages follow each other without gaps or repeats, and the last says it is the last.
    let session = &sessions[0].id;
    let all = TimelineFilter { limit: 10_000, ..Default::default() };
    let whole = console.store().timeline("demo", session, &all).await.unwrap();
    let (mut seen, mut after) = (Vec::new(), None);
    loop {
        let page = console.timeline(session, vec![], vec![], after, 3).await.unwrap();
        assert!(page.rows.len() <= 3);
        seen.extend(page.rows.iter().map(|r| r.seq));
        match page.next_after {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let expected: Vec<u32> = whole.iter().map(|e| e.record.seq as u32).collect();
    assert_eq!(seen[..expected.len().min(seen.len())], expected[..expected.len().min(seen.len())]);

    // The kill switch needs a reason, and records who pulled it before telling the session. (On the research
    // session: the most recently active one may be the errors scenario's, which the API has terminated.)
    let running = &sessions.iter().find(|s| s.agent == "demo-research").unwrap().id;
    assert!(console.interrupt(running, " ", "alice").await.is_err());
    console.interrupt(running, "checking a finding", "alice").await.unwrap();
    let page = console.timeline(running, vec!["vargate.interrupt".into()], vec![], None, 10).await.unwrap();
    let record = page.rows.iter().find(|r| r.source == "operator").expect("the operator's interrupt is recorded");
    assert!(record.payload.contains("alice") && record.payload.contains("checking a finding"), "{record:?}");
    assert!(console.interrupt("sesn_unknown", "typo", "alice").await.is_err(), "unknown sessions are errors");

    // Sealed PII is revealed only with a reason, and the reveal is recorded first.
    let support = sessions.iter().find(|s| s.agent == "demo-support").unwrap();
    let sealed = until("the support session's e-mail with a card number", async || {
        let page = console.timeline(&support.id, vec![], vec![], None, 500).await.unwrap();
        page.rows.into_iter().find(|r| r.payload.contains("vargate_sealed") && r.payload.contains("payment_card"))
    })
    .await;
    assert!(!sealed.payload.contains("4111 1111 1111 1111"), "the timeline shows PII masked");
    assert!(console.reveal(&support.id, sealed.seq, "alice", " ").await.is_err(), "a reason is needed");
    let original = console.reveal(&support.id, sealed.seq, "alice", "customer complaint #12").await.unwrap();
    assert!(original.contains("4111 1111 1111 1111"), "{original}");
    let reveals = console.timeline(&support.id, vec!["vargate.reveal".into()], vec![], None, 10).await.unwrap();
    assert_eq!(reveals.rows.len(), 1);
    assert!(reveals.rows[0].payload.contains("customer complaint #12") && reveals.rows[0].payload.contains("alice"));
    let plain = console.timeline(&support.id, vec!["session.status_running".into()], vec![], None, 1).await.unwrap();
    let error = console.reveal(&support.id, plain.rows[0].seq, "alice", "curious").await.unwrap_err();
    assert!(error.to_string().contains("nothing sealed"), "{error}");

    // An exported pack verifies offline.
    let path = dir.path().join("pack.zip");
    let pack = console.export(session, &path, &|_| {}).await.unwrap();
    let verdict = vargate_engine::verification::verify_bytes(&std::fs::read(&path).unwrap(), None).unwrap();
    assert!(verdict.passed(), "{verdict:?}");
    assert!(pack.records > 0);

    // Subscribers heard the log grow and the approval resolve.
    let (mut grew, mut resolved) = (false, false);
    while let Ok(change) = changes.try_recv() {
        match change {
            ConsoleEvent::LogGrew { tenant, size } => grew |= tenant == "demo" && size > 0,
            ConsoleEvent::Approval(ApprovalEvent::Resolved { id, .. }) => resolved |= id == held.id,
            ConsoleEvent::Approval(_) => {}
        }
    }
    assert!(grew && resolved, "grew {grew}, resolved {resolved}");
    console.shutdown().await;
}

/// With an API key in the keychain the console governs the API's sessions (here a simulator standing in for
/// it): it finds a running session by itself, records it and decides its calls; forgetting the key brings
/// the demo back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_switches_to_the_api_and_its_sessions_are_found_and_governed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.api_key_name = format!("vargate-console-test-{}/api-key", std::process::id());
    config.discover_every = Duration::from_millis(100);
    let api = demo::Demo::start(None, Duration::ZERO).await.unwrap();
    config.base_url = api.base_url();

    let first = Console::start(config.clone()).await.unwrap();
    assert!(first.is_demo(), "no key: demo mode");
    assert!(first.set_api_key("two words").await.is_err(), "a key with spaces is refused");
    first.set_api_key("sk-test-key").await.unwrap();
    first.shutdown().await;

    let live = Console::start(config.clone()).await.unwrap();
    assert!(!live.is_demo());
    assert_eq!(live.api_base_url(), api.base_url());
    let spec = demo::SESSIONS.iter().find(|s| s.label == "risky-bash").unwrap();
    let id = api.create(spec).await.unwrap();
    let go = serde_json::json!({"type": "user.message", "content": [{"type": "text", "text": "go"}]});
    api.client().send_events(&id, &[go]).await.unwrap();
    let row = until("the API's session governed", async || {
        live.sessions().await.unwrap().into_iter().find(|s| s.id == id && s.governed > 0 && s.denied > 0)
    })
    .await;
    assert_eq!(row.agent, "demo-risky-bash");
    assert!(live.forget_api_key().await.unwrap());
    live.shutdown().await;
    let again = Console::start(config).await.unwrap();
    assert!(again.is_demo(), "the key forgotten: demo mode");
    again.shutdown().await;
    api.shutdown().await;
}

/// Settings are checked field by field, saved for the next console, and used by it: the profile that
/// decides, whether to notify, anchoring (here to an endpoint that refuses: the failure is reported in the
/// anchoring status and nothing waits on it). A settings file that cannot be read stops the start with an
/// error naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_checked_saved_and_used_by_the_next_console() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let first = Console::start_demo(config.clone()).await.unwrap();
    assert_eq!(first.policy().profile, "demo");
    let mut settings = first.settings().clone();
    assert!(settings.notifications, "notifications are on by default");
    let refused = |s: &vargate_engine::console::Settings| first.save_settings(s).unwrap_err().to_string();
    settings.profile = Some("no-such-profile".into());
    assert!(refused(&settings).contains("no-such-profile"));
    settings.profile = Some("default".into());
    settings.tenant = Some("two words".into());
    assert!(refused(&settings).contains("tenant"));
    settings.tenant = Some("acme".into());
    settings.anchor_rpc = Some("http://127.0.0.1:1".into());
    assert!(refused(&settings).contains("both"));
    settings.anchor_chain_id = Some(31337);
    settings.notifications = false;
    first.save_settings(&settings).unwrap();
    // A log to anchor: the demo's first records.
    until("the demo's first session", async || (!first.sessions().await.unwrap().is_empty()).then_some(())).await;
    first.shutdown().await;

    let second = Console::start_demo(config.clone()).await.unwrap();
    assert_eq!(second.policy().profile, "default");
    assert_eq!(second.settings(), &settings);
    let status = dir.path().join("data/anchor-status.json");
    let text = until("the anchoring status to report the refused endpoint", async || {
        std::fs::read_to_string(&status).ok().filter(|t| t.contains("127.0.0.1:1") && t.contains("fail"))
    })
    .await;
    assert!(text.contains("31337"), "{text}");
    second.shutdown().await;

    std::fs::write(dir.path().join("data/settings.json"), "{\"tenant\": ").unwrap();
    let error = Console::start_demo(config).await.unwrap_err().to_string();
    assert!(error.contains("settings.json"), "{error}");
}

/// A policy folder whose `demo` profile is the shipped one with a session limit: `daily` starts a day.
fn limited_policies(dir: &std::path::Path, daily: u64) -> std::path::PathBuf {
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../policies/profiles/demo.json");
    let mut profile: serde_json::Value = serde_json::from_slice(&std::fs::read(shipped).unwrap()).unwrap();
    profile["params"]["sessions"] = serde_json::json!({ "daily": daily });
    let folder = dir.join("policies");
    std::fs::create_dir_all(folder.join("profiles")).unwrap();
    std::fs::write(folder.join("profiles/demo.json"), profile.to_string()).unwrap();
    folder
}

/// A session started from the app (demo mode): chosen from the agents and environments the simulator lists,
/// recorded as started by the reviewer, listened to at once (its first message makes the agent work, and its
/// calls are governed), and listed. Over the profile's daily limit the next start is refused, saying which
/// limit, and the refusal is recorded too; a start without an agent never reaches the API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_started_in_the_app_is_governed_and_listed_and_a_start_over_the_limit_is_refused() {
    use vargate_engine::console::{ConsoleError, NewSession};
    use vargate_engine::session_gate::{CONTROL_SESSION, SESSION_REFUSED, SESSION_STARTED};
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.policies = Some(limited_policies(dir.path(), 1));
    let console = Console::start_demo(config).await.unwrap();

    let choices = until("the demo's agents and environments", async || {
        let c = console.session_choices().await.unwrap();
        (c.agents.iter().any(|a| a.name == "demo-risky-bash") && !c.environments.is_empty()).then_some(c)
    })
    .await;
    let agent = choices.agents.iter().find(|a| a.name == "demo-risky-bash").unwrap();
    let new = NewSession {
        agent_id: agent.id.clone(),
        environment_id: choices.environments[0].id.clone(),
        title: Some("  ".into()),
        message: Some("Clean up the build folder.".into()),
    };
    let blank = NewSession { agent_id: " ".into(), ..new.clone() };
    assert!(matches!(console.start_session(&blank, "alice").await, Err(ConsoleError::Invalid(_))));

    let id = console.start_session(&new, "alice").await.unwrap();
    let row = until("the new session listed, its calls governed", async || {
        console.sessions().await.unwrap().into_iter().find(|s| s.id == id && s.governed > 0)
    })
    .await;
    assert_eq!(row.agent, "demo-risky-bash");

    let refused = console.start_session(&new, "bob").await.unwrap_err();
    assert!(matches!(&refused, ConsoleError::Refused(r) if r.contains("the profile allows 1")), "{refused}");
    assert!(refused.to_string().starts_with("session not started: "), "{refused}");

    let all = TimelineFilter { limit: 100, ..Default::default() };
    let control = console.store().timeline("demo", CONTROL_SESSION, &all).await.unwrap();
    let kinds: Vec<(&str, &str)> =
        control.iter().map(|e| (e.record.kind.as_str(), e.record.payload["by"].as_str().unwrap_or(""))).collect();
    assert_eq!(kinds, [(SESSION_STARTED, "alice"), (SESSION_REFUSED, "bob")]);
    assert_eq!(control[0].record.payload["session_id"], id.as_str());
    console.shutdown().await;
}

/// Anchoring from the app: without a chain in the settings, "anchor now" says anchoring is not configured;
/// with a local chain (anvil) the periodic anchorer's failed first attempt (an unfunded account) shows in
/// the status with its error, and once the account is funded "anchor now" puts the log's checkpoint on the
/// chain: the status then shows the anchor's size, transaction and block, and no failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anchoring_is_reported_and_done_now_from_the_console() {
    use vargate_anchor::devnet::{CHAIN_ID, DevChain, anvil_binary};
    use vargate_engine::console::{AnchorNowView, ConsoleError};
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let off = Console::start_demo(config.clone()).await.unwrap();
    let status = off.anchor_status().await.unwrap();
    assert_eq!((status.rpc_url.as_deref(), status.address.as_deref(), status.anchors), (None, None, 0));
    let error = off.anchor_now().await.unwrap_err();
    assert!(matches!(error, ConsoleError::AnchoringOff), "{error}");
    assert!(error.to_string().contains("anchoring is not configured"), "{error}");
    until("the demo's first session", async || (!off.sessions().await.unwrap().is_empty()).then_some(())).await;

    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let chain = Arc::new(DevChain::start(&anvil_binary(&repo)).await.unwrap_or_else(|e| panic!("{e}")));
    let mut settings = off.settings().clone();
    settings.anchor_rpc = Some(chain.url().to_owned());
    settings.anchor_chain_id = Some(CHAIN_ID as u32);
    off.save_settings(&settings).unwrap();
    off.shutdown().await;

    let console = Console::start_demo(config).await.unwrap();
    let failing = until("the unfunded first attempt reported", async || {
        let s = console.anchor_status().await.unwrap();
        (s.failures >= 1 && s.last_error.is_some()).then_some(s)
    })
    .await;
    assert_eq!(failing.rpc_url.as_deref(), Some(chain.url()));
    assert_eq!((failing.chain_id, failing.confirmations), (Some(CHAIN_ID as u32), Some(2)));
    let address = failing.address.clone().expect("the paying address is shown");
    chain.fund(&address).await.unwrap();
    // Anvil mines only on transactions: blocks keep coming so that the anchor gets its confirmations.
    let miner = {
        let chain = chain.clone();
        tokio::spawn(async move {
            loop {
                let _ = chain.rpc("evm_mine", serde_json::json!([])).await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let outcome = console.anchor_now().await.unwrap();
    let status = console.anchor_status().await.unwrap();
    miner.abort();
    let last = status.last.clone().expect("an anchor in the log");
    if let AnchorNowView::Anchored { anchor } = &outcome {
        assert_eq!(anchor, &last, "the anchor made now is the newest");
    }
    assert!(last.tx_hash.starts_with("0x") && last.tx_hash.len() == 66, "{last:?}");
    assert!(last.block_number.parse::<u64>().unwrap() > 0, "{last:?}");
    assert_eq!((last.chain_id.as_str(), last.from.as_str()), ("31337", address.as_str()));
    assert!(last.size > 0 && status.log_size > last.size, "{status:?}");
    assert_eq!((status.failures, status.last_error.as_deref()), (0, None), "{status:?}");
    console.shutdown().await;
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

/// The app's demo mode runs for hours, a session every 30 s: what it keeps must not grow with the number of
/// sessions. The simulator keeps the newest finished sessions only (older ones are deleted, with their
/// environments, and their agents archived), while the console still names the agent of every session listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_keeps_a_bounded_number_of_demo_sessions_and_the_console_names_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    // Sessions far faster than the app's one every 30 s; held calls expire quickly so that sessions end.
    config.demo_every = Duration::from_millis(50);
    config.demo_event_delay = Duration::ZERO;
    config.approval_timeout = Duration::from_millis(300);
    let console: Arc<Console> = Console::start_demo(config).await.unwrap();
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
