//! The SSE reader on frames a server should not send: each is kept (as `Garbled`, with the reason) rather
//! than dropped, pings are skipped, and an `error` frame is a failure of the stream.

use axum::routing::get;
use vargate_agents::EventKind;
use vargate_agents::client::{Client, ClientConfig};
use vargate_agents::stream::{StreamError, StreamItem};

async fn serve(body: &'static str) -> String {
    serve_bytes(body.as_bytes()).await
}

async fn serve_bytes(body: &'static [u8]) -> String {
    let app = axum::Router::new().route(
        "/v1/sessions/sesn_1/events/stream",
        get(move || async move { ([("content-type", "text/event-stream")], body) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Every item the client reads from a stream of `body`, which must not fail.
async fn read_all(body: &'static [u8]) -> Vec<StreamItem> {
    let url = serve_bytes(body).await;
    let client = Client::new(ClientConfig::new(url, "k")).unwrap();
    let mut stream = client.open_stream("sesn_1").await.unwrap();
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        items.push(item.unwrap());
    }
    items
}

#[tokio::test]
async fn odd_frames_are_kept_and_pings_skipped() {
    let body = concat!(
        "event: ping\ndata: {}\n\n",
        "data: {\"type\":\"agent.message\",\"id\":\"sevt_1\"}\n\n",
        "event: agent.message\ndata: {not json\n\n",
        "event: agent.message\ndata: [1,2]\n\n",
        "event: agent.message\ndata: {\"type\":\"agent.message\",\"id\":\"sevt_2\",\"content\":[]}\n\n",
    );
    let items = read_all(body.as_bytes()).await;
    assert_eq!(items.len(), 4, "{items:?}");
    assert!(matches!(&items[0], StreamItem::Garbled { reason, .. } if reason.contains("without an event: line")));
    assert!(
        matches!(&items[1], StreamItem::Garbled { event, reason, .. } if event == "agent.message" && reason.contains("not a JSON object"))
    );
    assert!(matches!(&items[2], StreamItem::Garbled { reason, .. } if reason.contains("an array")));
    assert!(matches!(&items[3], StreamItem::Event(e) if e.id() == Some("sevt_2") && e.kind == EventKind::Other));
}

#[tokio::test]
async fn an_error_frame_fails_the_stream() {
    let url = serve(
        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"busy\"}}\n\n",
    )
    .await;
    let client = Client::new(ClientConfig::new(url, "k")).unwrap();
    let mut stream = client.open_stream("sesn_1").await.unwrap();
    let item = stream.next().await.unwrap();
    assert!(matches!(item, Err(StreamError::Server(e)) if e.error_type == "overloaded_error" && e.message == "busy"));
}

/// A stream that starts with a byte order mark reads as one without it (the SSE parser used before this
/// one panicked on it), and a frame that is not UTF-8 is kept as garbled rather than parsed as altered text.
#[tokio::test]
async fn a_leading_byte_order_mark_is_skipped_and_bytes_not_utf8_are_kept_as_garbled() {
    let body: &'static [u8] =
        b"\xef\xbb\xbfevent: agent.message\ndata: {\"type\":\"agent.message\",\"id\":\"sevt_1\"}\n\n\
        event: agent.message\ndata: {\"type\":\"agent.message\",\"id\":\"sevt_\xff\"}\n\n";
    let items = read_all(body).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(matches!(&items[0], StreamItem::Event(e) if e.id() == Some("sevt_1")));
    assert!(matches!(&items[1], StreamItem::Garbled { event, data, reason }
        if event == "agent.message" && data.contains("sevt_\u{fffd}") && reason.contains("not UTF-8")));
}
