//! Turns AgentCreate/AgentUpdate params into the resolved response shapes of schema §6–§7: the model as an
//! object, every toolset with `default_config` and `configs` filled, skills with a version, and the default
//! execution identity. Also answers "which permission policy applies to this tool?" for the session runner.

use serde_json::{Value, json};

use super::body::{Obj, type_of};
use super::error::{SimError, SimResult};

/// The built-in tools of `agent_toolset_20260401`.
pub const BUILTIN_TOOLS: [&str; 8] = ["bash", "edit", "read", "write", "glob", "grep", "web_fetch", "web_search"];

const EFFORTS: [&str; 5] = ["low", "medium", "high", "xhigh", "max"];

/// `model` param (a name or a ModelConfigParams) → ModelConfig object.
pub fn model(v: &Value) -> SimResult<Value> {
    match v {
        Value::String(id) if !id.is_empty() => {
            Ok(json!({"id": id, "effort": null, "inference_geo": null, "speed": null}))
        }
        Value::Object(o) => {
            let id =
                o.get("id").and_then(Value::as_str).ok_or_else(|| SimError::bad_request("model.id: field required"))?;
            let effort = match o.get("effort") {
                None | Some(Value::Null) => Value::Null,
                Some(Value::String(e)) if EFFORTS.contains(&e.as_str()) => json!({"type": e}),
                Some(e @ Value::Object(_)) if type_of(e).is_some_and(|t| EFFORTS.contains(&t)) => {
                    json!({"type": type_of(e)})
                }
                Some(_) => return Err(SimError::bad_request("model.effort: expected low|medium|high|xhigh|max")),
            };
            let speed = match o.get("speed") {
                None | Some(Value::Null) => Value::Null,
                Some(Value::String(s)) if s == "standard" || s == "fast" => json!(s),
                Some(_) => return Err(SimError::bad_request("model.speed: expected standard or fast")),
            };
            let geo = o.get("inference_geo").cloned().unwrap_or(Value::Null);
            Ok(json!({"id": id, "effort": effort, "inference_geo": geo, "speed": speed}))
        }
        _ => Err(SimError::bad_request("model: expected a model name or a model config object")),
    }
}

fn policy(v: Option<&Value>, default: &str) -> SimResult<Value> {
    match v {
        None | Some(Value::Null) => Ok(json!({"type": default})),
        Some(p) if matches!(type_of(p), Some("always_allow" | "always_ask" | "auto")) => {
            Ok(json!({"type": type_of(p)}))
        }
        Some(_) => Err(SimError::bad_request("permission_policy: expected always_allow, always_ask or auto")),
    }
}

fn default_config(v: Option<&Value>, default_policy: &str) -> SimResult<Value> {
    let enabled = v.and_then(|d| d.get("enabled")).and_then(Value::as_bool).unwrap_or(true);
    let policy = policy(v.and_then(|d| d.get("permission_policy")), default_policy)?;
    Ok(json!({"enabled": enabled, "permission_policy": policy}))
}

