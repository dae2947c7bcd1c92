//! The HTTP client of the Managed Agents API: typed requests for agents, environments, sessions and session
//! events, the API's error envelope mapped to [`ApiError`], and the official SDKs' retry rules (408, 409, 429
//! and ≥ 500, honouring `x-should-retry`, `retry-after-ms` and `retry-after`).

use crate::error::ApiError;
use crate::events::{EventError, SessionEvent};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::time::Duration;

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
pub const API_VERSION: &str = "2023-06-01";
pub const MANAGED_AGENTS_BETA: &str = "managed-agents-2026-04-01";

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// e.g. `https://api.anthropic.com`, or the simulator's `http://127.0.0.1:PORT`.
    pub base_url: String,
    pub api_key: String,
    /// Retries after the first attempt (the SDKs' default is 2).
    pub max_retries: u32,
    /// First backoff; doubles per retry up to [`ClientConfig::max_backoff`], with jitter.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub timeout: Duration,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            api_key: api_key.into(),
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            timeout: Duration::from_secs(600),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("the API answered {0}")]
    Api(#[from] ApiError),
    #[error("could not reach the API: {0}")]
    Transport(#[source] reqwest::Error),
    #[error("unexpected response from {what}: {reason}")]
    Decode { what: String, reason: String },
    #[error("invalid client configuration: {0}")]
    Config(String),
}

impl From<EventError> for ClientError {
    fn from(e: EventError) -> Self {
        ClientError::Decode { what: "an event".into(), reason: e.to_string() }
    }
}

/// A page of a list endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub next_page: Option<String>,
}

/// An agent as the API returns it; fields Vargate does not use are kept in `rest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub version: u64,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub id: String,
    pub name: String,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    /// `rescheduling`, `running`, `idle` or `terminated`.
    pub status: String,
    pub environment_id: String,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// `POST /v1/agents`. `model` is a model name or a model config object; `tools` are toolset, MCP toolset and
/// custom tool definitions as the API documents them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AgentParams {
    pub name: String,
    pub model: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mcp_servers: Vec<Value>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
}

/// `POST /v1/environments`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EnvironmentParams {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `POST /v1/sessions`. `agent` is an agent id or `{type:"agent", id, version}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SessionParams {
    pub agent: Value,
    pub environment_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
}

/// Paging of a list request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    pub limit: Option<u32>,
    pub page: Option<String>,
    /// `asc` or `desc`, where the endpoint supports it.
    pub order: Option<String>,
    /// Only items created (events: processed) at or after this RFC 3339 time.
    pub created_at_gte: Option<String>,
}

impl ListOptions {
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(l) = self.limit {
            q.push(("limit", l.to_string()));
        }
        if let Some(p) = &self.page {
            q.push(("page", p.clone()));
        }
        if let Some(o) = &self.order {
            q.push(("order", o.clone()));
        }
        if let Some(t) = &self.created_at_gte {
            q.push(("created_at[gte]", t.clone()));
        }
        q
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
}

