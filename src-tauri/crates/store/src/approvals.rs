//! The approval queue's rows (`migrations/0004_approvals.sql`). A row is written by the process that holds
//! the call and resolved by whoever decides — that process, another one (the CLI, the desktop app) or the
//! expiry timer — with one conditional update, so that exactly one resolution wins. Writes go through the
//! process's single writer, so that no two connections of one process contend for SQLite's write lock.

use crate::error::StoreError;
use crate::store::Store;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRow {
    pub id: String,
    pub tenant: String,
    pub session_id: String,
    pub tool_use_id: String,
    pub action_id: String,
    pub agent: String,
    pub tool: String,
    /// What a reviewer needs: redacted parameters, findings, matched rules, reasons, the policy input.
    pub details: serde_json::Value,
    pub requested_at: String,
    pub expires_at: String,
    /// `pending`, `approved`, `denied` or `expired`.
    pub status: String,
    pub decided_by: Option<String>,
    pub channel: Option<String>,
    pub reason: Option<String>,
    pub decided_at: Option<String>,
}

/// How a pending approval ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// `approved`, `denied` or `expired`.
    pub status: String,
    pub decided_by: String,
    pub channel: String,
    pub reason: String,
    pub decided_at: String,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

macro_rules! columns {
    () => {
        "id, tenant, session_id, tool_use_id, action_id, agent, tool, details, requested_at, expires_at, status, \
         decided_by, channel, reason, decided_at"
    };
}

fn from_row(r: Row) -> Result<ApprovalRow, StoreError> {
    let details = serde_json::from_str(&r.7).map_err(|e| StoreError::Corrupt(format!("approval {}: {e}", r.0)))?;
    Ok(ApprovalRow {
        id: r.0,
        tenant: r.1,
        session_id: r.2,
        tool_use_id: r.3,
        action_id: r.4,
        agent: r.5,
        tool: r.6,
        details,
        requested_at: r.8,
        expires_at: r.9,
        status: r.10,
        decided_by: r.11,
        channel: r.12,
        reason: r.13,
        decided_at: r.14,
    })
}

impl Store {
    /// Adds a pending approval (through the writer, like every write of this process).
    pub async fn insert_approval(&self, row: &ApprovalRow) -> Result<(), StoreError> {
        let row = row.clone();
        self.ask(|reply| crate::writer::Command::InsertApproval { row: Box::new(row), reply }).await
    }

    /// Resolves a pending approval; false if it was no longer pending (someone else resolved it first).
    pub async fn resolve_approval(&self, id: &str, resolution: &Resolution) -> Result<bool, StoreError> {
        let (id, resolution) = (id.to_owned(), resolution.clone());
        self.ask(|reply| crate::writer::Command::ResolveApproval { id, resolution, reply }).await
    }

    pub async fn approval(&self, id: &str) -> Result<Option<ApprovalRow>, StoreError> {
        let row: Option<Row> = sqlx::query_as(concat!("SELECT ", columns!(), " FROM approvals WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(from_row).transpose()
    }
}

pub(crate) async fn insert(conn: &mut sqlx::SqliteConnection, row: &ApprovalRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO approvals (id, tenant, session_id, tool_use_id, action_id, agent, tool, details, requested_at, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&row.id)
    .bind(&row.tenant)
    .bind(&row.session_id)
    .bind(&row.tool_use_id)
    .bind(&row.action_id)
    .bind(&row.agent)
    .bind(&row.tool)
    .bind(row.details.to_string())
    .bind(&row.requested_at)
    .bind(&row.expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn resolve(
    conn: &mut sqlx::SqliteConnection,
    id: &str,
    resolution: &Resolution,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE approvals SET status = ?, decided_by = ?, channel = ?, reason = ?, decided_at = ? \
         WHERE id = ? AND status = 'pending'",
    )
    .bind(&resolution.status)
    .bind(&resolution.decided_by)
    .bind(&resolution.channel)
    .bind(&resolution.reason)
    .bind(&resolution.decided_at)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

impl Store {
    /// Approvals, newest first; only pending ones when `pending_only`.
    pub async fn approvals(&self, pending_only: bool) -> Result<Vec<ApprovalRow>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(concat!(
            "SELECT ",
            columns!(),
            " FROM approvals WHERE (? = 0 OR status = 'pending') ORDER BY requested_at DESC, id DESC"
        ))
        .bind(i64::from(pending_only))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(from_row).collect()
    }
}
