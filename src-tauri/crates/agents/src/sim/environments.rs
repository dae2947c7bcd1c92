//! `/v1/environments`: create, retrieve, update, list, archive and delete (schema §2, §8). Configs are
//! stored resolved: cloud networking and all six package lists are always present.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use bytes::Bytes;
use serde_json::{Value, json};

use super::body::{self, type_of};
use super::error::{SimError, SimResult};
use super::ids::{new_id, now_rfc3339};
use super::query::{Order, Query, paginate};
use super::state::Shared;

const PACKAGE_MANAGERS: [&str; 6] = ["apt", "cargo", "gem", "go", "npm", "pip"];

fn networking(v: Option<&Value>, current: Option<&Value>) -> SimResult<Value> {
    let Some(n) = v.filter(|n| !n.is_null()) else {
        return Ok(current.cloned().unwrap_or_else(|| json!({"type": "unrestricted"})));
    };
    match type_of(n) {
        Some("unrestricted") => Ok(json!({"type": "unrestricted"})),
        Some("limited") => Ok(json!({
            "type": "limited",
            "allowed_hosts": n.get("allowed_hosts").filter(|h| h.is_array()).cloned().unwrap_or_else(|| json!([])),
            "allow_mcp_servers": n.get("allow_mcp_servers").and_then(Value::as_bool).unwrap_or(false),
            "allow_package_managers": n.get("allow_package_managers").and_then(Value::as_bool).unwrap_or(false),
        })),
        _ => Err(SimError::bad_request("config.networking.type: expected unrestricted or limited")),
    }
}

fn packages(v: Option<&Value>, current: Option<&Value>) -> Value {
    let mut out = json!({"type": "packages"});
    for pm in PACKAGE_MANAGERS {
        let given = v.and_then(|p| p.get(pm)).filter(|l| l.is_array()).cloned();
        out[pm] = given.or_else(|| current.and_then(|c| c.get(pm)).cloned()).unwrap_or_else(|| json!([]));
    }
    out
}

/// A config param resolved against the `current` config (update keeps omitted keys).
fn config(v: Option<&Value>, current: Option<&Value>) -> SimResult<Value> {
    let Some(c) = v.filter(|c| !c.is_null()) else {
        return Ok(current
            .cloned()
            .unwrap_or_else(|| config(Some(&json!({"type": "cloud"})), None).unwrap_or_default()));
    };
    if let Some(cur) = current
        && type_of(cur) != type_of(c)
    {
        return Err(SimError::bad_request("config.type cannot be changed (invalid_config_type_change)"));
    }
    match type_of(c) {
        Some("cloud") => Ok(json!({
            "type": "cloud",
            "networking": networking(c.get("networking"), current.and_then(|x| x.get("networking")))?,
            "packages": packages(c.get("packages").filter(|p| !p.is_null()), current.and_then(|x| x.get("packages"))),
        })),
        Some("self_hosted") => Ok(json!({"type": "self_hosted"})),
        _ => Err(SimError::bad_request("config.type: expected cloud or self_hosted")),
    }
}

fn scope(v: Option<&Value>) -> SimResult<Value> {
    match v {
        None | Some(Value::Null) => Ok(json!("organization")),
        Some(Value::String(s)) if s == "organization" || s == "account" => Ok(json!(s)),
        Some(_) => Err(SimError::bad_request("scope: expected organization or account")),
    }
}

pub async fn create(State(sh): State<Arc<Shared>>, bytes: Bytes) -> SimResult<Json<Value>> {
    let p = body::object(&bytes)?;
    let now = now_rfc3339();
    let env = json!({
        "id": new_id("env"),
        "type": "environment",
        "name": body::req_str(&p, "name")?,
        "description": body::opt_str(&p, "description")?,
        "config": config(p.get("config"), None)?,
        "metadata": body::metadata(&p)?,
        "scope": scope(p.get("scope"))?,
        "created_at": now,
        "updated_at": now,
        "archived_at": null,
    });
    sh.store().environments.push(env.clone());
    Ok(Json(env))
}

pub async fn retrieve(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> SimResult<Json<Value>> {
    sh.store().environment_mut(&id).map(|e| Json(e.clone())).ok_or_else(|| SimError::not_found("environment", &id))
}

pub async fn update(State(sh): State<Arc<Shared>>, Path(id): Path<String>, bytes: Bytes) -> SimResult<Json<Value>> {
    let p = body::object(&bytes)?;
    let mut store = sh.store();
    let env = store.environment_mut(&id).ok_or_else(|| SimError::not_found("environment", &id))?;
    let mut next = env.clone();
    if let Some(name) = body::opt_str(&p, "name")? {
        next["name"] = json!(name);
    }
    if p.contains_key("description") {
        next["description"] = json!(body::opt_str(&p, "description")?);
    }
    if p.contains_key("config") {
        next["config"] = config(p.get("config"), env.get("config"))?;
    }
    if p.contains_key("scope") {
        next["scope"] = scope(p.get("scope"))?;
    }
    if let Some(m) = p.get("metadata") {
        body::patch_metadata(&mut next["metadata"], m, true)?;
    }
    next["updated_at"] = json!(now_rfc3339());
    *env = next.clone();
    Ok(Json(next))
}

pub async fn list(State(sh): State<Arc<Shared>>, RawQuery(q): RawQuery) -> SimResult<Json<Value>> {
    let q = Query::parse(q.as_deref());
    let include_archived = q.bool("include_archived")?;
    let items: Vec<Value> =
        sh.store().environments.iter().filter(|e| include_archived || e["archived_at"].is_null()).cloned().collect();
    let page = paginate(&items, &q, Order::Desc, 100)?;
    Ok(Json(json!({"data": page.data, "next_page": page.next_page})))
}

pub async fn archive(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> SimResult<Json<Value>> {
    let mut store = sh.store();
    let env = store.environment_mut(&id).ok_or_else(|| SimError::not_found("environment", &id))?;
    if env["archived_at"].is_null() {
        env["archived_at"] = json!(now_rfc3339());
    }
    Ok(Json(env.clone()))
}

pub async fn delete(State(sh): State<Arc<Shared>>, Path(id): Path<String>) -> SimResult<Json<Value>> {
    let mut store = sh.store();
    let before = store.environments.len();
    store.environments.retain(|e| e["id"].as_str() != Some(id.as_str()));
    if store.environments.len() == before {
        return Err(SimError::not_found("environment", &id));
    }
    Ok(Json(json!({"id": id, "type": "environment_deleted"})))
}
