//! Sessions started through Vargate, within the governance profile's session limits: at most
//! `params.sessions.max_concurrent` open at once (not terminated, as the API lists them) and at most
//! `params.sessions.daily` started in 24 hours. Every start and every refusal is a record of the tenant's
//! control stream (session `vargate:control`), with who asked and the figures; when the figures cannot be
//! had (the API or the log failing), the start is refused with that cause — fail closed.

use serde_json::{Value, json};
use vargate_agents::client::{Client, ClientError, ListOptions, SessionParams};
use vargate_store::{NewRecord, Store, StoreError, TimelineFilter};

/// The session that records what the control plane did.
pub const CONTROL_SESSION: &str = "vargate:control";
pub const SESSION_STARTED: &str = "vargate.session_started";
pub const SESSION_REFUSED: &str = "vargate.session_refused";
const DAY_MS: i128 = 24 * 3600 * 1000;

/// A profile's session limits; `None`: no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionLimits {
    pub max_concurrent: Option<u64>,
    pub daily: Option<u64>,
}

impl SessionLimits {
    /// From a governance profile's parameters (`sessions.max_concurrent`, `sessions.daily`).
    pub fn from_params(params: &Value) -> SessionLimits {
        let limit = |name: &str| params.pointer(&format!("/sessions/{name}")).and_then(Value::as_u64);
        SessionLimits { max_concurrent: limit("max_concurrent"), daily: limit("daily") }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GateError {
    /// Refused (and recorded): the message says which limit, or which fault.
    #[error("session not started: {0}")]
    Refused(String),
    #[error("audit log: {0}")]
    Store(#[from] StoreError),
    #[error("managed-agents API: {0}")]
    Api(#[from] ClientError),
}

/// Starts a session of `params.agent` for `by` if the limits allow; returns its id.
pub async fn start_session(
    client: &Client,
    store: &Store,
    tenant: &str,
    limits: SessionLimits,
    params: &SessionParams,
    by: &str,
) -> Result<String, GateError> {
    let figures = async {
        let open = match limits.max_concurrent {
            Some(_) => Some(open_sessions(client).await.map_err(|e| format!("counting open sessions failed: {e}"))?),
            None => None,
        };
        let today = match limits.daily {
            Some(_) => {
                Some(started_today(store, tenant).await.map_err(|e| format!("counting today's starts failed: {e}"))?)
            }
            None => None,
        };
        Ok::<_, String>((open, today))
    };
    let refusal = match figures.await {
        Err(fault) => Some((format!("refused on a fault: {fault}"), json!({"fault": fault}))),
        Ok((open, today)) => over_limit(limits, open, today).map(|reason| {
            (reason, json!({"open": open, "started_24h": today, "max_concurrent": limits.max_concurrent, "daily": limits.daily}))
        }),
    };
    if let Some((reason, figures)) = refusal {
        let payload = json!({"agent": params.agent, "by": by, "reason": reason, "figures": figures});
        store.append(tenant, control_record(SESSION_REFUSED, "deny", payload)).await?;
        return Err(GateError::Refused(reason));
    }
    let session = client.create_session(params).await?;
    let payload = json!({"session_id": session.id, "agent": params.agent, "by": by});
    store.append(tenant, control_record(SESSION_STARTED, "allow", payload)).await?;
    Ok(session.id)
}

/// Which limit a start would pass, if any.
fn over_limit(limits: SessionLimits, open: Option<u64>, today: Option<u64>) -> Option<String> {
    if let (Some(max), Some(open)) = (limits.max_concurrent, open)
        && open >= max
    {
        let open = if open == 1 { "1 session is".to_owned() } else { format!("{open} sessions are") };
        return Some(format!("{open} open; the profile allows {max} at once"));
    }
    if let (Some(max), Some(today)) = (limits.daily, today)
        && today >= max
    {
        let today = if today == 1 { "1 session was".to_owned() } else { format!("{today} sessions were") };
        return Some(format!("{today} started in the last 24 hours; the profile allows {max}"));
    }
    None
}

fn control_record(kind: &str, decision: &str, payload: Value) -> NewRecord {
    NewRecord {
        session_id: CONTROL_SESSION.to_owned(),
        ts: crate::ingest::now(),
        kind: kind.to_owned(),
        source: "control".to_owned(),
        decision: decision.to_owned(),
        payload,
    }
}

/// Sessions the API lists as not terminated, every page.
pub async fn open_sessions(client: &Client) -> Result<u64, ClientError> {
    Ok(running_session_ids(client).await?.len() as u64)
}

/// Ids of the API's sessions that are not terminated, every page.
pub async fn running_session_ids(client: &Client) -> Result<Vec<String>, ClientError> {
    let mut ids = Vec::new();
    let mut options = ListOptions { limit: Some(100), ..ListOptions::default() };
    loop {
        let page = client.list_sessions(&options).await?;
        ids.extend(page.data.into_iter().filter(|s| s.status != "terminated").map(|s| s.id));
        match page.next_page {
            Some(next) if !next.is_empty() => options.page = Some(next),
            _ => return Ok(ids),
        }
    }
}

/// Sessions started through Vargate in the last 24 hours, from the control stream.
async fn started_today(store: &Store, tenant: &str) -> Result<u64, StoreError> {
    let since = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000 - DAY_MS;
    let mut filter = TimelineFilter { types: vec![SESSION_STARTED.into()], limit: 10_000, ..TimelineFilter::default() };
    let mut count = 0;
    loop {
        let page = match store.timeline(tenant, CONTROL_SESSION, &filter).await {
            Ok(page) => page,
            Err(StoreError::UnknownTenant(_) | StoreError::UnknownSession { .. }) => return Ok(count),
            Err(e) => return Err(e),
        };
        let Some(last) = page.last() else { return Ok(count) };
        filter.after_seq = Some(last.record.seq);
        count += page.iter().filter(|e| millis(&e.record.ts).is_none_or(|t| t >= since)).count() as u64;
    }
}

/// Milliseconds since the epoch of an RFC 3339 time (an unreadable one counts as recent: fail closed).
fn millis(ts: &str) -> Option<i128> {
    let t = time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).ok()?;
    Some(t.unix_timestamp_nanos() / 1_000_000)
}