/// Installs the process-wide TLS crypto provider once (ring: no C toolchain beyond cc, fast to build).
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl Client {
    /// The API this client talks to.
    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        if config.base_url.is_empty()
            || !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://"))
        {
            return Err(ClientError::Config(format!("base URL {:?} is not an http(s) URL", config.base_url)));
        }
        if config.api_key.is_empty() {
            return Err(ClientError::Config("the API key is empty".into()));
        }
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| ClientError::Config(e.to_string()))?;
        Ok(Client { http, config })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// A request with the API's headers; `stream` asks for server-sent events.
    pub(crate) fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("x-api-key", &self.config.api_key)
            .header("anthropic-version", API_VERSION)
            .header("anthropic-beta", MANAGED_AGENTS_BETA)
    }

    /// Sends a JSON request with retries and decodes the JSON answer.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<T, ClientError> {
        let mut attempt = 0u32;
        loop {
            let mut req = self.request(method.clone(), path).query(query).timeout(self.config.timeout);
            if let Some(b) = body {
                req = req.json(b);
            }
            let outcome = req.send().await;
            let retry_in = match outcome {
                Ok(resp) if resp.status().is_success() => {
                    let bytes = resp.bytes().await.map_err(ClientError::Transport)?;
                    return serde_json::from_slice(&bytes)
                        .map_err(|e| ClientError::Decode { what: format!("{method} {path}"), reason: e.to_string() });
                }
                Ok(resp) => {
                    let status = resp.status();
                    let wait = retry_wait(&resp, status);
                    let request_id = header(&resp, "request-id");
                    let bytes = resp.bytes().await.unwrap_or_default();
                    let error = ApiError::from_response(status.as_u16(), request_id.as_deref(), &bytes);
                    match wait {
                        Some(w) if attempt < self.config.max_retries => w,
                        _ => return Err(error.into()),
                    }
                }
                // Connection failures and timeouts are worth another try; anything else is not.
                Err(e) if (e.is_connect() || e.is_timeout()) && attempt < self.config.max_retries => Duration::ZERO,
                Err(e) => return Err(ClientError::Transport(e)),
            };
            let wait = if retry_in.is_zero() { self.backoff(attempt) } else { retry_in };
            tracing::debug!(%method, path, attempt, ?wait, "retrying managed-agents request");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let base = self.config.initial_backoff.saturating_mul(1u32 << attempt.min(16)).min(self.config.max_backoff);
        // Up to 25% jitter downwards, as the SDKs do, so that many clients do not retry in lockstep.
        let jitter = 1.0 - rand::random::<f64>() * 0.25;
        base.mul_f64(jitter)
    }

    // Agents.

    pub async fn create_agent(&self, params: &AgentParams) -> Result<Agent, ClientError> {
        self.call(Method::POST, "/v1/agents", &[], Some(&to_value(params)?)).await
    }

    pub async fn get_agent(&self, id: &str, version: Option<u64>) -> Result<Agent, ClientError> {
        let query: Vec<(&str, String)> = version.map(|v| ("version", v.to_string())).into_iter().collect();
        self.call(Method::GET, &format!("/v1/agents/{}", path_segment(id)), &query, None).await
    }

    pub async fn list_agents(&self, options: &ListOptions) -> Result<Page<Agent>, ClientError> {
        self.call(Method::GET, "/v1/agents", &options.query(), None).await
    }

    /// Updates an agent; `changes` holds only the fields to change (and `version` for a concurrency check).
    pub async fn update_agent(&self, id: &str, changes: &Value) -> Result<Agent, ClientError> {
        self.call(Method::POST, &format!("/v1/agents/{}", path_segment(id)), &[], Some(changes)).await
    }

    pub async fn archive_agent(&self, id: &str) -> Result<Agent, ClientError> {
        self.call(Method::POST, &format!("/v1/agents/{}/archive", path_segment(id)), &[], None).await
    }

    pub async fn list_agent_versions(&self, id: &str, options: &ListOptions) -> Result<Page<Agent>, ClientError> {
        self.call(Method::GET, &format!("/v1/agents/{}/versions", path_segment(id)), &options.query(), None).await
    }

    // Environments.

    pub async fn create_environment(&self, params: &EnvironmentParams) -> Result<Environment, ClientError> {
        self.call(Method::POST, "/v1/environments", &[], Some(&to_value(params)?)).await
    }

    pub async fn get_environment(&self, id: &str) -> Result<Environment, ClientError> {
        self.call(Method::GET, &format!("/v1/environments/{}", path_segment(id)), &[], None).await
    }

    pub async fn list_environments(&self, options: &ListOptions) -> Result<Page<Environment>, ClientError> {
        self.call(Method::GET, "/v1/environments", &options.query(), None).await
    }

    pub async fn archive_environment(&self, id: &str) -> Result<Environment, ClientError> {
        self.call(Method::POST, &format!("/v1/environments/{}/archive", path_segment(id)), &[], None).await
    }

    pub async fn delete_environment(&self, id: &str) -> Result<Value, ClientError> {
        self.call(Method::DELETE, &format!("/v1/environments/{}", path_segment(id)), &[], None).await
    }

    // Sessions.

    pub async fn create_session(&self, params: &SessionParams) -> Result<Session, ClientError> {
        self.call(Method::POST, "/v1/sessions", &[], Some(&to_value(params)?)).await
    }

    pub async fn get_session(&self, id: &str) -> Result<Session, ClientError> {
        self.call(Method::GET, &format!("/v1/sessions/{}", path_segment(id)), &[], None).await
    }

    pub async fn list_sessions(&self, options: &ListOptions) -> Result<Page<Session>, ClientError> {
        self.call(Method::GET, "/v1/sessions", &options.query(), None).await
    }

    pub async fn archive_session(&self, id: &str) -> Result<Session, ClientError> {
        self.call(Method::POST, &format!("/v1/sessions/{}/archive", path_segment(id)), &[], None).await
    }

    pub async fn delete_session(&self, id: &str) -> Result<Value, ClientError> {
        self.call(Method::DELETE, &format!("/v1/sessions/{}", path_segment(id)), &[], None).await
    }

    // Session events.

    /// Sends events (`user.message`, `user.tool_confirmation`, `user.custom_tool_result`, `user.interrupt`, …)
    /// and returns their echoes with the ids the server gave them.
    pub async fn send_events(&self, session_id: &str, events: &[Value]) -> Result<Vec<SessionEvent>, ClientError> {
        let body = serde_json::json!({ "events": events });
        let page: EchoPage = self
            .call(Method::POST, &format!("/v1/sessions/{}/events", path_segment(session_id)), &[], Some(&body))
            .await?;
        page.data.into_iter().map(|raw| Ok(SessionEvent::from_object(raw)?)).collect()
    }

    /// One page of a session's event history (oldest first by default).
    pub async fn list_events(
        &self,
        session_id: &str,
        options: &ListOptions,
    ) -> Result<Page<SessionEvent>, ClientError> {
        let page: Page<Map<String, Value>> = self
            .call(Method::GET, &format!("/v1/sessions/{}/events", path_segment(session_id)), &options.query(), None)
            .await?;
        let data = page.data.into_iter().map(SessionEvent::from_object).collect::<Result<Vec<_>, _>>()?;
        Ok(Page { data, next_page: page.next_page })
    }

    /// The whole event history, following `next_page` to the end.
    pub async fn all_events(&self, session_id: &str) -> Result<Vec<SessionEvent>, ClientError> {
        self.events_since(session_id, None).await
    }

    /// The event history from `processed_at >= since` on (all of it for `None`), following `next_page`.
    pub async fn events_since(&self, session_id: &str, since: Option<&str>) -> Result<Vec<SessionEvent>, ClientError> {
        let mut options =
            ListOptions { limit: Some(100), created_at_gte: since.map(str::to_owned), ..ListOptions::default() };
        let mut all = Vec::new();
        loop {
            let page = self.list_events(session_id, &options).await?;
            all.extend(page.data);
            match page.next_page.filter(|p| !p.is_empty()) {
                Some(next) => options.page = Some(next),
                None => return Ok(all),
            }
        }
    }
}

