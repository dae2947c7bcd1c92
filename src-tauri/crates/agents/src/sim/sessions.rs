//! `/v1/sessions`: create (snapshotting the agent, requiring an environment, starting the session's worker),
//! retrieve, update, list (bidirectional cursor, filters), archive and delete (schema §2, §9).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::agent_shape as shape;
use super::agents::time_bound;
use super::body::{self, Obj, type_of};
use super::emit::{append, zero_usage};
use super::error::{SimError, SimResult};
use super::events_api;
use super::ids::{new_id, now_rfc3339, parse_rfc3339};
use super::query::{Order, Query, paginate};
use super::runner;
use super::state::{SessionRecord, Shared, Store};

fn resolve_agent(store: &Store, p: &Value) -> SimResult<Value> {
    let (id, version, overrides) = match p {
        Value::String(id) => (id.as_str(), None, None),
        Value::Object(o) if matches!(type_of(p), Some("agent" | "agent_with_overrides")) => {
            let id = body::req_str(o, "id")?;
            let version = o.get("version").and_then(Value::as_i64);
            (id, version, (type_of(p) == Some("agent_with_overrides")).then_some(o))
        }
        _ => return Err(SimError::bad_request("agent: expected an agent id or {type:\"agent\", id, version}")),
    };
    let rec = store.agent(id).ok_or_else(|| SimError::not_found("agent", id))?;
    let agent = match version {
        None => rec.current(),
        Some(v) => rec.version(v).ok_or_else(|| SimError::not_found("agent version", &format!("{id}@{v}")))?,
    };
    if agent["archived_at"].is_string() {
        return Err(SimError::bad_request(format!("agent {id} is archived")));
    }
    let mut snap = shape::session_agent(&agent);
    if let Some(o) = overrides {
        shape::apply_overrides(&mut snap, o)?;
    }
    Ok(snap)
}

