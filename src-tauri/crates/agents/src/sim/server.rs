//! The HTTP surface: every route of schema §2 that the simulator serves, plus the middleware every request
//! passes (request id, injected faults, auth, beta header) and a JSON 404 for unknown paths.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use super::error::{REQUEST_ID, SimError};
use super::ids::new_id;
use super::state::Shared;
use super::{agents, environments, events_api, sessions, stream};

const BETA: &str = "managed-agents-2026-04-01";

pub fn router(sh: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/agents", post(agents::create).get(agents::list))
        .route("/v1/agents/{id}", get(agents::retrieve).post(agents::update))
        .route("/v1/agents/{id}/archive", post(agents::archive))
        .route("/v1/agents/{id}/versions", get(agents::versions))
        .route("/v1/environments", post(environments::create).get(environments::list))
        .route(
            "/v1/environments/{id}",
            get(environments::retrieve).post(environments::update).delete(environments::delete),
        )
        .route("/v1/environments/{id}/archive", post(environments::archive))
        .route("/v1/sessions", post(sessions::create).get(sessions::list))
        .route("/v1/sessions/{id}", get(sessions::retrieve).post(sessions::update).delete(sessions::delete))
        .route("/v1/sessions/{id}/archive", post(sessions::archive))
        .route("/v1/sessions/{id}/events", post(events_api::send).get(events_api::list))
        .route("/v1/sessions/{id}/events/stream", get(stream::stream))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(sh.clone(), gate))
        .with_state(sh)
}

async fn not_found() -> SimError {
    SimError::new(axum::http::StatusCode::NOT_FOUND, "not_found_error", "Not found")
}

/// Assigns the request id, then answers injected failures, missing auth and a missing beta header before
/// the handler runs; adds the `request-id` header to every response.
async fn gate(State(sh): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let id = new_id("req");
    if let Some(err) = sh.faults().take() {
        return err.into_response_with_id(&id);
    }
    if let Err(err) = check_headers(&sh, req.headers()) {
        return err.into_response_with_id(&id);
    }
    let mut resp = REQUEST_ID.scope(id.clone(), next.run(req)).await;
    if let Some(err) = framework_error(&resp) {
        return err.into_response_with_id(&id);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().entry("request-id").or_insert(v);
    }
    resp
}

/// Rejections produced by the framework rather than by a handler (bad path encoding, wrong method, body
/// too large) come as plain text; the API answers every error with its JSON envelope.
fn framework_error(resp: &Response) -> Option<SimError> {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let kind = match status.as_u16() {
        404 => "not_found_error",
        500.. => "api_error",
        _ => "invalid_request_error",
    };
    let reason = status.canonical_reason().unwrap_or("error");
    Some(SimError::new(status, kind, format!("The request could not be processed: {reason}")))
}

fn check_headers(sh: &Shared, h: &HeaderMap) -> Result<(), SimError> {
    let header = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let key = header("x-api-key").filter(|k| !k.is_empty()).or_else(|| {
        header("authorization").and_then(|a| a.strip_prefix("Bearer ")).map(str::trim).filter(|k| !k.is_empty())
    });
    match (key, &sh.config.api_key) {
        (None, _) => return Err(SimError::unauthorized("x-api-key header or Authorization: Bearer token is required")),
        (Some(k), Some(expected)) if k != expected => return Err(SimError::unauthorized("invalid x-api-key")),
        _ => {}
    }
    if sh.config.require_beta_header {
        let has_beta = header("anthropic-beta").is_some_and(|b| b.split(',').any(|x| x.trim() == BETA));
        if !has_beta {
            return Err(SimError::bad_request(format!("the anthropic-beta header must include {BETA}")));
        }
    }
    Ok(())
}
