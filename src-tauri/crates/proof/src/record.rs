//! The audit record: one event or decision, as committed to the log. Its RFC 8785 (JCS) canonical JSON
//! serialisation is the Merkle leaf, so any verifier in any language can recompute the leaf from the fields.

use crate::merkle::{Hash, leaf_hash};
use serde::{Deserialize, Serialize};

/// Version of the record schema; bumped only with a new proof format.
pub const RECORD_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// Schema version, [`RECORD_VERSION`].
    pub v: u32,
    pub tenant: String,
    pub session_id: String,
    /// Position of this record in its session's chain, from 0.
    pub seq: u64,
    /// Lowercase hex leaf hash of the session's previous record; `None` for `seq == 0`.
    pub prev: Option<String>,
    /// RFC 3339 timestamp of the event.
    pub ts: String,
    /// Event or decision type, e.g. `agent.tool_use`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where the record came from, e.g. `import`, `sse`, `pipeline`.
    pub source: String,
    /// `observed` for events no gate decided on; otherwise the gate's decision.
    pub decision: String,
    pub payload: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    #[error("leaf is not an audit record: {0}")]
    NotARecord(#[from] serde_json::Error),
    #[error("leaf is a version {0} record; this build reads version {RECORD_VERSION}")]
    UnknownVersion(u32),
    #[error("leaf is not in RFC 8785 canonical form")]
    NotCanonical,
}

impl AuditRecord {
    /// The RFC 8785 canonical bytes: the Merkle leaf.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // Serialising plain structs and serde_json values cannot fail: every map key is a string.
        serde_jcs::to_vec(self).unwrap_or_default()
    }

    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.canonical_bytes())
    }

    /// Parses leaf bytes, insisting that they are exactly the canonical form of the record they describe.
    pub fn from_leaf(leaf: &[u8]) -> Result<Self, RecordError> {
        let record: AuditRecord = serde_json::from_slice(leaf)?;
        if record.v != RECORD_VERSION {
            return Err(RecordError::UnknownVersion(record.v));
        }
        if record.canonical_bytes() != leaf {
            return Err(RecordError::NotCanonical);
        }
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> AuditRecord {
        AuditRecord {
            v: 1,
            tenant: "acme".into(),
            session_id: "sesn_1".into(),
            seq: 0,
            prev: None,
            ts: "2026-11-25T10:00:00Z".into(),
            kind: "agent.message".into(),
            source: "import".into(),
            decision: "observed".into(),
            payload: json!({"z": 1.5e3, "a": "é", "m": [true, null]}),
        }
    }

    #[test]
    fn canonical_bytes_sort_keys_and_normalise_numbers() {
        let bytes = String::from_utf8(record().canonical_bytes()).unwrap();
        let expected = r#"{"decision":"observed","payload":{"a":"é","m":[true,null],"z":1500},"prev":null,"seq":0,"session_id":"sesn_1","source":"import","tenant":"acme","ts":"2026-11-25T10:00:00Z","type":"agent.message","v":1}"#;
        assert_eq!(bytes, expected);
        // 1.5e3 reads back as the integer 1500, which canonicalises to the same bytes.
        assert_eq!(AuditRecord::from_leaf(bytes.as_bytes()).unwrap().canonical_bytes(), bytes.as_bytes());
    }

    #[test]
    fn non_canonical_or_foreign_leaves_are_rejected() {
        let pretty = serde_json::to_vec_pretty(&record()).unwrap();
        assert!(matches!(AuditRecord::from_leaf(&pretty), Err(RecordError::NotCanonical)));
        assert!(matches!(AuditRecord::from_leaf(b"{}"), Err(RecordError::NotARecord(_))));
        let mut v2 = record();
        v2.v = 2;
        assert!(matches!(AuditRecord::from_leaf(&v2.canonical_bytes()), Err(RecordError::UnknownVersion(2))));
    }
}
