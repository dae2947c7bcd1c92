//! Scenario-driven agent behaviour: permission policies (always_allow / always_ask / auto and deny),
//! confirmations, custom and MCP tools, session errors with each retry status, budgets and interrupts.
//! History is read over HTTP; `docs/simulator.md` describes the scenarios used here.

#[allow(dead_code)]
mod sim_support;

use serde_json::{Value, json};
use sim_support::{Api, always_allow, always_ask, error_type, types};

fn find<'a>(h: &'a [Value], kind: &str) -> &'a Value {
    h.iter().find(|e| e["type"] == kind).unwrap_or_else(|| panic!("no {kind} in {:?}", types(h)))
}

fn last_idle(h: &[Value]) -> &Value {
    h.iter().rev().find(|e| e["type"] == "session.status_idle").expect("an idle event")
}

#[tokio::test]
async fn always_allow_runs_the_tool_without_asking() {
    let api = Api::default().await;
    let s = api.session(always_allow(), "tool_use").await;
    assert_eq!(api.message(&s, "run the tests").await.status, 200);
    let h = api.wait_for(&s, "session.status_idle", 1).await;
    assert_eq!(
        types(&h),
        vec![
            "user.message",
            "session.status_running",
            "span.model_request_start",
            "agent.tool_use",
            "span.model_request_end",
            "agent.tool_result",
            "span.model_request_start",
            "agent.message",
            "span.model_request_end",
            "session.usage",
            "session.status_idle",
        ]
    );
    let tool = find(&h, "agent.tool_use");
    assert_eq!(tool["evaluated_permission"], "allow");
    assert_eq!(tool["evaluation"], json!({"type": "always_allow"}));
    let result = find(&h, "agent.tool_result");
    assert_eq!(result["tool_use_id"], tool["id"]);
    assert_eq!(result["is_error"], false);
    let end = find(&h, "span.model_request_end");
    assert_eq!(end["model_request_start_id"], find(&h, "span.model_request_start")["id"]);
    assert!(end["model_usage"]["input_tokens"].is_u64());
    assert_eq!(last_idle(&h)["stop_reason"], json!({"type": "end_turn"}));
    assert!(
        h.iter().all(|e| e["id"].as_str().is_some_and(|i| i.starts_with("sevt_")) && e["processed_at"].is_string())
    );

    // Confirming a call that was not `ask` is a 400.
    let r = api
        .send_events(&s, json!([{"type": "user.tool_confirmation", "tool_use_id": tool["id"], "result": "allow"}]))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(error_type(&r), "invalid_request_error");

    let session = api.get(&format!("/v1/sessions/{s}")).await.body;
    assert_eq!(session["status"], "idle");
    assert!(session["usage"]["input_tokens"].as_u64().is_some_and(|n| n > 0));
}

async fn ask_until_requires_action(api: &Api) -> (String, Value) {
    let s = api.session(always_ask(), "tool_use").await;
    api.message(&s, "run the tests").await;
    let h = api.wait_for(&s, "session.status_idle", 1).await;
    let tool = find(&h, "agent.tool_use").clone();
    assert_eq!(tool["evaluated_permission"], "ask");
    assert_eq!(tool["evaluation"], json!({"type": "always_ask"}));
    assert_eq!(last_idle(&h)["stop_reason"], json!({"type": "requires_action", "event_ids": [tool["id"]]}));
    assert!(!h.iter().any(|e| e["type"] == "agent.tool_result"), "the tool must not run before confirmation");
    assert_eq!(api.get(&format!("/v1/sessions/{s}")).await.body["status"], "idle");
    (s, tool)
}