/// One tools[] param entry → its resolved response form.
fn tool(t: &Value) -> SimResult<Value> {
    match type_of(t) {
        Some("agent_toolset_20260401") => {
            let dc = default_config(t.get("default_config"), "always_allow")?;
            let given: Vec<&Value> =
                t.get("configs").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
            let mut configs = Vec::new();
            for name in BUILTIN_TOOLS {
                let over = given.iter().find(|c| c.get("name").and_then(Value::as_str) == Some(name));
                let mut cfg = json!({
                    "name": name,
                    "type": name,
                    "enabled": over.and_then(|c| c.get("enabled")).and_then(Value::as_bool).unwrap_or(dc["enabled"].as_bool().unwrap_or(true)),
                    "permission_policy": match over.and_then(|c| c.get("permission_policy")).filter(|p| !p.is_null()) {
                        Some(p) => policy(Some(p), "always_allow")?,
                        None => dc["permission_policy"].clone(),
                    },
                });
                if let (Some(over), Some(obj)) = (over, cfg.as_object_mut()) {
                    for key in
                        ["allowed_domains", "blocked_domains", "max_content_tokens", "url_sources", "user_location"]
                    {
                        if let Some(v) = over.get(key).filter(|v| !v.is_null()) {
                            obj.insert(key.to_owned(), v.clone());
                        }
                    }
                }
                configs.push(cfg);
            }
            for c in &given {
                let name = c.get("name").and_then(Value::as_str).unwrap_or("");
                if !BUILTIN_TOOLS.contains(&name) {
                    return Err(SimError::bad_request(format!("tools: unknown built-in tool {name:?}")));
                }
            }
            Ok(json!({"type": "agent_toolset_20260401", "default_config": dc, "configs": configs}))
        }
        Some("mcp_toolset") => {
            let server = t
                .get("mcp_server_name")
                .and_then(Value::as_str)
                .ok_or_else(|| SimError::bad_request("tools[].mcp_server_name: field required"))?;
            let dc = default_config(t.get("default_config"), "always_ask")?;
            let mut configs = Vec::new();
            for c in t.get("configs").and_then(Value::as_array).into_iter().flatten() {
                let name = c
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| SimError::bad_request("configs[].name: field required"))?;
                configs.push(json!({
                    "name": name,
                    "enabled": c.get("enabled").and_then(Value::as_bool).unwrap_or(dc["enabled"].as_bool().unwrap_or(true)),
                    "permission_policy": match c.get("permission_policy").filter(|p| !p.is_null()) {
                        Some(p) => policy(Some(p), "always_ask")?,
                        None => dc["permission_policy"].clone(),
                    },
                }));
            }
            Ok(json!({"type": "mcp_toolset", "mcp_server_name": server, "default_config": dc, "configs": configs}))
        }
        Some("custom") => {
            let name = t.get("name").and_then(Value::as_str).unwrap_or("");
            let ok_name = !name.is_empty()
                && name.len() <= 128
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok_name {
                return Err(SimError::bad_request("tools[].name: 1-128 characters of [A-Za-z0-9_-]"));
            }
            let schema = t.get("input_schema").filter(|s| type_of(s) == Some("object"));
            let Some(schema) = schema else {
                return Err(SimError::bad_request("tools[].input_schema.type: must be \"object\""));
            };
            let description = t.get("description").and_then(Value::as_str).unwrap_or("");
            Ok(json!({"type": "custom", "name": name, "description": description, "input_schema": {
                "type": "object",
                "properties": schema.get("properties").cloned().unwrap_or(Value::Null),
                "required": schema.get("required").cloned().unwrap_or(Value::Null),
            }}))
        }
        _ => Err(SimError::bad_request("tools[].type: expected agent_toolset_20260401, mcp_toolset or custom")),
    }
}

pub fn tools(v: Option<&Value>) -> SimResult<Value> {
    let list = match v {
        None | Some(Value::Null) => return Ok(json!([])),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(SimError::bad_request("tools: expected an array")),
    };
    if list.len() > 256 {
        return Err(SimError::bad_request("tools: at most 256 tools"));
    }
    list.iter().map(tool).collect::<SimResult<Vec<_>>>().map(Value::Array)
}

pub fn mcp_servers(v: Option<&Value>) -> SimResult<Value> {
    let mut out = Vec::new();
    for s in v.and_then(Value::as_array).into_iter().flatten() {
        let (Some(name), Some(url)) = (s.get("name").and_then(Value::as_str), s.get("url").and_then(Value::as_str))
        else {
            return Err(SimError::bad_request("mcp_servers[]: name and url are required"));
        };
        out.push(json!({"type": "url", "name": name, "url": url}));
    }
    Ok(Value::Array(out))
}

pub fn skills(v: Option<&Value>) -> SimResult<Value> {
    let mut out = Vec::new();
    for s in v.and_then(Value::as_array).into_iter().flatten() {
        let kind = type_of(s).filter(|t| *t == "anthropic" || *t == "custom");
        let (Some(kind), Some(id)) = (kind, s.get("skill_id").and_then(Value::as_str)) else {
            return Err(SimError::bad_request("skills[]: type (anthropic|custom) and skill_id are required"));
        };
        let version = s.get("version").and_then(Value::as_str).unwrap_or("latest");
        out.push(json!({"type": kind, "skill_id": id, "version": version}));
    }
    Ok(Value::Array(out))
}

pub fn execution_identity(v: Option<&Value>) -> SimResult<Value> {
    match v {
        None | Some(Value::Null) => Ok(json!({"type": "service_account"})),
        Some(e) if type_of(e) == Some("service_account") => Ok(json!({"type": "service_account"})),
        Some(e) if type_of(e) == Some("aws_role") => match e.get("role_arn").and_then(Value::as_str) {
            Some(arn) => Ok(json!({"type": "aws_role", "role_arn": arn})),
            None => Err(SimError::bad_request("execution_identity.role_arn: field required")),
        },
        Some(_) => Err(SimError::bad_request("execution_identity: expected service_account or aws_role")),
    }
}

