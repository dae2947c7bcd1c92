//! The client's retry rules against a loopback server that answers exactly as told: statuses the SDKs retry
//! are retried (honouring retry-after-ms and x-should-retry), the rest are not, and the error envelope is
//! mapped to a typed error.

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use vargate_agents::client::{Client, ClientConfig, ClientError};

/// Serves `GET /v1/sessions/sesn_1`, failing with `statuses[i]` on the i-th request, then succeeding.
async fn server(
    statuses: Vec<(u16, Vec<(&'static str, &'static str)>)>,
) -> (String, Arc<AtomicUsize>, Arc<std::sync::Mutex<Vec<HeaderMap>>>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (c, s) = (count.clone(), seen.clone());
    let app = axum::Router::new().route(
        "/v1/sessions/sesn_1",
        get(move |headers: HeaderMap| {
            let (c, s, statuses) = (c.clone(), s.clone(), statuses.clone());
            async move {
                s.lock().unwrap().push(headers);
                let n = c.fetch_add(1, Ordering::SeqCst);
                match statuses.get(n) {
                    Some((status, extra)) => {
                        let mut h = HeaderMap::new();
                        h.insert("request-id", "req_test".parse().unwrap());
                        for (k, v) in extra {
                            h.insert(*k, v.parse().unwrap());
                        }
                        let body = format!(r#"{{"type":"error","error":{{"type":"e{status}","message":"try {n}"}}}}"#);
                        (StatusCode::from_u16(*status).unwrap(), h, body).into_response()
                    }
                    None => axum::Json(serde_json::json!({"id": "sesn_1", "status": "idle", "environment_id": "env_1", "type": "session"}))
                        .into_response(),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, count, seen)
}

fn client(url: &str) -> Client {
    let mut cfg = ClientConfig::new(url, "sk-test");
    cfg.initial_backoff = Duration::from_millis(5);
    cfg.max_backoff = Duration::from_millis(20);
    Client::new(cfg).unwrap()
}

#[tokio::test]
async fn retryable_statuses_are_retried_then_succeed() {
    let (url, count, seen) = server(vec![(429, vec![("retry-after-ms", "10")]), (500, vec![])]).await;
    let session = client(&url).get_session("sesn_1").await.unwrap();
    assert_eq!((session.id.as_str(), session.status.as_str()), ("sesn_1", "idle"));
    assert_eq!(count.load(Ordering::SeqCst), 3);
    let headers = seen.lock().unwrap();
    assert_eq!(headers[0]["x-api-key"], "sk-test");
    assert_eq!(headers[0]["anthropic-beta"], "managed-agents-2026-04-01");
    assert!(headers[0].contains_key("anthropic-version"));
}

#[tokio::test]
async fn giving_up_after_max_retries_reports_the_last_error() {
    let (url, count, _) = server(vec![(503, vec![]), (503, vec![]), (529, vec![]), (503, vec![])]).await;
    let err = client(&url).get_session("sesn_1").await.unwrap_err();
    assert!(
        matches!(&err, ClientError::Api(e) if e.status == 529 && e.request_id.as_deref() == Some("req_test")),
        "{err}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 3, "first attempt plus the default two retries");
}

#[tokio::test]
async fn client_errors_and_vetoed_retries_are_not_retried() {
    let (url, count, _) = server(vec![(404, vec![])]).await;
    let err = client(&url).get_session("sesn_1").await.unwrap_err();
    assert!(matches!(&err, ClientError::Api(e) if e.status == 404 && e.error_type == "e404"), "{err}");
    assert_eq!(count.load(Ordering::SeqCst), 1);

    let (url, count, _) = server(vec![(500, vec![("x-should-retry", "false")])]).await;
    assert!(client(&url).get_session("sesn_1").await.is_err());
    assert_eq!(count.load(Ordering::SeqCst), 1);

    let (url, count, _) = server(vec![(400, vec![("x-should-retry", "true")])]).await;
    assert!(client(&url).get_session("sesn_1").await.is_ok());
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn bad_configuration_is_refused() {
    assert!(matches!(Client::new(ClientConfig::new("ftp://x", "k")), Err(ClientError::Config(_))));
    assert!(matches!(Client::new(ClientConfig::new("http://127.0.0.1:1", "")), Err(ClientError::Config(_))));
}

#[tokio::test]
async fn unreachable_servers_are_transport_errors() {
    let mut cfg = ClientConfig::new("http://127.0.0.1:1", "k");
    cfg.max_retries = 1;
    cfg.initial_backoff = Duration::from_millis(1);
    let err = Client::new(cfg).unwrap().get_session("sesn_1").await.unwrap_err();
    assert!(matches!(err, ClientError::Transport(_)), "{err}");
}