fn resources(p: &Obj, now: &str) -> SimResult<Value> {
    let mut out = Vec::new();
    for r in body::opt_array(p, "resources")?.into_iter().flatten() {
        out.push(match type_of(r) {
            Some("github_repository") => {
                let url = r.get("url").and_then(Value::as_str).ok_or_else(|| SimError::bad_request("resources[].url: field required"))?;
                let repo = url.trim_end_matches('/').trim_end_matches(".git").rsplit('/').next().unwrap_or("repo");
                json!({"type": "github_repository", "id": new_id("sres"), "url": url,
                    "mount_path": r.get("mount_path").and_then(Value::as_str).map_or_else(|| format!("/workspace/{repo}"), str::to_owned),
                    "checkout": r.get("checkout").cloned().unwrap_or(Value::Null), "created_at": now, "updated_at": now})
            }
            Some("file") => {
                let file_id =
                    r.get("file_id").and_then(Value::as_str).ok_or_else(|| SimError::bad_request("resources[].file_id: field required"))?;
                json!({"type": "file", "id": new_id("sres"), "file_id": file_id,
                    "mount_path": r.get("mount_path").and_then(Value::as_str).map_or_else(|| format!("/mnt/session/uploads/{file_id}"), str::to_owned),
                    "created_at": now, "updated_at": now})
            }
            Some("memory_store") => {
                let id = r
                    .get("memory_store_id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| SimError::bad_request("resources[].memory_store_id: field required"))?;
                json!({"type": "memory_store", "memory_store_id": id, "access": r.get("access").cloned().unwrap_or(json!("read_write")),
                    "instructions": r.get("instructions").cloned().unwrap_or(Value::Null), "description": null, "mount_path": null, "name": null})
            }
            _ => return Err(SimError::bad_request("resources[].type: expected github_repository, file or memory_store")),
        });
    }
    Ok(Value::Array(out))
}

fn budget(v: Option<&Value>) -> SimResult<Value> {
    match v {
        None | Some(Value::Null) => Ok(Value::Null),
        Some(b) if type_of(b) == Some("limit") => {
            let amount = b["max_list_cost"]["amount"].as_str().filter(|a| a.parse::<f64>().is_ok());
            match amount {
                Some(a) => Ok(json!({"type": "limit", "max_list_cost": {"amount": a, "currency": "USD"}})),
                None => Err(SimError::bad_request("budget.max_list_cost.amount: expected a decimal string")),
            }
        }
        Some(_) => Err(SimError::bad_request("budget.type: expected limit")),
    }
}

pub async fn create(State(sh): State<Arc<Shared>>, bytes: Bytes) -> SimResult<Json<Value>> {
    let p = body::object(&bytes)?;
    let agent_param = p.get("agent").ok_or_else(|| SimError::bad_request("agent: field required"))?;
    let env_id = body::req_str(&p, "environment_id")?;
    let initial_events = body::opt_array(&p, "initial_events")?;
    if let Some(initial) = initial_events {
        if initial.len() > 50 {
            return Err(SimError::bad_request("initial_events: at most 50 events"));
        }
        if initial.iter().any(|e| !matches!(type_of(e), Some("user.message" | "user.define_outcome"))) {
            return Err(SimError::bad_request("initial_events: only user.message and user.define_outcome are allowed"));
        }
    }
    let now = now_rfc3339();
    let id = new_id("sesn");
    let (tx, rx) = mpsc::unbounded_channel();
    let scenario_name;
    let object;
    {
        let mut store = sh.store();
        let agent = resolve_agent(&store, agent_param)?;
        let env = store.environment_mut(env_id).ok_or_else(|| SimError::not_found("environment", env_id))?;
        if env["archived_at"].is_string() {
            return Err(SimError::bad_request(format!("environment {env_id} is archived (environment_archived)")));
        }
        let metadata = body::metadata(&p)?;
        let agent_meta = store.agent(agent["id"].as_str().unwrap_or("")).map(|a| a.current()["metadata"].clone());
        scenario_name = metadata
            .get("sim_scenario")
            .or_else(|| agent_meta.as_ref().and_then(|m| m.get("sim_scenario")))
            .and_then(Value::as_str)
            .unwrap_or(&sh.config.default_scenario)
            .to_owned();
        if !sh.scenarios.contains_key(&scenario_name) {
            return Err(SimError::bad_request(format!("metadata.sim_scenario: unknown scenario {scenario_name:?}")));
        }
        let vault_ids: Vec<Value> = body::opt_array(&p, "vault_ids")?.cloned().unwrap_or_default();
        object = json!({
            "id": id,
            "type": "session",
            "status": "idle",
            "agent": agent,
            "environment_id": env_id,
            "title": body::opt_str(&p, "title")?,
            "metadata": metadata,
            "resources": resources(&p, &now)?,
            "vault_ids": vault_ids,
            "budget": budget(p.get("budget"))?,
            "outcome_evaluations": [],
            "usage": zero_usage(),
            "stats": {"active_seconds": 0.0, "duration_seconds": 0.0},
            "deployment_id": null,
            "created_at": now,
            "updated_at": now,
            "archived_at": null,
        });
        store.sessions.push(SessionRecord {
            id: id.clone(),
            object: object.clone(),
            events: Vec::new(),
            live: None,
            inbox: tx,
            blockers: Vec::new(),
        });
    }
    let scenario = sh.scenarios.get(&scenario_name).cloned().unwrap_or_else(|| unreachable_scenario(&sh));
    runner::spawn(sh.clone(), id.clone(), scenario, rx);
    if let Some(initial) = initial_events
        && let Err(e) = events_api::accept(&sh, &id, initial)
    {
        sh.store().sessions.retain(|s| s.id != id);
        return Err(e);
    }
    Ok(Json(object))
}

/// Existence was checked above; fall back to the default scenario rather than panic.
fn unreachable_scenario(sh: &Shared) -> Arc<super::scenario::Scenario> {
    sh.scenarios.values().next().cloned().unwrap_or_else(|| {
        Arc::new(super::scenario::Scenario { name: "empty".into(), description: String::new(), turns: Vec::new() })
    })
}

pub async fn retrieve(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> SimResult<Json<Value>> {
    sh.store().session(&id).map(|s| Json(s.object.clone())).ok_or_else(|| SimError::not_found("session", &id))
}

pub async fn update(State(sh): State<Arc<Shared>>, Path(id): Path<String>, bytes: Bytes) -> SimResult<Json<Value>> {
    let p = body::object(&bytes)?;
    let mut store = sh.store();
    let rec = store.session_mut(&id).ok_or_else(|| SimError::not_found("session", &id))?;
    let mut next = rec.object.clone();
    let mut changed = json!({"type": "session.updated"});
    if p.contains_key("title") {
        next["title"] = json!(body::opt_str(&p, "title")?);
        changed["title"] = next["title"].clone();
    }
    if let Some(m) = p.get("metadata") {
        body::patch_metadata(&mut next["metadata"], m, false)?;
        changed["metadata"] = next["metadata"].clone();
    }
    if p.contains_key("budget") {
        if rec.object["budget"].is_null() {
            return Err(SimError::bad_request(
                "budget: a budget can only be replaced if the session was created with one (budget_create_only)",
            ));
        }
        next["budget"] = budget(p.get("budget"))?;
        changed["budget"] = next["budget"].clone();
    }
    if p.get("vault_ids").is_some_and(|v| !v.is_null()) {
        return Err(SimError::bad_request("vault_ids: updating vault_ids is not yet supported"));
    }
    if let Some(a) = p.get("agent").filter(|a| !a.is_null()) {
        if rec.status() == "running" {
            return Err(SimError::bad_request("agent: the session must not be running"));
        }
        let a = a.as_object().ok_or_else(|| SimError::bad_request("agent: expected an object"))?;
        if a.contains_key("tools") {
            next["agent"]["tools"] = shape::tools(a.get("tools"))?;
        }
        if a.contains_key("mcp_servers") {
            next["agent"]["mcp_servers"] = shape::mcp_servers(a.get("mcp_servers"))?;
        }
        changed["agent"] = next["agent"].clone();
    }
    next["updated_at"] = json!(now_rfc3339());
    rec.object = next.clone();
    if changed.as_object().is_some_and(|o| o.len() > 1) {
        append(rec, changed, None);
    }
    Ok(Json(next))
}

pub async fn list(State(sh): State<Arc<Shared>>, RawQuery(q): RawQuery) -> SimResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let include_archived = q.bool("include_archived")?;
    let agent_id = q.get("agent_id");
    let agent_version = q.int("agent_version")?;
    let statuses = q.all("statuses");
    let bounds = [
        ("created_at[gt]", time_bound(&q, "created_at[gt]")?),
        ("created_at[gte]", time_bound(&q, "created_at[gte]")?),
        ("created_at[lt]", time_bound(&q, "created_at[lt]")?),
        ("created_at[lte]", time_bound(&q, "created_at[lte]")?),
    ];
    let items: Vec<Value> = sh
        .store()
        .sessions
        .iter()
        .map(|s| &s.object)
        .filter(|s| include_archived || s["archived_at"].is_null())
        .filter(|s| agent_id.is_none_or(|a| s["agent"]["id"].as_str() == Some(a)))
        .filter(|s| agent_version.is_none_or(|v| s["agent"]["version"].as_i64() == Some(v)))
        .filter(|s| statuses.is_empty() || s["status"].as_str().is_some_and(|st| statuses.contains(&st)))
        .filter(|s| {
            let Some(c) = s["created_at"].as_str().and_then(parse_rfc3339) else { return false };
            bounds.iter().all(|(k, b)| match (k, b) {
                (_, None) => true,
                (&"created_at[gt]", Some(b)) => c > *b,
                (&"created_at[gte]", Some(b)) => c >= *b,
                (&"created_at[lt]", Some(b)) => c < *b,
                (_, Some(b)) => c <= *b,
            })
        })
        .cloned()
        .collect();
    let order = q.order(Order::Desc)?;
    let page = paginate(&items, &q, order, 100)?;
    Ok(Json(json!({"data": page.data, "next_page": page.next_page, "prev_page": null})))
}

pub async fn archive(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> SimResult<Json<Value>> {
    let mut store = sh.store();
    let rec = store.session_mut(&id).ok_or_else(|| SimError::not_found("session", &id))?;
    if rec.object["archived_at"].is_null() {
        let now = now_rfc3339();
        rec.object["archived_at"] = json!(now);
        rec.object["updated_at"] = json!(now);
    }
    Ok(Json(rec.object.clone()))
}

pub async fn delete(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> SimResult<Json<Value>> {
    let mut store = sh.store();
    let pos = store.sessions.iter().position(|s| s.id == id).ok_or_else(|| SimError::not_found("session", &id))?;
    let mut rec = store.sessions.remove(pos);
    // Open streams see `session.deleted` and end; dropping the record closes the worker's inbox.
    append(&mut rec, json!({"type": "session.deleted"}), None);
    Ok(Json(json!({"id": id, "type": "session_deleted"})))
}