/// `multiagent` is passed through mostly as given (the simulator runs a single thread); bare agent ids and
/// `self` entries of a coordinator become `{type:"agent", id, version}`.
pub fn multiagent(v: Option<&Value>, self_id: &str, self_version: i64) -> SimResult<Value> {
    let Some(m) = v.filter(|m| !m.is_null()) else { return Ok(Value::Null) };
    match type_of(m) {
        Some("coordinator") => {
            let mut agents = Vec::new();
            for a in m.get("agents").and_then(Value::as_array).into_iter().flatten() {
                agents.push(match a {
                    Value::String(id) => json!({"type": "agent", "id": id, "version": 1}),
                    a if type_of(a) == Some("self") => json!({"type": "agent", "id": self_id, "version": self_version}),
                    a if type_of(a) == Some("agent") => {
                        json!({"type": "agent", "id": a.get("id").cloned().unwrap_or(Value::Null),
                        "version": a.get("version").and_then(Value::as_i64).unwrap_or(1)})
                    }
                    other => other.clone(),
                });
            }
            Ok(json!({"type": "coordinator", "agents": agents}))
        }
        Some("multiagent_20261001") => Ok(m.clone()),
        _ => Err(SimError::bad_request("multiagent.type: expected coordinator or multiagent_20261001")),
    }
}

/// How a built-in or MCP tool call is evaluated under an agent's resolved `tools`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permission {
    /// Runs without asking (`always_allow`, or `auto` deciding allow).
    Allow { policy: String },
    /// Waits for `user.tool_confirmation` (`always_ask`, or `auto` deciding ask).
    Ask { policy: String },
    /// Rejected without asking (`auto` deciding deny), or the tool is not enabled (`policy` None).
    Deny { policy: Option<String> },
}

/// The permission for tool `name` (of MCP server `mcp_server`, if any). `auto` resolves to `auto_verdict`.
pub fn permission(tools: &Value, mcp_server: Option<&str>, name: &str, auto_verdict: &str) -> Permission {
    let toolset = tools.as_array().into_iter().flatten().find(|t| match mcp_server {
        None => type_of(t) == Some("agent_toolset_20260401"),
        Some(server) => {
            type_of(t) == Some("mcp_toolset") && t.get("mcp_server_name").and_then(Value::as_str) == Some(server)
        }
    });
    let Some(toolset) = toolset else { return Permission::Deny { policy: None } };
    let cfg = toolset
        .get("configs")
        .and_then(Value::as_array)
        .and_then(|c| c.iter().find(|c| c.get("name").and_then(Value::as_str) == Some(name)))
        .unwrap_or(&toolset["default_config"]);
    if !cfg.get("enabled").and_then(Value::as_bool).unwrap_or(false) {
        return Permission::Deny { policy: None };
    }
    let fallback = if mcp_server.is_some() { "always_ask" } else { "always_allow" };
    let policy = cfg.get("permission_policy").and_then(type_of).unwrap_or(fallback).to_owned();
    match policy.as_str() {
        "always_allow" => Permission::Allow { policy },
        "auto" if auto_verdict == "allow" => Permission::Allow { policy },
        "auto" if auto_verdict == "deny" => Permission::Deny { policy: Some(policy) },
        _ => Permission::Ask { policy },
    }
}

/// The fields of an Agent object that a session snapshot (SessionAgent) keeps.
pub fn session_agent(agent: &Value) -> Value {
    let mut snap = agent.clone();
    if let Some(o) = snap.as_object_mut() {
        for key in ["metadata", "created_at", "updated_at", "archived_at"] {
            o.remove(key);
        }
    }
    snap
}

/// Applies `agent_with_overrides` overrides to a SessionAgent snapshot.
pub fn apply_overrides(snap: &mut Value, params: &Obj) -> SimResult<()> {
    if let Some(m) = params.get("model").filter(|m| !m.is_null()) {
        snap["model"] = model(m)?;
    }
    if let Some(s) = params.get("system") {
        snap["system"] = s.clone();
    }
    if params.contains_key("tools") {
        snap["tools"] = tools(params.get("tools"))?;
    }
    if params.contains_key("mcp_servers") {
        snap["mcp_servers"] = mcp_servers(params.get("mcp_servers"))?;
    }
    if params.contains_key("skills") {
        snap["skills"] = skills(params.get("skills"))?;
    }
    Ok(())
}
