//! The API's error envelope: `{"type":"error","error":{"type":…,"message":…},"request_id":…}`.

use serde::Deserialize;

/// An error the API answered with. Client mistakes (4xx) and server faults (5xx) alike; `retryable` says
/// whether the SDKs would retry it (408, 409, 429, ≥ 500).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {error_type}: {message}")]
pub struct ApiError {
    pub status: u16,
    /// e.g. `not_found_error`, `rate_limit_error`; an open set.
    pub error_type: String,
    pub message: String,
    /// From the `request-id` header (preferred) or the body.
    pub request_id: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    error: Inner,
    #[serde(default)]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct Inner {
    #[serde(rename = "type")]
    kind: String,
    message: String,
}

impl ApiError {
    /// Reads an error response. A body that is not the documented envelope still yields an error that says
    /// what came back, so a proxy's HTML error page is reported, not swallowed.
    pub fn from_response(status: u16, request_id_header: Option<&str>, body: &[u8]) -> Self {
        match serde_json::from_slice::<Envelope>(body) {
            Ok(env) => ApiError {
                status,
                error_type: env.error.kind,
                message: env.error.message,
                request_id: request_id_header.map(str::to_owned).or(env.request_id),
            },
            Err(_) => ApiError {
                status,
                error_type: "unparseable_error_body".into(),
                message: String::from_utf8_lossy(body.get(..body.len().min(200)).unwrap_or_default()).into_owned(),
                request_id: request_id_header.map(str::to_owned),
            },
        }
    }

    /// Whether the official SDKs would retry this status.
    pub fn retryable(&self) -> bool {
        matches!(self.status, 408 | 409 | 429) || self.status >= 500
    }
}
