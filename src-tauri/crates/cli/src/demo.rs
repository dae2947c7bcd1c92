//! `vargate demo`: the whole loop with no API key. Starts the built-in simulator, creates governed agents and
//! sessions through the client, ingests every event into the local audit log (PII redacted and sealed),
//! decides on every tool call that waits on Vargate with the policy bundle and governance profile (the
//! shipped ones unless given), interrupts a session whose observed behaviour turns dangerous, prints the
//! timeline as it grows, and ends by writing a signed evidence pack per session that `vargate verify` accepts.

use anyhow::{Context as _, Result, bail};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use vargate_agents::client::{AgentParams, Client, ClientConfig, EnvironmentParams, SessionParams};
use vargate_agents::sim::{SimConfig, Simulator};
use vargate_agents::stream::WatchOptions;
use vargate_engine::export::export_pack;
use vargate_engine::{ApprovalConfig, ApprovalEvent, Approvals, Governor, PolicySet, ingest_session_until};
use vargate_store::{Store, TimelineFilter};

use crate::output::{count, safe, say};

pub const TENANT: &str = "demo";

/// The bundled demo: (label, scenario, user turns, permission policy of the built-in tools). `always_ask`
/// puts every built-in tool call to Vargate; `always_allow` lets them run, observed.
const SESSIONS: &[(&str, &str, usize, &str)] = &[
    ("research", "default", 1, "always_ask"),
    ("risky-bash", "risky_bash", 1, "always_ask"),
    ("payments", "payments", 1, "always_ask"),
    ("support", "support_email", 1, "always_ask"),
    ("editor", "custom_tool", 1, "always_ask"),
    ("outreach", "outreach", 1, "always_ask"),
    ("observed", "exfiltration", 1, "always_allow"),
    ("errors", "errors", 3, "always_ask"),
];

pub async fn run(store: &Store, out: &Path, drop_every: Option<usize>, policies: PolicySet) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let sim = Simulator::start("127.0.0.1:0".parse()?, SimConfig::default()).await.context("starting the simulator")?;
    // Streams drop every few events so that reconnect and backfill are part of every demo run.
    sim.set_drop_stream_after(drop_every);
    let drops = drop_every.map_or_else(
        || "never dropped".to_owned(),
        |n| format!("dropped every {}", count(n as u64, "event", "events")),
    );
    say!("simulator at {} (streams {drops})", sim.base_url());
    let client = Client::new(ClientConfig::new(sim.base_url(), "demo-key"))?;
    let active = policies.active();
    say!(
        "policy bundle {} with profile {}",
        active.bundle.hash().get(..12).unwrap_or_default(),
        safe(&active.profile.name)
    );
    // The demo's reviewer: approves opening files in the editor through the queue's API (recorded as the
    // approver, channel "app"), and leaves everything else to expire, so both outcomes show.
    let config = ApprovalConfig { timeout: Duration::from_secs(3), ..ApprovalConfig::default() };
    let approvals = Arc::new(Approvals::new(store.clone(), config));
    let reviewer = tokio::spawn(demo_reviewer(approvals.clone()));
    let governor = Arc::new(Governor::new(Arc::new(policies), store.clone()).with_approvals(approvals));

    let mut tasks = Vec::new();
    for (label, scenario, turns, permission) in SESSIONS {
        let session_id = create_session(&client, label, scenario, permission).await?;
        say!("{label:<12} session {} (scenario {scenario})", safe(&session_id));
        let (client, store, governor) = (client.clone(), store.clone(), governor.clone());
        tasks.push((*label, session_id.clone(), tokio::spawn(drive(client, store, governor, session_id, *turns))));
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
                eprintln!("{label}: {}", crate::output::one_line(&e));
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
    sim.shutdown().await;
    if failures > 0 {
        bail!("{} failed", count(failures, "demo session", "demo sessions"));
    }
    say!(
        "check any of them offline: vargate verify {}/risky-bash.pack.zip --key \"$(vargate log key --tenant {TENANT})\"",
        out.display()
    );
    Ok(())
}

/// Approves every request to open a file in the editor as "vargate-demo"; others are left to expire.
async fn demo_reviewer(approvals: Arc<Approvals>) {
    let mut changes = approvals.subscribe();
    while let Ok(change) = changes.recv().await {
        if let ApprovalEvent::Requested(row) = change
            && row.tool == "open_in_editor"
        {
            let reason = "the demo's reviewer allows opening files";
            if let Err(e) = approvals.decide(&row.id, true, "vargate-demo", "app", reason).await {
                tracing::warn!("the demo reviewer could not approve {}: {e}", row.id);
            }
        }
    }
}

