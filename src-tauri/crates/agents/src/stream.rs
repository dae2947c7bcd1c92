//! Following a session live. [`Client::open_stream`] reads the SSE stream (`event:` + `data:` frames; `ping`
//! ignored; an `error` frame is a failure). [`watch`] makes that dependable: it opens the stream *before*
//! reading the history (the stream has no replay), backfills from the history, de-duplicates by event id, and
//! on any drop reconnects with backoff and backfills again, so every event is delivered exactly once, in order.

use crate::client::{Client, ClientError, ListOptions};
use crate::error::ApiError;
use crate::events::{EventKind, SessionEvent, StopReason};
use futures_util::{Stream, StreamExt as _};
use reqwest::Method;
use std::collections::BTreeSet;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::mpsc;

/// What the stream delivered: an event, or a frame that is not one (kept, with the reason, for the record).
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    Event(SessionEvent),
    Garbled { event: String, data: String, reason: String },
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    #[error("the stream sent an error: {0}")]
    Server(ApiError),
    #[error("the stream broke: {0}")]
    Broken(String),
}

type Chunks = Pin<Box<dyn Stream<Item = Result<bytes::Bytes, reqwest::Error>> + Send>>;

/// An open SSE stream of one session.
pub struct EventStream {
    chunks: Chunks,
    decoder: crate::sse::Decoder,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventStream")
    }
}

impl Client {
    /// Opens `GET /v1/sessions/{id}/events/stream`. Returns once the server accepted the stream.
    pub async fn open_stream(&self, session_id: &str) -> Result<EventStream, ClientError> {
        let path = format!("/v1/sessions/{}/events/stream", crate::client::path_segment(session_id));
        let resp = self
            .request(Method::GET, &path)
            .header("accept", "text/event-stream")
            .send()
            .await
            .map_err(ClientError::Transport)?;
        if !resp.status().is_success() {
            let status = resp.status().as_u16();
            let request_id = resp.headers().get("request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
            let body = resp.bytes().await.unwrap_or_default();
            return Err(ApiError::from_response(status, request_id.as_deref(), &body).into());
        }
        Ok(EventStream { chunks: Box::pin(resp.bytes_stream()), decoder: crate::sse::Decoder::default() })
    }
}

impl EventStream {
    /// The next event or garbled frame; `None` when the server closed the stream.
    pub async fn next(&mut self) -> Option<Result<StreamItem, StreamError>> {
        loop {
            let frame = loop {
                match self.decoder.next_frame() {
                    Ok(Some(frame)) => break frame,
                    Ok(None) => {}
                    Err(e) => return Some(Err(StreamError::Broken(e.to_string()))),
                }
                match self.chunks.next().await? {
                    Ok(chunk) => self.decoder.push(chunk),
                    Err(e) => return Some(Err(StreamError::Broken(e.to_string()))),
                }
            };
            let text = |data: &[u8]| String::from_utf8_lossy(data).into_owned();
            match frame.event.as_str() {
                "ping" => continue,
                "error" => return Some(Err(StreamError::Server(ApiError::from_response(200, None, &frame.data)))),
                // A frame without an `event:` line is a `message` to the standard, and the SDKs silently drop
                // those; we keep them, marked, because an audit log must not lose what the server sent.
                "" => {
                    return Some(Ok(StreamItem::Garbled {
                        event: String::new(),
                        data: text(&frame.data),
                        reason: "frame without an event: line".into(),
                    }));
                }
                _ if frame.lossy => {
                    return Some(Ok(StreamItem::Garbled {
                        data: text(&frame.data),
                        event: frame.event,
                        reason: "the frame is not UTF-8 (shown with replacement characters)".into(),
                    }));
                }
                _ => {
                    return Some(Ok(match SessionEvent::parse(&frame.data) {
                        Ok(event) => StreamItem::Event(event),
                        Err(e) => {
                            StreamItem::Garbled { data: text(&frame.data), event: frame.event, reason: e.to_string() }
                        }
                    }));
                }
            }
        }
    }
}

/// How [`watch`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEnd {
    /// `session.status_terminated` arrived: nothing more will happen.
    Terminated,
    /// `session.deleted` arrived: the stream ends.
    Deleted,
    /// The session vanished (404) while we were reconnecting, before its `session.deleted` reached us; the
    /// API keeps no history of a deleted session, so nothing after the last delivered event can be had.
    Gone,
    /// The receiver was dropped.
    Stopped,
}