#[tokio::test]
async fn always_ask_waits_for_an_allow() {
    let api = Api::default().await;
    let (s, tool) = ask_until_requires_action(&api).await;

    let unknown = api
        .send_events(&s, json!([{"type": "user.tool_confirmation", "tool_use_id": "sevt_nope", "result": "allow"}]))
        .await;
    assert_eq!(unknown.status, 400);
    let bad_msg = api
        .send_events(&s, json!([{"type": "user.tool_confirmation", "tool_use_id": tool["id"], "result": "allow", "deny_message": "x"}]))
        .await;
    assert_eq!(bad_msg.status, 400);

    let ok = api
        .send_events(&s, json!([{"type": "user.tool_confirmation", "tool_use_id": tool["id"], "result": "allow"}]))
        .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let echo = &ok.body["data"][0];
    assert_eq!(echo["type"], "user.tool_confirmation");
    assert!(echo["id"].as_str().is_some_and(|i| i.starts_with("sevt_")));

    let h = api.wait_for(&s, "session.status_idle", 2).await;
    let result = find(&h, "agent.tool_result");
    assert_eq!(result["tool_use_id"], tool["id"]);
    assert_eq!(result["is_error"], false);
    assert_eq!(result["content"][0]["text"], "test result: ok. 3 passed");
    assert_eq!(last_idle(&h)["stop_reason"], json!({"type": "end_turn"}));

    let again = api
        .send_events(&s, json!([{"type": "user.tool_confirmation", "tool_use_id": tool["id"], "result": "allow"}]))
        .await;
    assert_eq!(again.status, 400, "a call can be confirmed once");
}

