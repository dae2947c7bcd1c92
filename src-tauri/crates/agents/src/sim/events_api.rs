//! `POST /v1/sessions/{id}/events` (validate the whole batch, then echo each user event with a `sevt_` id and
//! hand it to the session worker) and `GET …/events` (history with `types[]`, `created_at[op]` on
//! `processed_at`, `order` and cursor pagination). Schema §10.1–§10.2.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use super::agents::time_bound;
use super::body::{self, type_of};
use super::emit::append;
use super::error::{SimError, SimResult};
use super::ids::{new_id, parse_rfc3339};
use super::query::{Order, Query, paginate};
use super::state::{Blocker, Decision, Input, SessionRecord, Shared};

const MESSAGE_BLOCKS: [&str; 4] = ["text", "image", "document", "redacted"];
const RESULT_BLOCKS: [&str; 4] = ["text", "image", "document", "search_result"];

pub async fn send(State(sh): State<Arc<Shared>>, Path(id): Path<String>, bytes: Bytes) -> SimResult<Json<Value>> {
    let p = body::object(&bytes)?;
    let events = body::opt_array(&p, "events")?.ok_or_else(|| SimError::bad_request("events: field required"))?;
    let echoes = accept(&sh, &id, events)?;
    Ok(Json(json!({"data": echoes})))
}

/// Validates `events` as one batch against session `id` and, only if all are valid, records and acts on them.
pub fn accept(sh: &Shared, id: &str, events: &[Value]) -> SimResult<Vec<Value>> {
    if events.is_empty() {
        return Err(SimError::bad_request("events: at least one event is required"));
    }
    let mut store = sh.store();
    let self_hosted = {
        let rec = store.session(id).ok_or_else(|| SimError::not_found("session", id))?;
        let env_id = rec.object["environment_id"].as_str().unwrap_or("").to_owned();
        store.environment_mut(&env_id).is_some_and(|e| type_of(&e["config"]) == Some("self_hosted"))
    };
    let rec = store.session_mut(id).ok_or_else(|| SimError::not_found("session", id))?;
    if rec.is_archived() {
        return Err(SimError::conflict(format!("session {id} is archived")));
    }
    if rec.status() == "terminated" {
        return Err(SimError::conflict(format!("session {id} is terminated")));
    }
    let mut shaped = Vec::with_capacity(events.len());
    for (i, ev) in events.iter().enumerate() {
        shaped.push(
            shape(rec, ev, i, events, self_hosted)
                .map_err(|e| SimError { message: format!("events[{i}]: {}", e.message), ..e })?,
        );
    }
    let mut echoes = Vec::with_capacity(shaped.len());
    for ev in shaped {
        let input = act(rec, &ev);
        echoes.push(Value::clone(&append(rec, ev, None)));
        if let Some(input) = input {
            // A closed inbox means the worker is gone (shutdown); the echo is still recorded.
            let _ = rec.inbox.send(input);
        }
    }
    Ok(echoes)
}

