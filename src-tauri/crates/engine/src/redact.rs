//! No plaintext PII in the log: every event is scanned before it is recorded; each PII or secret span is
//! replaced by `[REDACTED:<kind>]`, and the original event is sealed (AES-256-GCM, the session's key) into
//! the reserved member `vargate_sealed`. If sealing fails, the originals are dropped and the record says so:
//! a record is never lost, and never holds the plaintext.

use serde_json::{Value, json};
use vargate_store::Store;

/// The member a redacted record carries: `{"pii": [{"path", "kind"}], "sealed": {…}}`.
pub const SEALED_MEMBER: &str = "vargate_sealed";

/// What redaction found and did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Redaction {
    /// Each finding as `{"path": JSON pointer, "kind": …}`.
    pub pii: Vec<Value>,
}

/// Redacts `value` (an event, or a tool call's parameters) without sealing: for parameters whose original
/// the event record already seals.
pub fn redact_only(value: &Value) -> (Value, Redaction) {
    let (redacted, findings) = vargate_detect::redact(value);
    let pii = findings
        .iter()
        .flat_map(|f| f.spans.iter().map(move |s| json!({"path": f.path, "kind": s.kind.as_str()})))
        .collect();
    (redacted, Redaction { pii })
}

/// Redacts an event for the log and seals its original under the session's key; `aad` (the event's id or
/// position) binds the sealed bytes to it.
pub async fn redact_event(store: &Store, tenant: &str, session: &str, aad: &str, event: Value) -> Value {
    if !vargate_detect::pii::json_has_pii(&event) {
        return event; // the common case: no copy, no findings to build
    }
    let (mut redacted, redaction) = redact_only(&event);
    if redaction.pii.is_empty() {
        return event;
    }
    let sealed = match serde_json::to_vec(&event) {
        Ok(bytes) => store.seal(tenant, session, &bytes, aad.as_bytes()).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let member = match sealed {
        Ok(sealed) => json!({"pii": redaction.pii, "aad": aad, "sealed": sealed}),
        Err(e) => {
            tracing::error!(tenant, session, "sealing an event's PII failed, originals dropped: {e}");
            json!({"pii": redaction.pii, "error": format!("the originals could not be sealed and were dropped: {e}")})
        }
    };
    if let Some(object) = redacted.as_object_mut() {
        object.insert(SEALED_MEMBER.to_owned(), member);
    }
    redacted
}