#[tokio::test]
async fn always_ask_deny_returns_the_rejection_with_the_message() {
    let api = Api::default().await;
    let (s, tool) = ask_until_requires_action(&api).await;
    let r = api
        .send_events(
            &s,
            json!([{"type": "user.tool_confirmation", "tool_use_id": tool["id"], "result": "deny", "deny_message": "use staging"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let h = api.wait_for(&s, "session.status_idle", 2).await;
    let result = find(&h, "agent.tool_result");
    assert_eq!(result["is_error"], true);
    assert!(result["content"][0]["text"].as_str().is_some_and(|t| t.contains("use staging")), "{result}");
}

#[tokio::test]
async fn auto_policy_and_disabled_tools_are_evaluated() {
    let api = Api::default().await;
    let auto = json!([{"type": "agent_toolset_20260401", "default_config": {"permission_policy": {"type": "auto"}},
                       "configs": [{"name": "read", "enabled": false}]}]);
    let s = api.session(auto, "tool_use").await;
    api.message(&s, "go").await;
    let h = api.wait_for(&s, "session.status_idle", 1).await;
    let tool = find(&h, "agent.tool_use");
    assert_eq!(tool["evaluated_permission"], "ask");
    assert_eq!(
        tool["evaluation"],
        json!({"type": "auto", "evaluated_permission": {"type": "ask", "reason_code": "indeterminate"}})
    );

    let disabled = json!([{"type": "agent_toolset_20260401", "configs": [{"name": "bash", "enabled": false}]}]);
    let s = api.session(disabled, "tool_use").await;
    api.message(&s, "go").await;
    let h = api.wait_for(&s, "session.status_idle", 1).await;
    let tool = find(&h, "agent.tool_use");
    assert_eq!(tool["evaluated_permission"], "deny");
    assert_eq!(tool["evaluation"], Value::Null);
    assert_eq!(find(&h, "agent.tool_result")["is_error"], true);
    assert_eq!(last_idle(&h)["stop_reason"]["type"], "end_turn");
}

#[tokio::test]
async fn custom_tool_waits_for_the_client_result() {
    let api = Api::default().await;
    let s = api.session(always_allow(), "custom_tool").await;
    api.message(&s, "open it").await;
    let h = api.wait_for(&s, "session.status_idle", 1).await;
    let call = find(&h, "agent.custom_tool_use").clone();
    assert_eq!(call["name"], "open_in_editor");
    assert!(call.get("evaluated_permission").is_none());
    assert_eq!(last_idle(&h)["stop_reason"], json!({"type": "requires_action", "event_ids": [call["id"]]}));

    let wrong = api
        .send_events(&s, json!([{"type": "user.tool_confirmation", "tool_use_id": call["id"], "result": "allow"}]))
        .await;
    assert_eq!(wrong.status, 400, "a custom tool call takes a result, not a confirmation");

    let r = api
        .send_events(
            &s,
            json!([{"type": "user.custom_tool_result", "custom_tool_use_id": call["id"], "content": [{"type": "text", "text": "{\"opened\":true}"}], "is_error": false}]),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let h = api.wait_for(&s, "session.status_idle", 2).await;
    assert_eq!(last_idle(&h)["stop_reason"]["type"], "end_turn");
    assert!(h.iter().any(|e| e["type"] == "agent.message"));
}

#[tokio::test]
async fn mcp_toolsets_default_to_always_ask() {
    let api = Api::default().await;
    let agent = api
        .post(
            "/v1/agents",
            json!({"name": "m", "model": "claude-opus-4-8", "mcp_servers": [{"type": "url", "name": "linear", "url": "https://mcp.linear.app/mcp"}],
                   "tools": [{"type": "mcp_toolset", "mcp_server_name": "linear"}], "metadata": {"sim_scenario": "mcp_tool"}}),
        )
        .await;
    assert_eq!(agent.body["tools"][0]["default_config"]["permission_policy"], json!({"type": "always_ask"}));
    let env = api.environment().await;
    let s =
        api.post("/v1/sessions", json!({"agent": agent.body["id"], "environment_id": env})).await.body["id"].clone();
    let s = s.as_str().expect("session id");
    api.message(s, "file it").await;
    let h = api.wait_for(s, "session.status_idle", 1).await;
    let call = find(&h, "agent.mcp_tool_use").clone();
    assert_eq!(call["mcp_server_name"], "linear");
    assert_eq!(call["evaluated_permission"], "ask");
    api.send_events(s, json!([{"type": "user.tool_confirmation", "tool_use_id": call["id"], "result": "allow"}])).await;
    let h = api.wait_for(s, "session.status_idle", 2).await;
    let result = find(&h, "agent.mcp_tool_result");
    assert_eq!(result["mcp_tool_use_id"], call["id"]);
    assert_eq!(result["content"][0]["text"], "Created ENG-42");
}

#[tokio::test]
async fn session_errors_follow_their_retry_status() {
    let api = Api::default().await;
    let s = api.session(always_allow(), "errors").await;

    api.message(&s, "1").await;
    let h = api.wait_for(&s, "session.status_idle", 1).await;
    let err = find(&h, "session.error");
    assert_eq!(
        err["error"],
        json!({"type": "model_overloaded_error", "message": "Overloaded", "retry_status": {"type": "retrying"}})
    );
    assert_eq!(last_idle(&h)["stop_reason"]["type"], "end_turn");

    api.message(&s, "2").await;
    let h = api.wait_for(&s, "session.status_idle", 2).await;
    assert_eq!(last_idle(&h)["stop_reason"]["type"], "retries_exhausted");
    let exhausted = h.iter().rev().find(|e| e["type"] == "session.error").expect("second error");
    assert_eq!(exhausted["error"]["retry_status"]["type"], "exhausted");
    assert_eq!(exhausted["error"]["mcp_server_name"], "linear");

    api.message(&s, "3").await;
    api.wait_for(&s, "session.status_terminated", 1).await;
    assert_eq!(api.get(&format!("/v1/sessions/{s}")).await.body["status"], "terminated");
    let r = api.message(&s, "4").await;
    assert_eq!(r.status, 409);
    assert_eq!(error_type(&r), "conflict_error");
}

#[tokio::test]
async fn budget_reached_goes_idle() {
    let api = Api::default().await;
    let s = api.session(always_allow(), "budget").await;
    api.message(&s, "work").await;
    let h = api.wait_for(&s, "session.status_idle", 1).await;
    assert_eq!(last_idle(&h)["stop_reason"], json!({"type": "budget_reached"}));
    let usage = find(&h, "session.usage");
    assert_eq!(usage["usage"]["input_tokens"], 50000);
    assert_eq!(usage["usage"]["list_cost"]["currency"], "USD");
}

#[tokio::test]
async fn interrupt_forces_idle_and_drops_the_pending_call() {
    let api = Api::default().await;
    let (s, tool) = ask_until_requires_action(&api).await;
    let r = api.send_events(&s, json!([{"type": "user.interrupt"}])).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"][0]["type"], "user.interrupt");
    let h = api.wait_for(&s, "session.status_idle", 2).await;
    assert_eq!(last_idle(&h)["stop_reason"]["type"], "end_turn");
    assert!(!h.iter().any(|e| e["type"] == "agent.tool_result"));
    let late = api
        .send_events(&s, json!([{"type": "user.tool_confirmation", "tool_use_id": tool["id"], "result": "allow"}]))
        .await;
    assert_eq!(late.status, 400, "the interrupted call no longer awaits confirmation");
}

#[tokio::test]
async fn send_validates_the_whole_batch() {
    let api = Api::default().await;
    let s = api.session(always_allow(), "default").await;
    for bad in [
        json!({"events": []}),
        json!({"events": [{"type": "user.message"}]}),
        json!({"events": [{"type": "user.message", "content": [{"type": "search_result"}]}]}),
        json!({"events": [{"type": "agent.message", "content": []}]}),
        json!({"events": [{"type": "system.message", "content": [{"type": "text", "text": "x"}]}]}),
        json!({"events": [{"type": "user.tool_result", "tool_use_id": "x"}]}),
        json!({"nope": 1}),
    ] {
        let r = api.post(&format!("/v1/sessions/{s}/events"), bad.clone()).await;
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(error_type(&r), "invalid_request_error");
    }
    assert!(api.history(&s).await.is_empty(), "a rejected batch records nothing");
    let ok = api
        .send_events(
            &s,
            json!([{"type": "user.message", "content": [{"type": "text", "text": "hi"}]}, {"type": "system.message", "content": [{"type": "text", "text": "be terse"}]}]),
        )
        .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(types(ok.body["data"].as_array().expect("data")), vec!["user.message", "system.message"]);
}

#[tokio::test]
async fn initial_events_start_the_first_turn() {
    let api = Api::default().await;
    let agent = api.agent(always_allow()).await;
    let env = api.environment().await;
    let bad = api
        .post(
            "/v1/sessions",
            json!({"agent": agent, "environment_id": env, "initial_events": [{"type": "user.interrupt"}]}),
        )
        .await;
    assert_eq!(bad.status, 400);
    let r = api
        .post(
            "/v1/sessions",
            json!({"agent": agent, "environment_id": env, "metadata": {"sim_scenario": "tool_use"},
                   "initial_events": [{"type": "user.message", "content": [{"type": "text", "text": "go"}]}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let s = r.body["id"].as_str().expect("id");
    let h = api.wait_for(s, "session.status_idle", 1).await;
    assert_eq!(h[0]["type"], "user.message");
    assert_eq!(last_idle(&h)["stop_reason"]["type"], "end_turn");
}

#[tokio::test]
async fn scenarios_load_from_a_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("echo.json"),
        r#"{"name": "echo", "turns": [{"steps": [{"type": "message", "text": "one"}]}, {"steps": [{"type": "message", "text": "two"}]}]}"#,
    )
    .expect("write scenario");
    let config = vargate_agents::sim::SimConfig { scenario_dir: Some(dir.path().to_owned()), ..Default::default() };
    let api = Api::start(config).await;
    let s = api.session(always_allow(), "echo").await;
    for (n, want) in [(1, "one"), (2, "two"), (3, "one")] {
        api.message(&s, "x").await;
        let h = api.wait_for(&s, "session.status_idle", n).await;
        let last = h.iter().rev().find(|e| e["type"] == "agent.message").expect("agent.message");
        assert_eq!(last["content"][0]["text"], want, "turn {n}");
    }
    let unknown = api
        .post(
            "/v1/sessions",
            json!({"agent": api.agent(always_allow()).await, "environment_id": api.environment().await,
        "metadata": {"sim_scenario": "nope"}}),
        )
        .await;
    assert_eq!(unknown.status, 400);

    std::fs::write(dir.path().join("broken.json"), "{").expect("write");
    let err = vargate_agents::sim::Simulator::start(
        "127.0.0.1:0".parse().expect("addr"),
        vargate_agents::sim::SimConfig { scenario_dir: Some(dir.path().to_owned()), ..Default::default() },
    )
    .await;
    assert!(err.is_err(), "a malformed scenario file is reported at start-up");
}

#[tokio::test]
async fn spending_the_budget_goes_idle_with_budget_reached() {
    let api = Api::default().await;
    let agent = api.agent(always_allow()).await;
    let env = api.environment().await;
    let r = api
        .post(
            "/v1/sessions",
            json!({"agent": agent, "environment_id": env, "metadata": {"sim_scenario": "default"},
                   "budget": {"type": "limit", "max_list_cost": {"amount": "0.0001", "currency": "USD"}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let s = r.body["id"].as_str().expect("id");
    api.message(s, "go").await;
    let h = api.wait_for(s, "session.status_idle", 1).await;
    assert_eq!(last_idle(&h)["stop_reason"], json!({"type": "budget_reached"}));
    assert!(!h.iter().any(|e| e["type"] == "agent.tool_use"), "the turn stops after the first model request");
    assert_eq!(find(&h, "session.usage")["budget"], r.body["budget"]);
}