#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Reconnects allowed in a row without receiving anything new; `None`: forever.
    pub max_reconnects: Option<u32>,
    /// Counts of what was delivered by which path, when the caller wants them (benchmarks, diagnostics).
    pub counters: Option<Arc<WatchCounters>>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions { max_reconnects: Some(20), counters: None }
    }
}

/// Events delivered from the live stream and from the history backfill.
#[derive(Debug, Default)]
pub struct WatchCounters {
    pub live: AtomicU64,
    pub backfill: AtomicU64,
}

/// The most events the history endpoint returns in one page; the first page asks for this many and, should
/// the API refuse it, asks again for [`SMALL_PAGE`].
pub const BACKFILL_PAGE: u32 = 1000;
pub const SMALL_PAGE: u32 = 100;

/// Delivers every event of a session exactly once and in order into `tx` (history first, then live), until
/// the session is terminated or deleted, the receiver is dropped, or reconnecting keeps failing. Live
/// previews (`event_start`/`event_delta`) are skipped: the API never persists them, and the final event
/// they preview follows. Events whose ids are in `delivered` (the caller has them already, from an earlier
/// run) are not sent again; they still move the watch on, so that one ending the session ends the watch.
pub async fn watch(
    client: &Client,
    session_id: &str,
    options: &WatchOptions,
    delivered: foldhash::HashSet<String>,
    tx: mpsc::Sender<StreamItem>,
) -> Result<WatchEnd, ClientError> {
    // A consumer that stops is noticed at once, not at the next event (a quiet session may send none).
    tokio::select! {
        end = follow(client, session_id, options, delivered, &tx) => end,
        () = tx.closed() => Ok(WatchEnd::Stopped),
    }
}

async fn follow(
    client: &Client,
    session_id: &str,
    options: &WatchOptions,
    delivered: foldhash::HashSet<String>,
    tx: &mpsc::Sender<StreamItem>,
) -> Result<WatchEnd, ClientError> {
    // Taken apart as it is read: the set of strings is not kept beside its compact copy.
    let recorded = delivered.into_iter().map(|id| SeenId::new(&id)).collect();
    let mut progress = Progress { recorded, ..Progress::default() };
    let mut failures = 0u32;
    loop {
        let before = progress.delivered;
        match watch_once(client, session_id, &mut progress, tx, options.counters.as_deref()).await {
            Ok(Some(end)) => return Ok(end),
            // A connection that delivered something and then closed (the server may drop a slow consumer)
            // is followed at once by the next; one that delivered nothing backs off.
            Ok(None) if progress.delivered > before => {
                failures = 0;
                continue;
            }
            Ok(None) => failures += 1,
            Err(ClientError::Api(api)) if api.status == 404 && progress.delivered > 0 => return Ok(WatchEnd::Gone),
            Err(e) if is_permanent(&e) => return Err(e),
            Err(e) => {
                failures += 1;
                if options.max_reconnects.is_some_and(|m| failures > m) {
                    return Err(e);
                }
                tracing::warn!(session_id, failures, "session stream failed, reconnecting: {e}");
            }
        }
        if options.max_reconnects.is_some_and(|m| failures > m) {
            return Err(ClientError::Decode {
                what: format!("the stream of session {session_id}"),
                reason: format!("closed {failures} times in a row without delivering anything"),
            });
        }
        tokio::time::sleep(client.backoff(failures.min(6))).await;
    }
}

/// What has been delivered so far: event ids (for de-duplication) and the newest `processed_at` (so that a
/// reconnect backfills only from there instead of the whole history).
#[derive(Debug, Default)]
struct Progress {
    /// Ids met by this watch. Hashed with foldhash (randomly seeded): one insert per event, and SipHash was
    /// 1.5% of ingest's CPU.
    seen: foldhash::HashSet<SeenId>,
    /// Ids the caller had before this watch and that it has not met yet: met, each moves to `seen`.
    recorded: foldhash::HashSet<SeenId>,
    last_processed_at: Option<String>,
    /// Events met and not duplicates: sent, or ones the caller had.
    delivered: u64,
}

