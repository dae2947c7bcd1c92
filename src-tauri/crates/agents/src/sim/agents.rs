//! `/v1/agents`: create, retrieve (optionally a given `version`), update (a new version when something
//! changed, with the optimistic `version` check), list, archive and `versions` list (schema §2, §7).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use bytes::Bytes;
use serde_json::{Value, json};

use super::agent_shape as shape;
use super::body::{self, Obj};
use super::error::{SimError, SimResult};
use super::ids::{new_id, now_rfc3339, parse_rfc3339};
use super::query::{Order, Query, paginate};
use super::state::{AgentRecord, Shared};

fn build(p: &Obj, id: &str, version: i64, created_at: &str) -> SimResult<Value> {
    let name = body::req_str(p, "name")?;
    let model = shape::model(p.get("model").ok_or_else(|| SimError::bad_request("model: field required"))?)?;
    Ok(json!({
        "id": id,
        "type": "agent",
        "name": name,
        "description": body::opt_str(p, "description")?,
        "system": body::opt_str(p, "system")?,
        "model": model,
        "tools": shape::tools(p.get("tools"))?,
        "mcp_servers": shape::mcp_servers(p.get("mcp_servers"))?,
        "skills": shape::skills(p.get("skills"))?,
        "multiagent": shape::multiagent(p.get("multiagent"), id, version)?,
        "execution_identity": shape::execution_identity(p.get("execution_identity"))?,
        "metadata": body::metadata(p)?,
        "version": version,
        "created_at": created_at,
        "updated_at": created_at,
        "archived_at": null,
    }))
}

pub async fn create(State(sh): State<Arc<Shared>>, bytes: Bytes) -> SimResult<Json<Value>> {
    let p = body::object(&bytes)?;
    let id = new_id("agent");
    let agent = build(&p, &id, 1, &now_rfc3339())?;
    sh.store().agents.push(AgentRecord::new(id, &agent));
    Ok(Json(agent))
}

pub async fn retrieve(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> SimResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let version = q.int("version")?;
    let store = sh.store();
    let rec = store.agent(&id).ok_or_else(|| SimError::not_found("agent", &id))?;
    match version {
        None => Ok(Json(rec.current())),
        Some(v) => rec.version(v).map(Json).ok_or_else(|| SimError::not_found("agent version", &format!("{id}@{v}"))),
    }
}

pub async fn update(State(sh): State<Arc<Shared>>, Path(id): Path<String>, bytes: Bytes) -> SimResult<Json<Value>> {
    let p = body::object(&bytes)?;
    let mut store = sh.store();
    let rec = store.agent_mut(&id).ok_or_else(|| SimError::not_found("agent", &id))?;
    let current = rec.current();
    let version = current["version"].as_i64().unwrap_or(1);
    if let Some(expected) = p.get("version").filter(|v| !v.is_null())
        && expected.as_i64() != Some(version)
    {
        return Err(SimError::conflict(format!("agent {id} is at version {version}, not {expected}")));
    }
    if current["archived_at"].is_string() {
        return Err(SimError::bad_request(format!("agent {id} is archived")));
    }
    let mut next = current.clone();
    if let Some(name) = p.get("name") {
        next["name"] = json!(name.as_str().ok_or_else(|| SimError::bad_request("name: expected a string"))?);
    }
    for key in ["description", "system"] {
        if let Some(v) = p.get(key) {
            next[key] = match v {
                Value::String(s) if s.is_empty() => Value::Null,
                Value::String(_) | Value::Null => v.clone(),
                _ => return Err(SimError::bad_request(format!("{key}: expected a string or null"))),
            };
        }
    }
    if let Some(m) = p.get("model") {
        next["model"] = shape::model(m)?;
    }
    if p.contains_key("tools") {
        next["tools"] = shape::tools(p.get("tools"))?;
    }
    if p.contains_key("mcp_servers") {
        next["mcp_servers"] = shape::mcp_servers(p.get("mcp_servers"))?;
    }
    if p.contains_key("skills") {
        next["skills"] = shape::skills(p.get("skills"))?;
    }
    if p.contains_key("multiagent") {
        next["multiagent"] = shape::multiagent(p.get("multiagent"), &id, version + 1)?;
    }
    if p.contains_key("execution_identity") {
        next["execution_identity"] = shape::execution_identity(p.get("execution_identity"))?;
    }
    if let Some(m) = p.get("metadata") {
        body::patch_metadata(&mut next["metadata"], m, false)?;
    }
    if next == current {
        return Ok(Json(current));
    }
    next["version"] = json!(version + 1);
    next["updated_at"] = json!(now_rfc3339());
    rec.push(&next);
    Ok(Json(next))
}

pub async fn list(State(sh): State<Arc<Shared>>, RawQuery(q): RawQuery) -> SimResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let include_archived = q.bool("include_archived")?;
    let gte = time_bound(&q, "created_at[gte]")?;
    let lte = time_bound(&q, "created_at[lte]")?;
    let items: Vec<Value> = sh
        .store()
        .agents
        .iter()
        .map(AgentRecord::current)
        .filter(|a| include_archived || a["archived_at"].is_null())
        .filter(|a| {
            let created = a["created_at"].as_str().and_then(parse_rfc3339);
            gte.is_none_or(|b| created.is_some_and(|c| c >= b)) && lte.is_none_or(|b| created.is_some_and(|c| c <= b))
        })
        .collect();
    let page = paginate(&items, &q, Order::Desc, 100)?;
    Ok(Json(json!({"data": page.data, "next_page": page.next_page})))
}

pub async fn archive(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> SimResult<Json<Value>> {
    let mut store = sh.store();
    let rec = store.agent_mut(&id).ok_or_else(|| SimError::not_found("agent", &id))?;
    rec.archive(&now_rfc3339());
    Ok(Json(rec.current()))
}

pub async fn versions(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> SimResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let items = sh.store().agent(&id).ok_or_else(|| SimError::not_found("agent", &id))?.versions();
    let page = paginate(&items, &q, Order::Desc, 100)?;
    Ok(Json(json!({"data": page.data, "next_page": page.next_page})))
}

/// A `created_at[op]` bound.
pub fn time_bound(q: &Query, key: &str) -> SimResult<Option<time::OffsetDateTime>> {
    q.get(key)
        .map(|v| {
            parse_rfc3339(v).ok_or_else(|| SimError::bad_request(format!("{key}: expected an RFC 3339 timestamp")))
        })
        .transpose()
}
