//! Helpers shared by the `sim_*` integration tests: an in-process simulator, a plain HTTP client that sends
//! what the SDK sends, and a hand-written SSE frame reader (so framing is checked, not assumed).

use std::time::Duration;

use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use vargate_agents::sim::{SimConfig, SimHandle, Simulator};

pub const BETA: &str = "managed-agents-2026-04-01";
const WAIT: Duration = Duration::from_secs(10);

pub struct Api {
    pub sim: SimHandle,
    pub base: String,
    pub http: reqwest::Client,
}

/// A response: status, headers, JSON body (`Null` if the body was not JSON).
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Api {
    pub async fn start(config: SimConfig) -> Self {
        let sim = Simulator::start("127.0.0.1:0".parse().expect("addr"), config).await.expect("simulator starts");
        let base = sim.base_url();
        // reqwest is built with `rustls-no-provider`: even a plain-http client needs a provider installed. A
        // second install (another test in this process) fails harmlessly.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self { sim, base, http: reqwest::Client::new() }
    }

    pub async fn default() -> Self {
        Self::start(SimConfig::default()).await
    }

    /// A request with the SDK's headers; `body` as raw bytes.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("authorization", "Bearer test-key")
            .header("anthropic-version", "2026-10-21")
            .header("anthropic-beta", BETA)
            .header("accept", "application/json")
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Resp {
        let resp = rb.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body read");
        Resp { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(self.request(Method::DELETE, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(self.request(Method::POST, path).header("content-type", "application/json").body(body.to_string()))
            .await
    }

    /// Creates an agent and returns its id.
    pub async fn agent(&self, tools: Value) -> String {
        let r = self.post("/v1/agents", json!({"name": "test", "model": "claude-opus-4-8", "tools": tools})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["id"].as_str().expect("agent id").to_owned()
    }

    pub async fn environment(&self) -> String {
        let r = self.post("/v1/environments", json!({"name": "env"})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["id"].as_str().expect("environment id").to_owned()
    }

    /// A session running `scenario` for an agent with `tools`.
    pub async fn session(&self, tools: Value, scenario: &str) -> String {
        let agent = self.agent(tools).await;
        let env = self.environment().await;
        let r = self
            .post(
                "/v1/sessions",
                json!({"agent": agent, "environment_id": env, "metadata": {"sim_scenario": scenario}}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["id"].as_str().expect("session id").to_owned()
    }

    pub async fn send_events(&self, session: &str, events: Value) -> Resp {
        self.post(&format!("/v1/sessions/{session}/events"), json!({ "events": events })).await
    }

    pub async fn message(&self, session: &str, text: &str) -> Resp {
        self.send_events(session, json!([{"type": "user.message", "content": [{"type": "text", "text": text}]}])).await
    }

    /// The whole history (one page of up to 1000).
    pub async fn history(&self, session: &str) -> Vec<Value> {
        let r = self.get(&format!("/v1/sessions/{session}/events?limit=1000")).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["data"].as_array().cloned().unwrap_or_default()
    }

    /// Polls history until it holds `n` events of type `kind`; returns the history.
    pub async fn wait_for(&self, session: &str, kind: &str, n: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let h = self.history(session).await;
            if h.iter().filter(|e| e["type"] == kind).count() >= n {
                return h;
            }
            assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {n} {kind}; history: {h:#?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Opens the SSE stream (returns once the response headers arrived).
    pub async fn stream(&self, session: &str, query: &str) -> Sse {
        let resp = tokio::time::timeout(
            WAIT,
            self.request(Method::GET, &format!("/v1/sessions/{session}/events/stream{query}")).send(),
        )
        .await
        .expect("stream headers within the deadline")
        .expect("stream request");
        Sse { resp, buf: Vec::new() }
    }
}

/// The error envelope of `r` (asserting its shape and the request id), returning `error.type`.
pub fn error_type(r: &Resp) -> String {
    assert_eq!(r.body["type"], "error", "{:?}", r.body);
    assert!(r.body["error"]["message"].is_string(), "{:?}", r.body);
    let header = r.headers.get("request-id").and_then(|v| v.to_str().ok()).expect("request-id header");
    assert_eq!(r.body["request_id"], header);
    assert!(r.headers.get("content-type").is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json")));
    r.body["error"]["type"].as_str().expect("error.type").to_owned()
}

/// One raw SSE frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub event: Option<String>,
    pub data: Vec<String>,
}

impl Frame {
    /// The frame's data as JSON, checking that it is one line holding one object.
    pub fn json(&self) -> Value {
        assert_eq!(self.data.len(), 1, "one data line per frame: {self:?}");
        let v: Value = serde_json::from_str(&self.data[0]).expect("data is JSON");
        assert!(v.is_object(), "data is an object: {self:?}");
        v
    }
}

pub struct Sse {
    pub resp: reqwest::Response,
    buf: Vec<u8>,
}

impl Sse {
    /// The next frame, or `None` when the body ended. Panics after the deadline.
    pub async fn next(&mut self) -> Option<Frame> {
        loop {
            if let Some(pos) = self.buf.windows(2).position(|w| w == b"\n\n") {
                let raw: Vec<u8> = self.buf.drain(..pos + 2).collect();
                let text = String::from_utf8(raw).expect("utf-8 frame");
                let mut frame = Frame { event: None, data: Vec::new() };
                for line in text.lines().filter(|l| !l.is_empty()) {
                    if let Some(e) = line.strip_prefix("event: ") {
                        frame.event = Some(e.to_owned());
                    } else if let Some(d) = line.strip_prefix("data: ") {
                        frame.data.push(d.to_owned());
                    } else {
                        panic!("unexpected SSE line {line:?}");
                    }
                }
                return Some(frame);
            }
            let chunk = tokio::time::timeout(WAIT, self.resp.chunk()).await.expect("SSE data within the deadline");
            match chunk.expect("SSE body") {
                Some(bytes) => self.buf.extend_from_slice(&bytes),
                None => {
                    assert!(self.buf.is_empty(), "stream ended mid-frame: {:?}", String::from_utf8_lossy(&self.buf));
                    return None;
                }
            }
        }
    }

    /// Frames (pings included) until a `session.status_idle` frame (inclusive) or the end of the body.
    pub async fn until_idle(&mut self) -> Vec<Frame> {
        let mut out = Vec::new();
        while let Some(f) = self.next().await {
            let idle = f.event.as_deref() == Some("session.status_idle");
            out.push(f);
            if idle {
                break;
            }
        }
        out
    }
}

/// The JSON events of `frames`, pings left out, checking that every frame is well-formed:
/// an `event:` line, one data line with a JSON object whose `type` equals the event name.
pub fn events(frames: &[Frame]) -> Vec<Value> {
    let mut out = Vec::new();
    for f in frames {
        let name = f.event.as_deref().expect("every frame has an event: line");
        let v = f.json();
        if name == "ping" {
            continue;
        }
        assert_eq!(v["type"], name, "event name and JSON type differ: {f:?}");
        out.push(v);
    }
    out
}

pub fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap_or("?")).collect()
}

pub fn always_ask() -> Value {
    json!([{"type": "agent_toolset_20260401", "default_config": {"permission_policy": {"type": "always_ask"}}}])
}

pub fn always_allow() -> Value {
    json!([{"type": "agent_toolset_20260401"}])
}