/// An event id as the de-duplication set keeps it: inline up to 32 bytes (the API's ids are 27), so that an
/// insert allocates nothing and growing the set re-hashes each id where it lies, without following a
/// pointer to it (both were a third of the watcher's cost per event beside decoding).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SeenId {
    Inline { len: u8, bytes: [u8; 32] },
    Long(Box<str>),
}

impl SeenId {
    fn new(id: &str) -> Self {
        let mut bytes = [0u8; 32];
        match (bytes.get_mut(..id.len()), u8::try_from(id.len())) {
            (Some(head), Ok(len)) => {
                head.copy_from_slice(id.as_bytes());
                SeenId::Inline { len, bytes }
            }
            _ => SeenId::Long(id.into()),
        }
    }
}

fn is_permanent(e: &ClientError) -> bool {
    matches!(e, ClientError::Api(api) if !api.retryable())
}

/// One connection: open the stream, backfill, tail. `Ok(None)` when the stream closed or broke (reconnect).
async fn watch_once(
    client: &Client,
    session_id: &str,
    progress: &mut Progress,
    tx: &mpsc::Sender<StreamItem>,
    counters: Option<&WatchCounters>,
) -> Result<Option<WatchEnd>, ClientError> {
    // Open first: events emitted while we read the history then reach us on the stream.
    let mut stream = client.open_stream(session_id).await?;
    if let Some(end) = backfill(client, session_id, progress, tx, counters).await? {
        return Ok(Some(end));
    }
    while let Some(item) = stream.next().await {
        match item {
            Ok(item) => {
                if let Some(end) = deliver(item, progress, tx, counters.map(|c| &c.live)).await {
                    return Ok(Some(end));
                }
            }
            Err(StreamError::Server(api)) => return Err(api.into()),
            Err(StreamError::Broken(reason)) => {
                tracing::warn!(session_id, "session stream broke: {reason}");
                return Ok(None);
            }
        }
    }
    Ok(None)
}

/// Delivers the history from the newest time already delivered on (inclusive: events sharing that instant
/// are de-duplicated), page by page as each arrives, in the largest pages the API gives.
async fn backfill(
    client: &Client,
    session_id: &str,
    progress: &mut Progress,
    tx: &mpsc::Sender<StreamItem>,
    counters: Option<&WatchCounters>,
) -> Result<Option<WatchEnd>, ClientError> {
    let since = progress.last_processed_at.clone();
    let mut options = ListOptions { limit: Some(BACKFILL_PAGE), created_at_gte: since, ..ListOptions::default() };
    loop {
        let page = match client.list_events(session_id, &options).await {
            Err(ClientError::Api(api)) if api.status == 400 && options.limit == Some(BACKFILL_PAGE) => {
                tracing::info!(
                    session_id,
                    "the API refused pages of {BACKFILL_PAGE} events ({api}); asking for {SMALL_PAGE}"
                );
                options.limit = Some(SMALL_PAGE);
                continue;
            }
            page => page?,
        };
        for event in page.data {
            if let Some(end) = deliver(StreamItem::Event(event), progress, tx, counters.map(|c| &c.backfill)).await {
                return Ok(Some(end));
            }
        }
        match page.next_page.filter(|p| !p.is_empty()) {
            Some(next) => options.page = Some(next),
            None => return Ok(None),
        }
    }
}

