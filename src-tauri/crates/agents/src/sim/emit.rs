//! Appending a session event: assign its `sevt_` id and `processed_at`, keep it in the log, update the session
//! object it affects (status, cumulative usage), and broadcast it to open streams. Shared by the request
//! handlers (echoes of user events) and the session workers (agent behaviour).

use serde_json::{Value, json};
use std::sync::Arc;

use super::ids::{new_id, now_rfc3339};
use super::state::{Blocker, SessionRecord};

/// List price per million tokens used for `usage.list_cost` (input, output, cache read, cache write).
const PRICE_PER_MTOK: [f64; 4] = [3.0, 15.0, 0.3, 3.75];

/// Appends `ev` (without `id`/`processed_at`) to `rec`, registering `blocker` for it, and returns the stored
/// event (shared by the history and the live streams: a busy session's events are not copied per stream).
pub fn append(rec: &mut SessionRecord, mut ev: Value, blocker: Option<Blocker>) -> Arc<Value> {
    let id = new_id("sevt");
    let now = now_rfc3339();
    if let Some(o) = ev.as_object_mut() {
        o.insert("id".to_owned(), json!(id));
        o.insert("processed_at".to_owned(), json!(now));
    }
    match ev.get("type").and_then(Value::as_str).unwrap_or("") {
        "session.status_running" => set_status(rec, "running", &now),
        "session.status_idle" => set_status(rec, "idle", &now),
        "session.status_terminated" => set_status(rec, "terminated", &now),
        "span.model_request_end" => add_usage(rec, &ev["model_usage"]),
        "session.usage" => {
            ev["usage"] = rec.object["usage"].clone();
            ev["budget"] = rec.object["budget"].clone();
        }
        _ => {}
    }
    if let Some(b) = blocker {
        rec.blockers.push((id, b));
    }
    let ev = Arc::new(ev);
    rec.events.push(ev.clone());
    rec.broadcast(ev.clone());
    ev
}

fn set_status(rec: &mut SessionRecord, status: &str, now: &str) {
    rec.object["status"] = json!(status);
    rec.object["updated_at"] = json!(now);
}

fn add_usage(rec: &mut SessionRecord, m: &Value) {
    let get = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0);
    let usage = &mut rec.object["usage"];
    let input = get(usage, "input_tokens") + get(m, "input_tokens");
    let output = get(usage, "output_tokens") + get(m, "output_tokens");
    let read = get(usage, "cache_read_input_tokens") + get(m, "cache_read_input_tokens");
    let created = get(&usage["cache_creation"], "ephemeral_5m_input_tokens") + get(m, "cache_creation_input_tokens");
    #[allow(clippy::cast_precision_loss)] // token counts stay far below 2^52
    let cost = [input, output, read, created].iter().zip(PRICE_PER_MTOK).map(|(t, p)| *t as f64 * p / 1e6).sum::<f64>();
    *usage = json!({
        "input_tokens": input,
        "output_tokens": output,
        "cache_read_input_tokens": read,
        "cache_creation": { "ephemeral_5m_input_tokens": created, "ephemeral_1h_input_tokens": 0 },
        "server_tool_use": usage.get("server_tool_use").cloned().unwrap_or_else(|| json!({"web_search_requests": 0, "web_fetch_requests": 0})),
        "list_cost": { "amount": format!("{cost:.6}"), "currency": "USD" },
        "active_seconds": usage.get("active_seconds").cloned().unwrap_or(json!(0.0)),
    });
}

/// A fresh SessionUsage.
pub fn zero_usage() -> Value {
    json!({
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": { "ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0 },
        "server_tool_use": { "web_search_requests": 0, "web_fetch_requests": 0 },
        "list_cost": { "amount": "0.000000", "currency": "USD" },
        "active_seconds": 0.0,
    })
}

/// Whether the session's spend reached its budget (`budget.max_list_cost.amount`).
pub fn over_budget(rec: &SessionRecord) -> bool {
    let amount = |v: &Value| v.as_str().and_then(|s| s.parse::<f64>().ok());
    match (
        amount(&rec.object["budget"]["max_list_cost"]["amount"]),
        amount(&rec.object["usage"]["list_cost"]["amount"]),
    ) {
        (Some(max), Some(spent)) => spent >= max,
        _ => false,
    }
}
