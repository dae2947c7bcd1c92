//! `vargate session`: act on sessions of the managed-agents API (key and base URL from `ANTHROPIC_API_KEY` and
//! `ANTHROPIC_BASE_URL`, as `vargate watch`): start one within the governance profile's session limits, or
//! pull the kill switch.

use crate::output::{safe, say};
use crate::watch::client;
use anyhow::{Context as _, Result};
use serde_json::json;
use vargate_agents::client::SessionParams;
use vargate_engine::PolicySet;
use vargate_engine::session_gate::{GateError, SessionLimits, start_session};
use vargate_store::Store;

/// Exit status of a start that was refused: by the profile's session limits, or because the figures to
/// check them could not be had (fail closed). Either refusal is recorded in the log.
pub const REFUSED: u8 = 3;

/// A start the profile's limits refused, or that was refused because the figures could not be had; either
/// way recorded in the tenant's log. `main` exits with [`REFUSED`] on it.
#[derive(Debug)]
pub struct Refused {
    pub reason: String,
    pub tenant: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (reason, tenant) = (safe(&self.reason), safe(&self.tenant));
        write!(f, "session not started: {reason} (the refusal is recorded in tenant {tenant}'s log)")
    }
}

impl std::error::Error for Refused {}

/// What `vargate session start` was asked for.
pub struct Start<'a> {
    pub tenant: &'a str,
    pub agent: &'a str,
    pub environment: &'a str,
    pub title: Option<&'a str>,
    pub message: Option<&'a str>,
    pub by: &'a str,
    pub json: bool,
}

/// Starts a session through `session_gate` (the start, or the refusal, recorded in the tenant's log with who
/// asked), then sends its first message if one was given. Prints the new session's id alone on standard
/// output (so that `$(vargate session start …)` is the id), or with `--json` an object describing the start.
pub async fn start(store: &Store, policies: &PolicySet, start: Start<'_>) -> Result<()> {
    let given = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let (agent, environment) = (start.agent.trim(), start.environment.trim());
    if agent.is_empty() || environment.is_empty() {
        anyhow::bail!("a session needs an agent and an environment: pass --agent and --environment");
    }
    let client = client()?;
    let limits = SessionLimits::from_params(&policies.active().profile.params);
    let params = SessionParams {
        agent: json!(agent),
        environment_id: environment.to_owned(),
        title: given(start.title),
        ..SessionParams::default()
    };
    let id = match start_session(&client, store, start.tenant, limits, &params, start.by).await {
        Ok(id) => id,
        Err(GateError::Refused(reason)) => {
            return Err(Refused { reason, tenant: start.tenant.to_owned() }.into());
        }
        Err(e) => return Err(e).context("starting a session"),
    };
    let sent = match given(start.message) {
        Some(text) => {
            let event = json!({"type": "user.message", "content": [{"type": "text", "text": text}]});
            Some(client.send_events(&id, &[event]).await)
        }
        None => None,
    };
    // The session exists and its start is recorded whatever happened to the first message: its id is
    // printed either way.
    if start.json {
        let value = json!({
            "session_id": id,
            "tenant": start.tenant,
            "agent": agent,
            "environment_id": environment,
            "title": params.title,
            "by": start.by,
            "message_sent": matches!(sent, Some(Ok(_))),
        });
        say!("{value:#}");
    } else {
        say!("{}", safe(&id));
    }
    if let Some(Err(e)) = sent {
        return Err(e).with_context(|| format!("session {} started, but its first message was not sent", safe(&id)));
    }
    if !start.json {
        eprintln!(
            "started session {} for {} (recorded in tenant {}'s log); govern it with: vargate watch --tenant {} --session {}",
            safe(&id),
            safe(start.by),
            safe(start.tenant),
            safe(start.tenant),
            safe(&id)
        );
    }
    Ok(())
}

/// Sends `user.interrupt` and a message saying who stopped the session and why.
pub async fn interrupt(session: &str, reason: &str, by: &str) -> Result<()> {
    let client = client()?;
    let text = format!("Vargate: {by} interrupted this session: {reason}");
    let events = vargate_engine::ingest::interrupt_events(Some(&text));
    client.send_events(session, &events).await.with_context(|| format!("interrupting session {}", safe(session)))?;
    say!("interrupted session {} ({})", safe(session), safe(reason));
    Ok(())
}
