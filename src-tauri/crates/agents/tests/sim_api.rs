//! The simulator's resource endpoints over plain HTTP: CRUD round trips, the error envelope (400/401/404/409)
//! and cursor pagination, as `docs/managed-agents-sdk-schema.md` §2–§4 and §7–§9 specify them.

#[allow(dead_code)]
mod sim_support;

use reqwest::Method;
use serde_json::json;
use sim_support::{Api, always_allow, error_type};

#[tokio::test]
async fn agent_crud_and_versions() {
    let api = Api::default().await;
    let r = api
        .post(
            "/v1/agents",
            json!({"name": "a", "model": {"id": "claude-opus-4-8", "effort": "high"}, "tools": always_allow(),
                   "metadata": {"k": "v"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let a = r.body;
    let id = a["id"].as_str().expect("id");
    assert!(id.starts_with("agent_"));
    assert_eq!(a["type"], "agent");
    assert_eq!(a["version"], 1);
    assert_eq!(
        a["model"],
        json!({"id": "claude-opus-4-8", "effort": {"type": "high"}, "inference_geo": null, "speed": null})
    );
    assert_eq!(a["execution_identity"], json!({"type": "service_account"}));
    let toolset = &a["tools"][0];
    assert_eq!(toolset["default_config"], json!({"enabled": true, "permission_policy": {"type": "always_allow"}}));
    assert_eq!(toolset["configs"].as_array().map(Vec::len), Some(8));
    assert_eq!(toolset["configs"][0]["type"], toolset["configs"][0]["name"]);
    assert!(
        a["created_at"].as_str().is_some_and(|t| time::OffsetDateTime::parse(
            t,
            &time::format_description::well_known::Rfc3339
        )
        .is_ok())
    );

    let got = api.get(&format!("/v1/agents/{id}")).await;
    assert_eq!(got.body, a);

    let up = api
        .post(&format!("/v1/agents/{id}"), json!({"version": 1, "system": "be brief", "metadata": {"k": null}}))
        .await;
    assert_eq!(up.status, 200, "{:?}", up.body);
    assert_eq!(up.body["version"], 2);
    assert_eq!(up.body["system"], "be brief");
    assert_eq!(up.body["metadata"], json!({}));

    let stale = api.post(&format!("/v1/agents/{id}"), json!({"version": 1, "name": "b"})).await;
    assert_eq!(stale.status, 409);
    assert_eq!(error_type(&stale), "conflict_error");
    assert_eq!(stale.headers.get("x-should-retry").and_then(|v| v.to_str().ok()), Some("false"));

    let v1 = api.get(&format!("/v1/agents/{id}?version=1")).await;
    assert_eq!(v1.body["version"], 1);
    let versions = api.get(&format!("/v1/agents/{id}/versions")).await;
    let versions: Vec<i64> =
        versions.body["data"].as_array().expect("data").iter().filter_map(|v| v["version"].as_i64()).collect();
    assert_eq!(versions, vec![2, 1]);

    let archived = api.post(&format!("/v1/agents/{id}/archive"), json!({})).await;
    assert!(archived.body["archived_at"].is_string());
    let listed = api.get("/v1/agents").await;
    assert_eq!(listed.body["data"], json!([]));
    assert_eq!(listed.body["next_page"], json!(null));
    let all = api.get("/v1/agents?include_archived=true").await;
    assert_eq!(all.body["data"][0]["id"], id);
}

#[tokio::test]
async fn environment_crud() {
    let api = Api::default().await;
    let r = api
        .post(
            "/v1/environments",
            json!({"name": "e", "config": {"type": "cloud", "networking": {"type": "limited", "allowed_hosts": ["example.com"]},
                   "packages": {"pip": ["requests"]}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("env_"));
    assert_eq!(
        r.body["config"]["networking"],
        json!({"type": "limited", "allowed_hosts": ["example.com"], "allow_mcp_servers": false, "allow_package_managers": false})
    );
    assert_eq!(r.body["config"]["packages"]["pip"], json!(["requests"]));
    assert_eq!(r.body["config"]["packages"]["apt"], json!([]));

    let changed = api.post(&format!("/v1/environments/{id}"), json!({"config": {"type": "self_hosted"}})).await;
    assert_eq!(changed.status, 400);
    assert_eq!(error_type(&changed), "invalid_request_error");

    assert_eq!(api.get(&format!("/v1/environments/{id}")).await.body["name"], "e");
    assert_eq!(api.get("/v1/environments").await.body["data"][0]["id"], id.as_str());
    assert!(api.post(&format!("/v1/environments/{id}/archive"), json!({})).await.body["archived_at"].is_string());
    let del = api.delete(&format!("/v1/environments/{id}")).await;
    assert_eq!(del.body, json!({"id": id, "type": "environment_deleted"}));
    let gone = api.get(&format!("/v1/environments/{id}")).await;
    assert_eq!(gone.status, 404);
    assert_eq!(error_type(&gone), "not_found_error");
}

#[tokio::test]
async fn session_crud_and_lifecycle_errors() {
    let api = Api::default().await;
    let agent = api.agent(always_allow()).await;
    let env = api.environment().await;

    let no_env = api.post("/v1/sessions", json!({"agent": agent})).await;
    assert_eq!(no_env.status, 400);
    assert_eq!(error_type(&no_env), "invalid_request_error");
    let bad_agent = api.post("/v1/sessions", json!({"agent": "agent_nope", "environment_id": env})).await;
    assert_eq!(bad_agent.status, 404);

    let s = api
        .post(
            "/v1/sessions",
            json!({"agent": {"type": "agent", "id": agent, "version": 1}, "environment_id": env, "title": "t"}),
        )
        .await;
    assert_eq!(s.status, 200, "{:?}", s.body);
    let id = s.body["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("sesn_"));
    assert_eq!(s.body["status"], "idle");
    assert_eq!(s.body["agent"]["id"], agent.as_str());
    assert!(s.body["agent"].get("metadata").is_none(), "SessionAgent has no metadata");
    assert_eq!(s.body["vault_ids"], json!([]));
    assert_eq!(api.get(&format!("/v1/sessions/{id}")).await.body, s.body);

    let list = api.get(&format!("/v1/sessions?agent_id={agent}&statuses%5B%5D=idle")).await;
    assert_eq!(list.body["data"][0]["id"], id.as_str());
    assert_eq!(list.body["prev_page"], json!(null));
    assert_eq!(api.get("/v1/sessions?statuses[]=running").await.body["data"], json!([]));

    let up = api.post(&format!("/v1/sessions/{id}"), json!({"title": "renamed"})).await;
    assert_eq!(up.body["title"], "renamed");
    let hist = api.history(&id).await;
    assert_eq!(hist.last().map(|e| e["type"].clone()), Some(json!("session.updated")));

    let archived = api.post(&format!("/v1/sessions/{id}/archive"), json!({})).await;
    assert!(archived.body["archived_at"].is_string());
    let rejected = api.message(&id, "hi").await;
    assert_eq!(rejected.status, 409);
    assert_eq!(error_type(&rejected), "conflict_error");

    let del = api.delete(&format!("/v1/sessions/{id}")).await;
    assert_eq!(del.body, json!({"id": id, "type": "session_deleted"}));
    let gone = api.message(&id, "hi").await;
    assert_eq!(gone.status, 404);
    assert_eq!(error_type(&gone), "not_found_error");
}

#[tokio::test]
async fn auth_body_and_route_errors_use_the_envelope() {
    let api = Api::default().await;
    let no_auth =
        api.send(api.http.get(format!("{}/v1/agents", api.base)).header("anthropic-beta", sim_support::BETA)).await;
    assert_eq!(no_auth.status, 401);
    assert_eq!(error_type(&no_auth), "authentication_error");

    let x_api_key = api
        .send(
            api.http
                .get(format!("{}/v1/agents", api.base))
                .header("x-api-key", "k")
                .header("anthropic-beta", sim_support::BETA),
        )
        .await;
    assert_eq!(x_api_key.status, 200);

    let no_beta = api.send(api.http.get(format!("{}/v1/agents", api.base)).header("x-api-key", "k")).await;
    assert_eq!(no_beta.status, 400);
    assert_eq!(error_type(&no_beta), "invalid_request_error");

    for bad in ["{not json", "[1,2]", "{\"name\": 5, \"model\": \"m\"}", "{\"model\": \"m\"}"] {
        let r = api
            .send(api.request(Method::POST, "/v1/agents").header("content-type", "application/json").body(bad))
            .await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(error_type(&r), "invalid_request_error", "{bad}");
    }
    let r = api.send(api.request(Method::POST, "/v1/sessions/sesn_x/events").body("\u{0}\u{1}")).await;
    assert_eq!(r.status, 400);

    let unknown = api.get("/v1/agents/agent_missing").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(error_type(&unknown), "not_found_error");
    let route = api.get("/v1/nothing/here").await;
    assert_eq!(route.status, 404);
    assert_eq!(error_type(&route), "not_found_error");
    let ok = api.get("/v1/agents").await;
    assert!(ok.headers.get("request-id").is_some_and(|v| v.to_str().is_ok_and(|s| s.starts_with("req_"))));
}

#[tokio::test]
async fn agents_paginate_with_opaque_cursors() {
    let api = Api::default().await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(api.agent(always_allow()).await);
    }
    let mut seen = Vec::new();
    let mut page: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let path = match &page {
            Some(p) => format!("/v1/agents?limit=2&page={p}"),
            None => "/v1/agents?limit=2".to_owned(),
        };
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let data = r.body["data"].as_array().expect("data").clone();
        sizes.push(data.len());
        seen.extend(data.iter().filter_map(|a| a["id"].as_str().map(str::to_owned)));
        match r.body["next_page"].as_str() {
            Some(next) => page = Some(next.to_owned()),
            None => {
                assert!(r.body.get("next_page").is_some(), "next_page key present (null) on the last page");
                break;
            }
        }
    }
    assert_eq!(sizes, vec![2, 2, 1]);
    created.reverse(); // newest first
    assert_eq!(seen, created);

    let bad_limit = api.get("/v1/agents?limit=0").await;
    assert_eq!(bad_limit.status, 400);
    let bad_cursor = api.get("/v1/agents?page=garbage").await;
    assert_eq!(bad_cursor.status, 400);
    assert_eq!(error_type(&bad_cursor), "invalid_request_error");
}

#[tokio::test]
async fn session_list_cursor_remembers_its_order() {
    let api = Api::default().await;
    let agent = api.agent(always_allow()).await;
    let env = api.environment().await;
    for _ in 0..3 {
        api.post("/v1/sessions", json!({"agent": agent, "environment_id": env})).await;
    }
    let first = api.get("/v1/sessions?limit=1&order=asc").await;
    let next = first.body["next_page"].as_str().expect("cursor").to_owned();
    let mismatched = api.get(&format!("/v1/sessions?limit=1&order=desc&page={next}")).await;
    assert_eq!(mismatched.status, 400);
    let second = api.get(&format!("/v1/sessions?limit=1&order=asc&page={next}")).await;
    assert_eq!(second.status, 200);
    assert_ne!(second.body["data"][0]["id"], first.body["data"][0]["id"]);
}

#[tokio::test]
async fn framework_rejections_also_use_the_envelope() {
    let api = Api::default().await;
    let bad_path = api.get("/v1/agents/%FF%FE").await;
    assert_eq!(bad_path.status, 400);
    assert_eq!(error_type(&bad_path), "invalid_request_error");
    let wrong_method = api.send(api.request(Method::PUT, "/v1/agents")).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(error_type(&wrong_method), "invalid_request_error");
    let huge = api.send(api.request(Method::POST, "/v1/agents").body(vec![b' '; 3 * 1024 * 1024])).await;
    assert_eq!(huge.status, 413);
    assert_eq!(error_type(&huge), "invalid_request_error");
}
