//! The second stage of ingest: stream items (the watcher skipped what the log holds) become log records — PII
//! redacted and sealed, canonicalised for the append — in a task of its own, so that preparing the next
//! batch overlaps with the durable append of the last (on another core when there is one). Nothing is acted
//! on here: decisions wait for the append, in the consumer.

use super::{GARBLED, now};
use crate::redact::redact_event;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use vargate_agents::events::{EventKind, SessionEvent};
use vargate_agents::stream::StreamItem;
use vargate_store::{PreparedBatch, RecordRef, Store, StoreError};

/// Most stream items prepared as one batch: as many as have arrived, up to this.
pub(super) const MAX_BATCH: usize = 16_384;
/// Prepared batches in flight to the consumer: one being appended, one ready behind it.
const PREPARED_IN_FLIGHT: usize = 2;

/// An event as ingest acts on it once its record is durable.
pub(super) struct EventMeta {
    pub id: Option<String>,
    pub kind: EventKind,
    pub ts: String,
    /// Its record's place in the batch.
    pub position: usize,
    /// Tokens a `span.model_request_end` reports used.
    pub tokens: Option<u64>,
}

/// A batch ready for the log, and what to act on after.
pub(super) struct Prepared {
    pub batch: PreparedBatch,
    pub events: Vec<EventMeta>,
    /// Counts for the [`IngestReport`].
    pub garbled: u64,
    pub malformed: u64,
}

impl Prepared {
    /// Joins `next` behind this batch, to be appended in the same commit.
    pub(super) fn merge(&mut self, next: Prepared) -> Result<(), StoreError> {
        let offset = self.batch.len();
        self.batch.extend(next.batch)?;
        self.events.extend(next.events.into_iter().map(|e| EventMeta { position: e.position + offset, ..e }));
        self.garbled += next.garbled;
        self.malformed += next.malformed;
        Ok(())
    }
}

pub(super) struct Preparer {
    pub store: Store,
    pub tenant: String,
    pub session_id: String,
    /// Records prepared so far (numbers garbled frames, whose sealed originals are bound to their place).
    pub prepared: u64,
}

impl Preparer {
    /// Runs until the stream ends or the consumer stops; a batch that cannot be prepared is passed on as the
    /// error, which ends ingest.
    pub(super) fn spawn(
        self,
        rx: mpsc::Receiver<StreamItem>,
    ) -> (tokio::task::JoinHandle<()>, mpsc::Receiver<Result<Prepared, StoreError>>) {
        let (tx, out) = mpsc::channel(PREPARED_IN_FLIGHT);
        (tokio::spawn(self.run(rx, tx)), out)
    }

    async fn run(mut self, mut rx: mpsc::Receiver<StreamItem>, tx: mpsc::Sender<Result<Prepared, StoreError>>) {
        loop {
            // A consumer that stops is noticed at once, so that the watcher upstream stops too.
            let first = tokio::select! {
                item = rx.recv() => item,
                () = tx.closed() => return,
            };
            let Some(first) = first else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(item) => batch.push(item),
                    Err(_) => break,
                }
            }
            let prepared = self.prepare(batch).await;
            let failed = prepared.is_err();
            if tx.send(prepared).await.is_err() || failed {
                return;
            }
        }
    }

    async fn prepare(&mut self, items: Vec<StreamItem>) -> Result<Prepared, StoreError> {
        let mut batch = PreparedBatch::with_capacity(&self.tenant, items.len())?;
        let mut events = Vec::with_capacity(items.len());
        let (mut garbled, mut malformed) = (0, 0);
        for item in items {
            match item {
                StreamItem::Garbled { event, data, reason } => {
                    let payload = json!({ "event": event, "data": data, "note": reason });
                    let aad = format!("garbled:{}", self.prepared + batch.len() as u64);
                    let payload = redact_event(&self.store, &self.tenant, &self.session_id, &aad, payload).await;
                    batch.push(self.record(GARBLED, &now(), &payload))?;
                    garbled += 1;
                }
                StreamItem::Event(event) => {
                    // Events the log holds already never get here: the watcher skips them.
                    let id = event.id().map(str::to_owned);
                    let ts = event.processed_at().map_or_else(now, str::to_owned);
                    let kind_name = event.event_type().to_owned();
                    // The raw object moves into the record: events can be large, and this is the hot path.
                    let SessionEvent { raw, kind } = event;
                    let tokens =
                        (kind_name == "span.model_request_end").then(|| super::model_tokens(raw.get("model_usage")));
                    let payload = match &kind {
                        EventKind::Malformed { reason } => {
                            malformed += 1;
                            json!({ "event": Value::Object(raw), "note": format!("malformed {kind_name}: {reason}") })
                        }
                        _ => Value::Object(raw),
                    };
                    // The sealed original is bound to the event's id (or, lacking one, its place and time).
                    let aad = match &id {
                        Some(id) => std::borrow::Cow::Borrowed(id.as_str()),
                        None => std::borrow::Cow::Owned(format!("{kind_name}@{ts}")),
                    };
                    let payload = redact_event(&self.store, &self.tenant, &self.session_id, &aad, payload).await;
                    batch.push(self.record(&kind_name, &ts, &payload))?;
                    events.push(EventMeta { id, kind, ts, position: batch.len() - 1, tokens });
                }
            }
        }
        self.prepared += batch.len() as u64;
        Ok(Prepared { batch, events, garbled, malformed })
    }

    /// The record of an event as observed on the stream (by reference: the batch keeps only its canonical form).
    fn record<'a>(&'a self, kind: &'a str, ts: &'a str, payload: &'a Value) -> RecordRef<'a> {
        RecordRef { session_id: &self.session_id, ts, kind, source: "sse", decision: "observed", payload }
    }
}
