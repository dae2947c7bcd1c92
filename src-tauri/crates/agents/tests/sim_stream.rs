//! The SSE stream read frame by frame (not through an SSE library, so the framing itself is under test), and
//! fault injection: dropped streams, delayed events, injected 429 and 500 answers.

#[allow(dead_code)]
mod sim_support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use sim_support::{Api, always_allow, error_type, events, types};
use vargate_agents::sim::{Failure, Faults, SimConfig};

#[tokio::test]
async fn frames_are_event_plus_one_json_data_line_and_pings_keep_alive() {
    let api = Api::start(SimConfig { ping_interval: Duration::from_millis(50), ..SimConfig::default() }).await;
    let s = api.session(always_allow(), "default").await;
    let mut sse = api.stream(&s, "").await;
    assert_eq!(sse.resp.status(), StatusCode::OK);
    let ctype = sse.resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(ctype, "text/event-stream");

    // Headers arrived before anything happened in the session; with nothing to say, the stream pings.
    let first = sse.next().await.expect("a frame");
    assert_eq!(first.event.as_deref(), Some("ping"));
    assert_eq!(first.json(), json!({}));

    let sent = api.message(&s, "hello").await;
    let frames = sse.until_idle().await;
    let evs = events(&frames);
    assert_eq!(evs[0]["id"], sent.body["data"][0]["id"], "the user.message echo comes first");
    assert_eq!(types(&evs).last(), Some(&"session.status_idle"));
    assert!(types(&evs).contains(&"agent.message"));
    let history = api.history(&s).await;
    assert_eq!(history, evs, "the stream carries exactly the persisted events");
}

#[tokio::test]
async fn event_deltas_preview_the_agent_message() {
    let api = Api::default().await;
    let s = api.session(always_allow(), "default").await;
    let mut sse = api.stream(&s, "?event_deltas%5B%5D=agent.message").await;
    api.message(&s, "hello").await;
    let evs = events(&sse.until_idle().await);
    let start = evs.iter().position(|e| e["type"] == "event_start").expect("event_start");
    let msg = evs.iter().position(|e| e["type"] == "agent.message").expect("agent.message");
    assert!(start < msg);
    assert_eq!(evs[start]["event"], json!({"type": "agent.message", "id": evs[msg]["id"]}));
    assert!(evs[start].get("id").is_none() && evs[start].get("processed_at").is_none());
    let text: String = evs[start + 1..msg]
        .iter()
        .map(|d| {
            assert_eq!(d["type"], "event_delta");
            assert_eq!(d["event_id"], evs[msg]["id"]);
            d["delta"]["content"]["text"].as_str().unwrap_or("").to_owned()
        })
        .collect();
    assert_eq!(text, evs[msg]["content"][0]["text"].as_str().unwrap_or("-"));
    assert!(!api.history(&s).await.iter().any(|e| e["type"] == "event_delta"), "deltas are never persisted");

    let thinking = evs.iter().position(|e| e["type"] == "agent.thinking").expect("agent.thinking");
    assert!(evs[..thinking].iter().all(|e| e["type"] != "event_start"), "no thinking preview unless asked for");

    // agent.thinking previews are an event_start alone.
    let fresh = api.session(always_allow(), "default").await;
    let mut sse = api.stream(&fresh, "?event_deltas[]=agent.thinking").await;
    api.message(&fresh, "hello").await;
    let evs = events(&sse.until_idle().await);
    let start = evs.iter().position(|e| e["type"] == "event_start").expect("event_start for thinking");
    assert_eq!(evs[start + 1]["type"], "agent.thinking");
    assert_eq!(evs[start]["event"], json!({"type": "agent.thinking", "id": evs[start + 1]["id"]}));
    assert!(evs.iter().all(|e| e["type"] != "event_delta"));
    assert_eq!(evs.iter().filter(|e| e["type"] == "event_start").count(), 1, "agent.message is not previewed");

    let bad = api.get(&format!("/v1/sessions/{s}/events/stream?event_deltas[]=agent.tool_use")).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn stream_ends_after_session_deleted_and_unknown_sessions_404() {
    let api = Api::default().await;
    let s = api.session(always_allow(), "default").await;
    let mut sse = api.stream(&s, "").await;
    api.delete(&format!("/v1/sessions/{s}")).await;
    let frames = {
        let mut v = Vec::new();
        while let Some(f) = sse.next().await {
            v.push(f);
        }
        v
    };
    assert_eq!(types(&events(&frames)), vec!["session.deleted"]);

    let missing = api.get("/v1/sessions/sesn_missing/events/stream").await;
    assert_eq!(missing.status, 404);
    assert_eq!(error_type(&missing), "not_found_error");
}

#[tokio::test]
async fn drop_fault_closes_the_stream_after_n_events() {
    let faults = Faults { drop_stream_after: Some(3), ..Faults::default() };
    let api = Api::start(SimConfig { faults, ..SimConfig::default() }).await;
    let s = api.session(always_allow(), "default").await;
    let mut sse = api.stream(&s, "").await;
    api.message(&s, "hello").await;
    let mut frames = Vec::new();
    while let Some(f) = sse.next().await {
        frames.push(f);
    }
    assert_eq!(events(&frames).len(), 3, "the body ends after three event frames");
    // The session carries on: a reconnecting client finds the rest in history.
    let h = api.wait_for(&s, "session.status_idle", 1).await;
    assert!(h.len() > 3);

    api.sim.set_drop_stream_after(None);
    let mut sse = api.stream(&s, "").await;
    api.message(&s, "again").await;
    assert!(types(&events(&sse.until_idle().await)).contains(&"session.status_idle"));
}

#[tokio::test]
async fn delay_fault_spaces_out_events() {
    let api = Api::default().await;
    let s = api.session(always_allow(), "tool_use").await;
    api.sim.set_event_delay(Duration::from_millis(40));
    let started = Instant::now();
    api.message(&s, "go").await;
    let h = api.wait_for(&s, "session.status_idle", 1).await;
    let emitted = h.len() - 1; // the echo is not delayed
    assert!(
        started.elapsed() >= Duration::from_millis(40) * u32::try_from(emitted).unwrap_or(u32::MAX),
        "{emitted} events in {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn injected_429_and_500_answer_the_next_requests() {
    let api = Api::default().await;
    api.sim.fail_next(2, Failure::RateLimited { retry_after_secs: 3 });
    for _ in 0..2 {
        let r = api.get("/v1/agents").await;
        assert_eq!(r.status, 429);
        assert_eq!(error_type(&r), "rate_limit_error");
        assert_eq!(r.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("3"));
    }
    assert_eq!(api.get("/v1/agents").await.status, 200);

    api.sim.fail_next(1, Failure::Internal);
    let r = api.post("/v1/agents", json!({"name": "a", "model": "claude-opus-4-8"})).await;
    assert_eq!(r.status, 500);
    assert_eq!(error_type(&r), "api_error");
    assert_eq!(api.get("/v1/agents").await.body["data"], json!([]), "the failed create did not happen");
}

#[tokio::test]
async fn shutdown_ends_open_streams() {
    let api = Api::default().await;
    let s = api.session(always_allow(), "default").await;
    let mut sse = api.stream(&s, "").await;
    tokio::time::timeout(Duration::from_secs(6), api.sim.shutdown()).await.expect("shutdown completes");
    assert!(sse.next().await.is_none(), "the stream ends on shutdown");
}