async fn create_session(client: &Client, label: &str, scenario: &str, permission: &str) -> Result<String> {
    let mut metadata = serde_json::Map::new();
    metadata.insert("sim_scenario".into(), json!(scenario));
    let agent = client
        .create_agent(&AgentParams {
            name: format!("demo-{label}"),
            model: json!("claude-sonnet-4-5"),
            system: Some("You work under Vargate governance.".into()),
            tools: vec![
                // Built-in tools must ask: Vargate decides on each call.
                json!({"type": "agent_toolset_20260401", "default_config": {"permission_policy": {"type": permission}}}),
                json!({"type": "custom", "name": "open_in_editor", "description": "Open a file in the editor",
                       "input_schema": {"type": "object", "properties": {"path": {"type": "string"}, "line": {"type": "integer"}}}}),
                json!({"type": "custom", "name": "make_payment", "description": "Pay a supplier",
                       "input_schema": {"type": "object", "properties": {"amount": {"type": "number"}, "currency": {"type": "string"}, "payee": {"type": "string"}}}}),
                json!({"type": "custom", "name": "send_email", "description": "Send an e-mail",
                       "input_schema": {"type": "object", "properties": {"to": {"type": "string"}, "subject": {"type": "string"}, "body": {"type": "string"}}}}),
            ],
            metadata,
            ..AgentParams::default()
        })
        .await?;
    let env =
        client.create_environment(&EnvironmentParams { name: format!("demo-{label}"), ..Default::default() }).await?;
    let session = client
        .create_session(&SessionParams {
            agent: json!(agent.id),
            environment_id: env.id,
            title: Some(format!("Vargate demo: {label}")),
            ..Default::default()
        })
        .await?;
    Ok(session.id)
}

/// Ingests the session while sending `turns` user messages, each after the previous turn ended.
async fn drive(client: Client, store: Store, governor: Arc<Governor>, session_id: String, turns: usize) -> Result<()> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let ingest = {
        let (client, store, id) = (client.clone(), store.clone(), session_id.clone());
        tokio::spawn(async move {
            let options = WatchOptions { max_reconnects: Some(100) };
            let stopped = async {
                let _ = stopped.await;
            };
            ingest_session_until(&client, &store, TENANT, &id, governor.as_ref(), &options, stopped).await
        })
    };
    let mut ended = 0;
    for turn in 1..=turns {
        let text = format!("Turn {turn}: carry on with the task.");
        client
            .send_events(&session_id, &[json!({"type": "user.message", "content": [{"type": "text", "text": text}]})])
            .await?;
        ended = wait_for_turn_end(&store, &session_id, ended).await?;
        if ingest.is_finished() {
            break; // terminated
        }
    }
    // The turn's end is in the log, but the batch that held it may still be deciding (an interrupt over
    // what the turn did, say): stopping lets it finish.
    let _ = stop.send(());
    ingest.await??;
    Ok(())
}

/// Waits until the log holds more turn endings (idle other than requires_action, or termination) than
/// `seen`; returns the new count.
async fn wait_for_turn_end(store: &Store, session_id: &str, seen: usize) -> Result<usize> {
    let filter = TimelineFilter {
        types: vec!["session.status_idle".into(), "session.status_terminated".into()],
        limit: 10_000,
        ..TimelineFilter::default()
    };
    for _ in 0..600 {
        let ends = match store.timeline(TENANT, session_id, &filter).await {
            Ok(entries) => {
                entries.iter().filter(|e| e.record.payload["stop_reason"]["type"] != "requires_action").count()
            }
            Err(vargate_store::StoreError::UnknownTenant(_)) => 0,
            Err(e) => return Err(e.into()),
        };
        if ends > seen {
            return Ok(ends);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("session {session_id}: the turn did not end within 30 s")
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
                    safe(&what(&e.record))
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

fn what(r: &vargate_proof::AuditRecord) -> String {
    let p = &r.payload;
    match r.kind.as_str() {
        "vargate.decision" => format!(
            "{} {} — {}",
            p["tool"].as_str().unwrap_or_default(),
            if r.decision == "require_approval" { "HOLD".to_owned() } else { r.decision.to_uppercase() },
            p["reason"].as_str().unwrap_or_default()
        ),
        "agent.tool_use" | "agent.custom_tool_use" | "agent.mcp_tool_use" => {
            format!("{} {}", p["name"].as_str().unwrap_or_default(), p["input"])
        }
        "session.error" => p["error"]["type"].as_str().unwrap_or_default().to_owned(),
        "vargate.interrupt" => format!("INTERRUPT — {}", p["reason"].as_str().unwrap_or_default()),
        _ => String::new(),
    }
}
