//! `vargate approvals`: the approval queue from the command line, before (and beside) the desktop app.
//! Deciding here updates the queue; the process holding the call (`vargate watch`, the app) notices,
//! records the outcome with this approver and the channel `cli`, re-evaluates policy and answers the session.

use crate::output::{count, safe, say};
use anyhow::{Result, bail};
use vargate_engine::{ApprovalConfig, Approvals};
use vargate_store::{ApprovalRow, Store};

fn queue(store: &Store) -> Approvals {
    Approvals::new(store.clone(), ApprovalConfig::default())
}

fn line(row: &ApprovalRow) -> String {
    let rules = row.details["policy"]["matched_rules"]
        .as_array()
        .map(|r| r.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    format!(
        "{}  {:<8}  {}  {}  {}  session {}  rules {}  until {}",
        row.id,
        row.status,
        safe(&row.tenant),
        safe(&row.tool),
        safe(&row.agent),
        safe(&row.session_id),
        safe(&rules),
        row.expires_at
    )
}

pub async fn list(store: &Store, all: bool, json: bool) -> Result<()> {
    let rows = queue(store).list(!all).await?;
    if json {
        say!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    for row in &rows {
        say!("{}", line(row));
    }
    let what = if all { "approval request" } else { "pending approval request" };
    say!("{}", count(rows.len() as u64, what, &format!("{what}s")));
    Ok(())
}

pub async fn show(store: &Store, id: &str, json: bool) -> Result<()> {
    let row = queue(store).get(id).await?;
    if json {
        say!("{}", serde_json::to_string_pretty(&row)?);
        return Ok(());
    }
    say!("{}", line(&row));
    say!("requested  {}", row.requested_at);
    say!("action     {}", safe(&row.action_id));
    say!("reason     {}", safe(row.details["reason"].as_str().unwrap_or_default()));
    say!("params     {}", safe(&row.details["params"].to_string()));
    say!("findings   {}", safe(&row.details["findings"].to_string()));
    if let Some(by) = &row.decided_by {
        say!(
            "decided    {} by {} via {} at {}: {}",
            row.status,
            safe(by),
            safe(row.channel.as_deref().unwrap_or_default()),
            row.decided_at.as_deref().unwrap_or_default(),
            safe(row.reason.as_deref().unwrap_or_default())
        );
    }
    Ok(())
}

/// Approves or denies each request; every one that was still pending is decided, the others are named.
pub async fn decide(store: &Store, ids: &[String], approve: bool, approver: &str, reason: &str) -> Result<()> {
    let queue = queue(store);
    let mut failed = 0;
    for id in ids {
        match queue.decide(id, approve, approver, "cli", reason).await {
            Ok(row) => say!("{} {} by {}", row.id, row.status, safe(approver)),
            Err(e) => {
                eprintln!("error: {}", safe(&e.to_string()));
                failed += 1;
            }
        }
    }
    if failed > 0 {
        bail!("{} of {} not decided", failed, count(ids.len() as u64, "request", "requests"));
    }
    Ok(())
}