/// The echo object (without id/processed_at) for a client event, or a 400.
fn shape(rec: &SessionRecord, ev: &Value, index: usize, all: &[Value], self_hosted: bool) -> SimResult<Value> {
    let o = ev.as_object().ok_or_else(|| SimError::bad_request("expected an event object"))?;
    match type_of(ev) {
        Some("user.message") => {
            Ok(json!({"type": "user.message", "content": content(o.get("content"), &MESSAGE_BLOCKS, true)?}))
        }
        Some("user.interrupt") => {
            Ok(json!({"type": "user.interrupt", "session_thread_id": body::opt_str(o, "session_thread_id")?}))
        }
        Some("user.tool_confirmation") => {
            let tool_use_id = body::req_str(o, "tool_use_id")?;
            let result = body::req_str(o, "result")?;
            let deny_message = body::opt_str(o, "deny_message")?;
            match result {
                "allow" if deny_message.is_some() => {
                    return Err(SimError::bad_request("deny_message is only allowed with result deny"));
                }
                "allow" | "deny" => {}
                _ => return Err(SimError::bad_request("result: expected allow or deny")),
            }
            let pending = rec
                .blockers
                .iter()
                .any(|(b, k)| b == tool_use_id && matches!(k, Blocker::Confirmation { decision: None }));
            if !pending || duplicate(all, index, "tool_use_id", tool_use_id) {
                return Err(SimError::bad_request(format!(
                    "tool_use_id {tool_use_id}: no pending tool use awaiting confirmation (evaluated_permission is not ask, or it was already answered)"
                )));
            }
            Ok(
                json!({"type": "user.tool_confirmation", "tool_use_id": tool_use_id, "result": result, "deny_message": deny_message, "session_thread_id": null}),
            )
        }
        Some("user.custom_tool_result") => {
            let use_id = body::req_str(o, "custom_tool_use_id")?;
            let pending =
                rec.blockers.iter().any(|(b, k)| b == use_id && matches!(k, Blocker::CustomResult { answered: false }));
            if !pending || duplicate(all, index, "custom_tool_use_id", use_id) {
                return Err(SimError::bad_request(format!(
                    "custom_tool_use_id {use_id}: no pending custom tool use with this id"
                )));
            }
            Ok(json!({"type": "user.custom_tool_result", "custom_tool_use_id": use_id,
                "content": content(o.get("content"), &RESULT_BLOCKS, false)?, "is_error": o.get("is_error").and_then(Value::as_bool), "session_thread_id": null}))
        }
        Some("user.tool_result") => {
            if !self_hosted {
                return Err(SimError::bad_request("user.tool_result is only valid on self_hosted environments"));
            }
            let tool_use_id = body::req_str(o, "tool_use_id")?;
            Ok(json!({"type": "user.tool_result", "tool_use_id": tool_use_id,
                "content": content(o.get("content"), &RESULT_BLOCKS, false)?, "is_error": o.get("is_error").and_then(Value::as_bool), "session_thread_id": null}))
        }
        Some("user.define_outcome") => {
            let description = body::req_str(o, "description")?;
            let rubric = o.get("rubric").filter(|r| matches!(type_of(r), Some("text" | "file")));
            let rubric = rubric
                .ok_or_else(|| SimError::bad_request("rubric: expected {type:text,content} or {type:file,file_id}"))?;
            let max = o.get("max_iterations").and_then(Value::as_i64);
            if max.is_some_and(|m| !(1..=20).contains(&m)) {
                return Err(SimError::bad_request("max_iterations: must be between 1 and 20"));
            }
            Ok(
                json!({"type": "user.define_outcome", "outcome_id": new_id("outc"), "description": description, "rubric": rubric, "max_iterations": max}),
            )
        }
        Some("system.message") => {
            let after_ok = index
                .checked_sub(1)
                .and_then(|i| all.get(i))
                .and_then(type_of)
                .is_some_and(|t| matches!(t, "user.message" | "user.tool_result" | "user.custom_tool_result"));
            if index + 1 != all.len() || !after_ok {
                return Err(SimError::bad_request(
                    "system.message must be the last event, directly after a user.message, user.tool_result or user.custom_tool_result",
                ));
            }
            Ok(json!({"type": "system.message", "content": content(o.get("content"), &["text"], true)?}))
        }
        Some(other) => Err(SimError::bad_request(format!("type: {other:?} cannot be sent"))),
        None => Err(SimError::bad_request("type: field required")),
    }
}

/// Whether an earlier event of the batch already answers `id`.
fn duplicate(all: &[Value], index: usize, key: &str, id: &str) -> bool {
    all.iter().take(index).any(|e| e.get(key).and_then(Value::as_str) == Some(id))
}

