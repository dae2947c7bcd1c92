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
    let usage = &mut rec.object["usage"];
    // Written below through these objects (indexing into anything else would panic): a usage of another shape
    // starts again from zero.
    if !(usage.is_object() && usage["cache_creation"].is_object() && usage["list_cost"].is_object()) {
        *usage = zero_usage();
    }
    // Counted in place: a third of a busy session's events end a model request, and rebuilding the object
    // for each was most of the simulator's cost of emitting one.
    let add = |counter: &mut Value, key: &str| {
        let sum = counter.as_u64().unwrap_or(0) + m.get(key).and_then(Value::as_u64).unwrap_or(0);
        *counter = sum.into();
        sum
    };
    let input = add(&mut usage["input_tokens"], "input_tokens");
    let output = add(&mut usage["output_tokens"], "output_tokens");
    let read = add(&mut usage["cache_read_input_tokens"], "cache_read_input_tokens");
    let created = add(&mut usage["cache_creation"]["ephemeral_5m_input_tokens"], "cache_creation_input_tokens");
    #[allow(clippy::cast_precision_loss)] // token counts stay far below 2^52
    let cost = [input, output, read, created].iter().zip(PRICE_PER_MTOK).map(|(t, p)| *t as f64 * p / 1e6).sum::<f64>();
    usage["list_cost"]["amount"] = format!("{cost:.6}").into();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_requests_add_up_in_the_sessions_usage() {
        let (inbox, _rx) = tokio::sync::mpsc::unbounded_channel();
        let mut rec = SessionRecord {
            id: "sesn_1".into(),
            object: json!({"usage": zero_usage()}),
            events: Vec::new(),
            live: None,
            inbox,
            blockers: Vec::new(),
        };
        let end = |input: u64, created: u64| {
            json!({"type": "span.model_request_end", "model_usage": {"input_tokens": input, "output_tokens": 10,
                   "cache_read_input_tokens": 0, "cache_creation_input_tokens": created}})
        };
        append(&mut rec, end(1_000_000, 0), None);
        append(&mut rec, end(1_000_000, 1_000_000), None);
        let usage = &rec.object["usage"];
        assert_eq!(usage["input_tokens"], 2_000_000);
        assert_eq!(usage["output_tokens"], 20);
        assert_eq!(usage["cache_creation"]["ephemeral_5m_input_tokens"], 1_000_000);
        // 2M input at $3, 20 output at $15, 1M cache writes at $3.75 (per million tokens).
        assert_eq!(usage["list_cost"], json!({"amount": "9.750300", "currency": "USD"}));
        assert_eq!(usage["server_tool_use"], zero_usage()["server_tool_use"], "kept as it was");

        for garbage in [json!("garbage"), json!({"input_tokens": 7, "cache_creation": 5}), json!({"list_cost": []})] {
            rec.object["usage"] = garbage;
            append(&mut rec, end(5, 0), None);
            assert_eq!(rec.object["usage"]["input_tokens"], 5, "a usage of another shape starts again from zero");
        }
    }
}
