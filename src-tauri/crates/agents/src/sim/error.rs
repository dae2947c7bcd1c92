//! The API's error envelope as the simulator answers it: `{"type":"error","error":{"type","message"},
//! "request_id"}` with the same id in the `request-id` header, so the SDK maps it to its typed exceptions.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

tokio::task_local! {
    /// The id of the request being answered; set by the request middleware for the handler's whole run.
    pub static REQUEST_ID: String;
}

/// An API error: status, `error.type` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    /// Extra response headers (e.g. `retry-after`).
    pub retry_after: Option<u64>,
}

pub type SimResult<T> = Result<T, SimError>;

impl SimError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self { status, kind, message: message.into(), retry_after: None }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found_error", format!("{what} {id} not found"))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict_error", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "authentication_error", message)
    }

    /// The response, with `request_id` in both body and header.
    pub fn into_response_with_id(self, request_id: &str) -> Response {
        let body = json!({
            "type": "error",
            "error": { "type": self.kind, "message": self.message },
            "request_id": request_id,
        });
        let mut resp = (self.status, axum::Json(body)).into_response();
        let headers = resp.headers_mut();
        if let Ok(v) = HeaderValue::from_str(request_id) {
            headers.insert("request-id", v);
        }
        if let Some(secs) = self.retry_after {
            headers.insert("retry-after", HeaderValue::from(secs));
        }
        // Deliberate failures other than injected ones must not be retried behind the caller's back.
        let retryable = self.retry_after.is_some() || self.status.is_server_error();
        headers.insert("x-should-retry", HeaderValue::from_static(if retryable { "true" } else { "false" }));
        resp
    }
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let id = REQUEST_ID.try_with(Clone::clone).unwrap_or_else(|_| super::ids::new_id("req"));
        self.into_response_with_id(&id)
    }
}
