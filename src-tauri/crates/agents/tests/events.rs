//! Session events from the wire format's documented examples, plus the ways real traffic can surprise us:
//! unknown types, unknown fields, known types with the wrong shape, and bytes that are not events at all.

use serde_json::json;
use vargate_agents::events::{ConfirmationResult, Permission};
use vargate_agents::{ApiError, EventError, EventKind, SessionEvent, StopReason};

fn parse(v: serde_json::Value) -> SessionEvent {
    SessionEvent::parse(v.to_string().as_bytes()).unwrap()
}

#[test]
fn tool_use_asking_for_confirmation() {
    let e =
        parse(json!({"type": "agent.tool_use", "id": "sevt_01abc", "name": "bash", "input": {"command": "cargo test"},
        "evaluated_permission": "ask", "evaluation": {"type": "always_ask"}, "processed_at": "2026-04-07T04:27:40Z"}));
    let EventKind::ToolUse(t) = &e.kind else { panic!("{:?}", e.kind) };
    assert_eq!((t.name.as_str(), t.evaluated_permission.clone()), ("bash", Some(Permission::Ask)));
    assert_eq!(t.input["command"], "cargo test");
    assert_eq!(
        (e.id(), e.event_type(), e.processed_at()),
        (Some("sevt_01abc"), "agent.tool_use", Some("2026-04-07T04:27:40Z"))
    );
}

#[test]
fn mcp_and_custom_tool_uses() {
    let e = parse(
        json!({"type": "agent.mcp_tool_use", "id": "sevt_2", "mcp_server_name": "linear", "name": "create_issue",
        "input": {}, "evaluated_permission": "ask", "session_thread_id": "sthr_1", "processed_at": "2026-04-07T04:27:40Z"}),
    );
    assert!(
        matches!(&e.kind, EventKind::McpToolUse(m) if m.mcp_server_name == "linear" && m.session_thread_id.as_deref() == Some("sthr_1"))
    );
    let e =
        parse(json!({"type": "agent.custom_tool_use", "id": "sevt_3", "name": "send_email", "input": {"to": "a@b.c"},
        "processed_at": "2026-04-07T04:27:40Z"}));
    assert!(matches!(&e.kind, EventKind::CustomToolUse(c) if c.name == "send_email"));
}

#[test]
fn idle_stop_reasons() {
    let idle = |stop: serde_json::Value| {
        parse(json!({"type": "session.status_idle", "id": "sevt_456",
        "processed_at": "2026-04-07T04:27:43Z", "stop_reason": stop}))
        .kind
    };
    assert_eq!(
        idle(json!({"type": "requires_action", "event_ids": ["sevt_123", "sevt_124"]})),
        EventKind::Idle {
            stop_reason: StopReason::RequiresAction { event_ids: vec!["sevt_123".into(), "sevt_124".into()] }
        }
    );
    assert_eq!(idle(json!({"type": "end_turn"})), EventKind::Idle { stop_reason: StopReason::EndTurn });
    assert_eq!(idle(json!({"type": "budget_reached"})), EventKind::Idle { stop_reason: StopReason::BudgetReached });
    assert_eq!(
        idle(json!({"type": "retries_exhausted"})),
        EventKind::Idle { stop_reason: StopReason::RetriesExhausted }
    );
    assert_eq!(idle(json!({"type": "refusal"})), EventKind::Idle { stop_reason: StopReason::Refusal });
    assert_eq!(idle(json!({"type": "napping"})), EventKind::Idle { stop_reason: StopReason::Other("napping".into()) });
    // The prose variant `stop_reason.requires_action.event_ids` is not the wire format: flagged, not guessed.
    assert!(matches!(
        idle(json!({"type": "requires_action", "requires_action": {"event_ids": ["x"]}})),
        EventKind::Malformed { .. }
    ));
}

#[test]
fn session_errors_keep_their_retry_status() {
    let e = parse(json!({"type": "session.error", "id": "sevt_9", "processed_at": "2026-04-07T04:27:43Z",
        "error": {"type": "mcp_authentication_failed_error", "mcp_server_name": "linear", "message": "401 from MCP server",
                  "retry_status": {"type": "exhausted"}}}));
    let EventKind::Error(err) = e.kind else { panic!() };
    assert_eq!((err.kind.as_str(), err.retry_status.as_str()), ("mcp_authentication_failed_error", "exhausted"));
}

