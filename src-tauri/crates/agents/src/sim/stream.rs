//! `GET /v1/sessions/{id}/events/stream`: Server-Sent Events exactly as the SDK decodes them. Headers go out at
//! once (the body is a channel fed by a task), every frame is `event: <type>\ndata: <one-line JSON>\n\n`,
//! keep-alives are `event: ping`, `event_deltas[]=agent.message` adds `event_start`/`event_delta` previews,
//! and the stream ends after `session.deleted`, on shutdown, or when the drop-after-N fault fires.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::body::type_of;
use super::error::{REQUEST_ID, SimError, SimResult};
use super::query::Query;
use super::state::Shared;

/// One SSE frame.
pub fn frame(event: &str, data: &Value) -> Bytes {
    let mut out = Vec::with_capacity(event.len() + 256);
    write_frame(&mut out, event, data);
    Bytes::from(out)
}

/// Appends one SSE frame to `out`.
fn write_frame(out: &mut Vec<u8>, event: &str, data: &Value) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(event.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    // A `Value` always serialises (its keys are strings); written straight into the frame, not formatted.
    let _ = serde_json::to_writer(&mut *out, data);
    out.extend_from_slice(b"\n\n");
}

/// Most bytes of frames sent to the body in one piece: the events already waiting are framed together, as a
/// busy server's writes carry several (one piece per event cost a channel send and a body poll each).
const PIECE: usize = 64 * 1024;

pub async fn stream(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> SimResult<Response> {
    let q = Query::parse(q.as_deref());
    let mut previews = Previews::default();
    for d in q.all("event_deltas") {
        match d {
            "agent.message" => previews.message = true,
            "agent.thinking" => previews.thinking = true,
            other => return Err(SimError::bad_request(format!("event_deltas: unsupported value {other:?}"))),
        }
    }
    let capacity = sh.config.live_capacity;
    let live = sh
        .store()
        .session_mut(&id)
        .map(|s| s.subscribe(capacity))
        .ok_or_else(|| SimError::not_found("session", &id))?;
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(64);
    tokio::spawn(async move {
        pump(sh.clone(), live, tx, previews).await;
        // The receiver is gone: the last stream of a session frees its live buffer.
        if let Some(rec) = sh.store().session_mut(&id) {
            rec.release_live();
        }
    });
    let mut resp = Body::from_stream(ReceiverStream::new(rx)).into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(Ok(v)) = REQUEST_ID.try_with(|id| HeaderValue::from_str(id)) {
        headers.insert("request-id", v);
    }
    Ok(resp)
}

/// Which buffered events get live previews (`event_deltas[]`).
#[derive(Debug, Default, Clone, Copy)]
struct Previews {
    message: bool,
    thinking: bool,
}

/// Feeds frames from the session's live events and the keep-alive timer into the response body.
async fn pump(
    sh: Arc<Shared>,
    mut live: broadcast::Receiver<Arc<Value>>,
    tx: mpsc::Sender<Result<Bytes, Infallible>>,
    previews: Previews,
) {
    let mut ping = tokio::time::interval(sh.config.ping_interval);
    ping.tick().await; // the first tick is immediate
    let mut shutdown = sh.shutdown.clone();
    let drop_after = sh.faults().drop_stream_after;
    let mut sent = 0usize;
    loop {
        let ev = tokio::select! {
            _ = tx.closed() => return,
            _ = shutdown.changed() => return,
            _ = ping.tick() => {
                if tx.send(Ok(frame("ping", &json!({})))).await.is_err() { return; }
                continue;
            }
            ev = live.recv() => ev,
        };
        let mut piece = Vec::with_capacity(4096);
        let mut next = Some(ev);
        let mut end = false;
        while let Some(ev) = next.take() {
            let ev = match ev {
                Ok(ev) => ev,
                // A consumer too slow for the live buffer loses its connection rather than events: skipping
                // silently would make the stream lie, while a closed stream makes clients reconnect and
                // backfill from the history, as they must with the real API.
                Err(broadcast::error::RecvError::Lagged(_) | broadcast::error::RecvError::Closed) => {
                    end = true;
                    break;
                }
            };
            let kind = type_of(&ev).unwrap_or("unknown");
            let wanted = match kind {
                "agent.message" => previews.message,
                "agent.thinking" => previews.thinking,
                _ => false,
            };
            if wanted {
                write_previews(&mut piece, kind, &ev);
            }
            write_frame(&mut piece, kind, &ev);
            sent += 1;
            if kind == "session.deleted" || drop_after.is_some_and(|n| sent >= n) {
                end = true;
                break;
            }
            if piece.len() < PIECE {
                next = match live.try_recv() {
                    Ok(ev) => Some(Ok(ev)),
                    Err(broadcast::error::TryRecvError::Empty) => None,
                    Err(broadcast::error::TryRecvError::Lagged(n)) => Some(Err(broadcast::error::RecvError::Lagged(n))),
                    Err(broadcast::error::TryRecvError::Closed) => Some(Err(broadcast::error::RecvError::Closed)),
                };
            }
        }
        if (!piece.is_empty() && tx.send(Ok(Bytes::from(piece))).await.is_err()) || end {
            return;
        }
    }
}

/// Appends `event_start` then one `event_delta` per word of each text block, previewing a buffered `agent.message`
/// (an `agent.thinking` preview is the `event_start` alone: it has no content).
fn write_previews(out: &mut Vec<u8>, kind: &str, ev: &Value) {
    let id = ev["id"].as_str().unwrap_or("");
    write_frame(out, "event_start", &json!({"type": "event_start", "event": {"type": kind, "id": id}}));
    for (index, block) in ev["content"].as_array().into_iter().flatten().enumerate() {
        let Some(text) = block["text"].as_str() else { continue };
        for piece in text.split_inclusive(' ') {
            let delta = json!({"type": "event_delta", "event_id": id,
                "delta": {"type": "content_delta", "index": index, "content": {"type": "text", "text": piece}}});
            write_frame(out, "event_delta", &delta);
        }
    }
}