#[derive(Deserialize)]
struct EchoPage {
    #[serde(default)]
    data: Vec<Map<String, Value>>,
}

fn to_value<T: Serialize>(v: &T) -> Result<Value, ClientError> {
    serde_json::to_value(v).map_err(|e| ClientError::Config(e.to_string()))
}

/// Percent-encodes one path segment, as the SDKs do for ids.
pub(crate) fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Whether and how long to wait before retrying a failed response, per the SDKs' rules. `Some(ZERO)` means
/// "retry after the default backoff".
fn retry_wait(resp: &reqwest::Response, status: StatusCode) -> Option<Duration> {
    match header(resp, "x-should-retry").as_deref() {
        Some("false") => return None,
        Some("true") => {}
        _ if !(matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()) => return None,
        _ => {}
    }
    let ms = header(resp, "retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()).map(|ms| ms / 1000.0);
    let secs = ms.or_else(|| header(resp, "retry-after").and_then(|v| v.trim().parse::<f64>().ok()));
    // The SDKs only honour server-suggested waits up to a minute; beyond that they back off normally.
    Some(secs.filter(|s| *s > 0.0 && *s <= 60.0).map(Duration::from_secs_f64).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::path_segment;

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(path_segment("sesn_01ABC"), "sesn_01ABC");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
    }
}