#[test]
fn echoed_user_events() {
    let e =
        parse(json!({"type": "user.tool_confirmation", "id": "sevt_10", "tool_use_id": "sevt_01abc", "result": "deny",
        "deny_message": "no policy loaded", "processed_at": null}));
    assert!(
        matches!(&e.kind, EventKind::ToolConfirmation(c) if c.result == ConfirmationResult::Deny && c.deny_message.as_deref() == Some("no policy loaded"))
    );
    assert_eq!(e.processed_at(), None);
    let e = parse(
        json!({"type": "user.custom_tool_result", "id": "sevt_11", "custom_tool_use_id": "sevt_3", "is_error": true,
        "content": [{"type": "text", "text": "denied"}]}),
    );
    assert!(matches!(&e.kind, EventKind::CustomToolResult(r) if r.is_error == Some(true)));
}

#[test]
fn state_changes_and_previews() {
    let kind = |t: &str| parse(json!({"type": t, "id": "sevt_1", "processed_at": "2026-04-07T04:27:43Z"})).kind;
    assert_eq!(kind("session.status_running"), EventKind::Running);
    assert_eq!(kind("session.status_terminated"), EventKind::Terminated);
    assert_eq!(kind("session.deleted"), EventKind::Deleted);
    assert_eq!(kind("agent.message"), EventKind::Other);
    assert_eq!(kind("span.model_request_start"), EventKind::Other);
    let preview = parse(json!({"type": "event_start", "event": {"type": "agent.message", "id": "sevt_5"}}));
    assert_eq!((&preview.kind, preview.id()), (&EventKind::Preview, None));
}

#[test]
fn unknown_types_and_fields_are_kept_whole() {
    let v = json!({"type": "agent.teleport", "id": "sevt_77", "destination": {"planet": "mars"}, "processed_at": "2026-04-07T04:27:43Z"});
    let e = parse(v.clone());
    assert_eq!(e.kind, EventKind::Other);
    assert_eq!(serde_json::Value::Object(e.raw), v);
    let v = json!({"type": "agent.tool_use", "id": "sevt_8", "name": "bash", "input": {}, "evaluated_permission": "allow",
        "brand_new_field": [1, 2, 3], "processed_at": "2026-04-07T04:27:43Z"});
    let e = parse(v.clone());
    assert!(matches!(e.kind, EventKind::ToolUse(_)));
    assert_eq!(serde_json::Value::Object(e.raw), v);
}

#[test]
fn known_types_with_the_wrong_shape_are_kept_and_marked() {
    for bad in [
        json!({"type": "agent.tool_use", "id": "sevt_1", "input": {}}),
        json!({"type": "agent.tool_use", "id": "sevt_1", "name": "bash", "input": "rm -rf /"}),
        json!({"type": "agent.tool_use", "id": "sevt_1", "name": "bash", "input": {}, "evaluated_permission": "maybe"}),
        json!({"type": "session.status_idle", "id": "sevt_1"}),
        json!({"type": "session.error", "id": "sevt_1", "error": {"type": "x"}}),
        json!({"type": "user.tool_confirmation", "id": "sevt_1", "tool_use_id": "a", "result": "perhaps"}),
    ] {
        let e = parse(bad.clone());
        let EventKind::Malformed { reason } = &e.kind else { panic!("{bad} gave {:?}", e.kind) };
        assert!(!reason.is_empty());
        assert_eq!(serde_json::Value::Object(e.raw), bad);
    }
}

#[test]
fn non_events_are_errors() {
    assert!(matches!(SessionEvent::parse(b"not json"), Err(EventError::NotAnObject(_))));
    assert!(matches!(SessionEvent::parse(b"[1,2]"), Err(EventError::NotAnObject(m)) if m.contains("an array")));
    assert_eq!(SessionEvent::parse(br#"{"id":"sevt_1"}"#), Err(EventError::NoType));
    assert_eq!(SessionEvent::parse(br#"{"type":7}"#), Err(EventError::NoType));
}

#[test]
fn api_error_bodies() {
    let body = br#"{"type":"error","error":{"type":"not_found_error","message":"session sesn_x not found"},"request_id":"req_1"}"#;
    let e = ApiError::from_response(404, Some("req_hdr"), body);
    assert_eq!(
        (e.error_type.as_str(), e.request_id.as_deref(), e.retryable()),
        ("not_found_error", Some("req_hdr"), false)
    );
    assert_eq!(ApiError::from_response(404, None, body).request_id.as_deref(), Some("req_1"));
    for status in [408, 409, 429, 500, 529] {
        assert!(ApiError::from_response(status, None, body).retryable(), "{status}");
    }
    let html = ApiError::from_response(502, None, b"<html>bad gateway</html>");
    assert_eq!(html.error_type, "unparseable_error_body");
    assert!(html.message.contains("bad gateway") && html.retryable());
}
