//! The session list: one row per session of the tenant's log, with what a reviewer scans for.

use super::{Console, ConsoleError};
use crate::ingest::{DECISION, INTERRUPT};
use serde::Serialize;
use std::sync::PoisonError;
use vargate_store::StoreError;

/// Most sessions listed: the most recently active ones.
const MAX_SESSIONS: usize = 200;

/// Most agent names remembered: beyond this, only those of the sessions listed are kept (a name forgotten is
/// asked of the API again when needed).
pub(super) const MAX_AGENT_NAMES: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Running,
    Idle,
    Interrupted,
    Terminated,
    /// The last record says nothing of the session's state.
    Active,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SessionRow {
    pub id: String,
    pub agent: String,
    pub status: SessionStatus,
    /// Records in the log.
    pub records: u32,
    /// Tool calls Vargate decided on.
    pub governed: u32,
    /// Tool uses that ran without asking (watched by the detectors).
    pub observed: u32,
    pub denied: u32,
    /// Calls held for a human.
    pub held: u32,
    pub interrupts: u32,
    /// `high` (interrupted), `elevated` (denials or holds) or `low`.
    pub risk: String,
    /// Time of the last record.
    pub last_at: String,
}

impl Console {
    /// The tenant's sessions, most recently active first (at most 200).
    pub async fn sessions(&self) -> Result<Vec<SessionRow>, ConsoleError> {
        let listed = match self.store.sessions(&self.tenant).await {
            Ok(s) => s,
            Err(StoreError::UnknownTenant(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut rows = Vec::with_capacity(listed.len().min(MAX_SESSIONS));
        for (id, records) in listed.into_iter().filter(|(id, _)| !id.starts_with("vargate:")).take(MAX_SESSIONS) {
            // A row is read again only when its session grew: the list is refreshed while sessions run, and
            // counting a long session's records is a pass over all of them.
            let cached = self.rows.lock().unwrap_or_else(PoisonError::into_inner).get(&id).cloned();
            let row = match cached {
                Some(row) if u64::from(row.records) == records => row,
                _ => {
                    let row = self.session_row(id.clone(), records).await?;
                    self.rows.lock().unwrap_or_else(PoisonError::into_inner).insert(id, row.clone());
                    row
                }
            };
            rows.push(row);
        }
        // The caches keep what the list shows: a session that dropped out of it is read afresh if it returns.
        let listed: std::collections::HashSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        self.rows.lock().unwrap_or_else(PoisonError::into_inner).retain(|id, _| listed.contains(id.as_str()));
        let mut agents = self.agents.lock().unwrap_or_else(PoisonError::into_inner);
        if agents.len() > MAX_AGENT_NAMES {
            agents.retain(|id, _| listed.contains(id.as_str()));
        }
        drop(agents);
        Ok(rows)
    }

    async fn session_row(&self, id: String, records: u64) -> Result<SessionRow, ConsoleError> {
        let facets = self.store.session_facets(&self.tenant, &id).await?;
        let (_, tail) = self.store.session_tail(&self.tenant, &id).await?;
        let count = |n: Option<&u64>| n.copied().unwrap_or(0).min(u64::from(u32::MAX)) as u32;
        let decisions = count(facets.types.get(DECISION));
        let held = count(facets.decisions.get("require_approval"));
        let denied = count(facets.decisions.get("deny"));
        let interrupts = count(facets.types.get(INTERRUPT));
        let tool_uses: u32 = ["agent.tool_use", "agent.mcp_tool_use", "agent.custom_tool_use"]
            .iter()
            .map(|t| count(facets.types.get(*t)))
            .sum();
        // A held call has two decision records: the hold and its conclusion.
        let governed = decisions.saturating_sub(held);
        let status = match tail.record.kind.as_str() {
            "session.status_running" => SessionStatus::Running,
            "session.status_idle" => SessionStatus::Idle,
            "session.status_terminated" | "session.deleted" => SessionStatus::Terminated,
            INTERRUPT | "user.interrupt" => SessionStatus::Interrupted,
            _ => SessionStatus::Active,
        };
        let risk = if interrupts > 0 {
            "high"
        } else if denied > 0 || held > 0 {
            "elevated"
        } else {
            "low"
        };
        Ok(SessionRow {
            agent: self.agent_of(&id).await,
            id,
            status,
            records: records.min(u64::from(u32::MAX)) as u32,
            governed,
            observed: tool_uses.saturating_sub(governed),
            denied,
            held,
            interrupts,
            risk: risk.to_owned(),
            last_at: tail.record.ts,
        })
    }

    /// The name of the agent a session runs, asked of the API once per console; `unknown` when it cannot say.
    pub(super) async fn agent_of(&self, session_id: &str) -> String {
        if let Some(name) = self.agents.lock().unwrap_or_else(PoisonError::into_inner).get(session_id) {
            return name.clone();
        }
        let asked = tokio::time::timeout(std::time::Duration::from_secs(2), async {
            let session = self.client.get_session(session_id).await.ok()?;
            let agent = session.rest.get("agent")?;
            let name = agent.get("name").or_else(|| agent.get("id")).or(Some(agent))?;
            name.as_str().map(str::to_owned)
        })
        .await;
        // An answer that names no agent is remembered too: lists must not ask the API again on every refresh
        // for sessions it no longer knows (those of an earlier demo, say).
        let name = match asked {
            Ok(Some(name)) => name,
            _ => "unknown".to_owned(),
        };
        self.agents.lock().unwrap_or_else(PoisonError::into_inner).insert(session_id.to_owned(), name.clone());
        name
    }
}