fn content(v: Option<&Value>, allowed: &[&str], required: bool) -> SimResult<Value> {
    let blocks = match v {
        None | Some(Value::Null) if !required => return Ok(Value::Null),
        Some(Value::Array(b)) => b,
        _ => return Err(SimError::bad_request("content: expected an array of content blocks")),
    };
    for b in blocks {
        let t = type_of(b).unwrap_or("");
        if !allowed.contains(&t) {
            return Err(SimError::bad_request(format!("content: block type {t:?} is not allowed here")));
        }
        if t == "text" && !b.get("text").is_some_and(Value::is_string) {
            return Err(SimError::bad_request("content: text blocks need a string text"));
        }
    }
    Ok(Value::Array(blocks.clone()))
}

/// Updates blockers for a validated event and returns what the worker must hear.
fn act(rec: &mut SessionRecord, ev: &Value) -> Option<Input> {
    match type_of(ev)? {
        "user.message" => Some(Input::Message),
        "user.interrupt" => Some(Input::Interrupt),
        "user.tool_confirmation" => {
            let id = ev["tool_use_id"].as_str()?;
            let decision = match ev["result"].as_str() {
                Some("allow") => Decision::Allow,
                _ => Decision::Deny(ev["deny_message"].as_str().map(str::to_owned)),
            };
            let slot = rec.blockers.iter_mut().find(|(b, _)| b == id)?;
            slot.1 = Blocker::Confirmation { decision: Some(decision) };
            Some(Input::Resolved)
        }
        "user.custom_tool_result" => {
            let id = ev["custom_tool_use_id"].as_str()?;
            let slot = rec.blockers.iter_mut().find(|(b, _)| b == id)?;
            slot.1 = Blocker::CustomResult { answered: true };
            Some(Input::Resolved)
        }
        _ => None,
    }
}

pub async fn list(State(sh): State<Arc<Shared>>, Path(id): Path<String>, RawQuery(q): RawQuery) -> SimResult<Response> {
    let q = Query::parse(q.as_deref());
    let types = q.all("types");
    let gt = time_bound(&q, "created_at[gt]")?;
    let gte = time_bound(&q, "created_at[gte]")?;
    let lt = time_bound(&q, "created_at[lt]")?;
    let lte = time_bound(&q, "created_at[lte]")?;
    let order = q.order(Order::Asc)?;
    let page = {
        let store = sh.store();
        let rec = store.session(&id).ok_or_else(|| SimError::not_found("session", &id))?;
        // Events are kept in processed_at order, so the time bounds are two binary searches; a page costs
        // O(log n + page) instead of a scan (and a copy) of the whole history per request.
        let time_of = |e: &Value| e["processed_at"].as_str().and_then(parse_rfc3339);
        let events = &rec.events;
        let lo = events.partition_point(|e| {
            let t = time_of(e);
            gt.is_some_and(|b| t.is_none_or(|t| t <= b)) || gte.is_some_and(|b| t.is_none_or(|t| t < b))
        });
        let hi = events.partition_point(|e| {
            let t = time_of(e);
            lt.is_none_or(|b| t.is_some_and(|t| t < b)) && lte.is_none_or(|b| t.is_some_and(|t| t <= b))
        });
        let window = events.get(lo..hi.max(lo)).unwrap_or_default();
        let items: Vec<&Arc<Value>> =
            window.iter().filter(|e| types.is_empty() || type_of(e).is_some_and(|t| types.contains(&t))).collect();
        // The page shares the stored events (no copy of each, as building a `Value` of the page needed); they
        // are written out once the lock is released.
        let page = paginate(&items, &q, order, 1000)?;
        (page.data.into_iter().map(Arc::clone).collect::<Vec<Arc<Value>>>(), page.next_page)
    };
    let data: Vec<&Value> = page.0.iter().map(|e| &**e).collect();
    Ok(Json(EventPage { data, next_page: page.1 }).into_response())
}

/// A page of `GET /v1/sessions/{id}/events`.
#[derive(serde::Serialize)]
struct EventPage<'a> {
    data: Vec<&'a Value>,
    next_page: Option<String>,
}