/// Sends one item unless it was delivered before; says whether the watch is over. `arrived` counts what came
/// by this path, duplicates included.
async fn deliver(
    item: StreamItem,
    progress: &mut Progress,
    tx: &mpsc::Sender<StreamItem>,
    arrived: Option<&AtomicU64>,
) -> Option<WatchEnd> {
    if let Some(n) = arrived {
        n.fetch_add(1, Ordering::Relaxed);
    }
    // An event the caller had already is not sent again, but it still moves the watch on like any other: a
    // reconnect backfills from its time, and a `session.status_terminated` ends the watch.
    let mut send = true;
    let end = match &item {
        StreamItem::Event(e) if e.kind == EventKind::Preview => return None,
        StreamItem::Event(e) => {
            if let Some(id) = e.id().filter(|id| !id.is_empty()) {
                let id = SeenId::new(id);
                send = progress.recorded.is_empty() || !progress.recorded.remove(&id);
                if !progress.seen.insert(id) {
                    return None;
                }
            }
            if let Some(at) = e.processed_at() {
                // One buffer, overwritten: this runs for every event.
                let last = progress.last_processed_at.get_or_insert_with(String::new);
                last.clear();
                last.push_str(at);
            }
            match e.kind {
                EventKind::Terminated => Some(WatchEnd::Terminated),
                EventKind::Deleted => Some(WatchEnd::Deleted),
                _ => None,
            }
        }
        StreamItem::Garbled { .. } => None,
    };
    if send && tx.send(item).await.is_err() {
        return Some(WatchEnd::Stopped);
    }
    progress.delivered += 1;
    end
}

/// The tool-use events a `requires_action` idle is waiting on, kept current as events arrive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingActions {
    ids: BTreeSet<String>,
}

impl PendingActions {
    pub fn observe(&mut self, event: &SessionEvent) {
        match &event.kind {
            EventKind::Idle { stop_reason: StopReason::RequiresAction { event_ids } } => {
                // The server re-emits the idle with whatever is still unresolved.
                self.ids = event_ids.iter().cloned().collect();
            }
            EventKind::Idle { .. } | EventKind::Running | EventKind::Terminated | EventKind::Deleted => {
                self.ids.clear()
            }
            EventKind::ToolConfirmation(c) => {
                self.ids.remove(&c.tool_use_id);
            }
            EventKind::CustomToolResult(r) => {
                self.ids.remove(&r.custom_tool_use_id);
            }
            _ => {}
        }
    }

    pub fn waiting_on(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(String::as_str)
    }

    pub fn is_waiting(&self) -> bool {
        !self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(v: serde_json::Value) -> SessionEvent {
        SessionEvent::parse(v.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn seen_ids_are_equal_exactly_when_the_ids_are() {
        let ids = ["", "a", "a\0", "sevt_01ABCDEFGHJKMNPQRSTVWXYZ", &"x".repeat(32), &"x".repeat(33), &"y".repeat(100)];
        let mut set = foldhash::HashSet::default();
        for id in ids {
            assert!(set.insert(SeenId::new(id)), "{id:?} is new");
            assert_eq!(SeenId::new(id), SeenId::new(id));
        }
        for id in ids {
            assert!(!set.insert(SeenId::new(id)), "{id:?} was seen");
        }
        assert!(matches!(SeenId::new(&"x".repeat(32)), SeenId::Inline { len: 32, .. }));
        assert!(matches!(SeenId::new(&"x".repeat(33)), SeenId::Long(_)));
    }

    #[test]
    fn pending_actions_follow_idles_and_answers() {
        let mut p = PendingActions::default();
        p.observe(&ev(json!({"type": "session.status_idle", "id": "e1",
            "stop_reason": {"type": "requires_action", "event_ids": ["a", "b"]}})));
        assert_eq!(p.waiting_on().collect::<Vec<_>>(), vec!["a", "b"]);
        p.observe(&ev(json!({"type": "user.tool_confirmation", "id": "e2", "tool_use_id": "a", "result": "allow"})));
        assert_eq!(p.waiting_on().collect::<Vec<_>>(), vec!["b"]);
        // Partial answers: the server re-emits the idle with what is left.
        p.observe(&ev(json!({"type": "session.status_idle", "id": "e3",
            "stop_reason": {"type": "requires_action", "event_ids": ["b"]}})));
        p.observe(&ev(json!({"type": "user.custom_tool_result", "id": "e4", "custom_tool_use_id": "b"})));
        assert!(!p.is_waiting());
        p.observe(&ev(json!({"type": "session.status_idle", "id": "e5",
            "stop_reason": {"type": "requires_action", "event_ids": ["c"]}})));
        p.observe(&ev(json!({"type": "session.status_running", "id": "e6"})));
        assert!(!p.is_waiting());
    }
}
