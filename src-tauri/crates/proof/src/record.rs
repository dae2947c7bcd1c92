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
    /// Lowercase hex leaf hash of the session's previous record; `None` for `seq == 0`. The member is
    /// required even when null: a leaf has exactly the record's members.
    #[serde(deserialize_with = "Option::deserialize")]
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
    #[error("leaf's payload is not a JSON object")]
    PayloadNotObject,
}

impl AuditRecord {
    /// The RFC 8785 canonical bytes: the Merkle leaf.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // A record's fields serialise to a JSON object of strings, integers and the payload, none of them
        // non-finite (serde_json values cannot hold NaN), so this cannot fail.
        serde_json::to_value(self).ok().and_then(|v| crate::jcs::to_canonical(&v).ok()).unwrap_or_default()
    }

    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.canonical_bytes())
    }

    /// Parses leaf bytes, insisting that they are exactly the canonical form of the record they describe.
    pub fn from_leaf(leaf: &[u8]) -> Result<Self, RecordError> {
        // Parse once into a value, check that it re-canonicalises to exactly these bytes, then move the value
        // into the record (no copies of its strings).
        let value: serde_json::Value = serde_json::from_slice(leaf)?;
        let canonical = crate::jcs::to_canonical(&value).is_ok_and(|c| c == leaf);
        let record: AuditRecord = serde_json::from_value(value)?;
        if record.v != RECORD_VERSION {
            return Err(RecordError::UnknownVersion(record.v));
        }
        if !canonical {
            return Err(RecordError::NotCanonical);
        }
        if !record.payload.is_object() {
            return Err(RecordError::PayloadNotObject);
        }
        Ok(record)
    }
}

/// What a verifier needs of a leaf, read without building its payload: the record's members borrowed from
/// the leaf, with every check [`AuditRecord::from_leaf`] makes (exact members, version, canonical form,
/// payload an object).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordHead<'a> {
    pub v: u32,
    #[serde(borrow)]
    pub tenant: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    pub session_id: std::borrow::Cow<'a, str>,
    pub seq: u64,
    #[serde(borrow, deserialize_with = "optional_str")]
    pub prev: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    pub ts: std::borrow::Cow<'a, str>,
    #[serde(borrow, rename = "type")]
    pub kind: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    pub source: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    pub decision: std::borrow::Cow<'a, str>,
    /// Checked to be an object while reading; its content is not kept.
    #[allow(dead_code)]
    payload: AnObject,
}

fn optional_str<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<std::borrow::Cow<'de, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] std::borrow::Cow<'a, str>);
    Ok(Option::<Borrowed<'de>>::deserialize(d)?.map(|b| b.0))
}

/// Any JSON object, skipped; anything else is an error.
#[derive(Debug)]
struct AnObject;

impl<'de> Deserialize<'de> for AnObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = AnObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<AnObject, A::Error> {
                while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
                Ok(AnObject)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> RecordHead<'a> {
    pub fn from_leaf(leaf: &'a [u8]) -> Result<Self, RecordError> {
        let Some(members) = crate::jcs_check::canonical_members(leaf) else {
            // Say why as the full reader would (e.g. "not an audit record" for a leaf that is not JSON).
            return Err(AuditRecord::from_leaf(leaf).err().unwrap_or(RecordError::NotCanonical));
        };
        // The members were read while checking the form; a leaf they do not make a record of is read again by
        // serde, so that it is refused with serde's words.
        let head = match Self::from_members(&members) {
            Some(head) => head,
            None => serde_json::from_slice(leaf).map_err(|e| {
                if e.to_string().contains("a JSON object") {
                    RecordError::PayloadNotObject
                } else {
                    RecordError::NotARecord(e)
                }
            })?,
        };
        if head.v != RECORD_VERSION {
            return Err(RecordError::UnknownVersion(head.v));
        }
        Ok(head)
    }

    /// The head from a canonical object's members: exactly the record's members, each of its type.
    fn from_members(members: &[crate::jcs_check::Member<'a>]) -> Option<Self> {
        use std::borrow::Cow;
        // A canonical string: borrowed when it has no escapes (the text is valid UTF-8 as a whole).
        let text = |raw: &'a [u8]| -> Option<Cow<'a, str>> {
            let inner = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
            if inner.contains(&b'\\') {
                serde_json::from_slice::<String>(raw).ok().map(Cow::Owned)
            } else {
                std::str::from_utf8(inner).ok().map(Cow::Borrowed)
            }
        };
        // Canonical integers are plain digits; anything else (a fraction, an exponent) is left to serde.
        let integer = |raw: &[u8]| -> Option<u64> {
            if raw.is_empty() || !raw.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(raw).ok()?.parse().ok()
        };
        let [
            (b"\"decision\"", decision),
            (b"\"payload\"", payload),
            (b"\"prev\"", prev),
            (b"\"seq\"", seq),
            (b"\"session_id\"", session_id),
            (b"\"source\"", source),
            (b"\"tenant\"", tenant),
            (b"\"ts\"", ts),
            (b"\"type\"", kind),
            (b"\"v\"", v),
        ] = members
        else {
            return None;
        };
        if !payload.starts_with(b"{") {
            return None;
        }
        Some(RecordHead {
            v: u32::try_from(integer(v)?).ok()?,
            tenant: text(tenant)?,
            session_id: text(session_id)?,
            seq: integer(seq)?,
            prev: if *prev == b"null" { None } else { Some(text(prev)?) },
            ts: text(ts)?,
            kind: text(kind)?,
            source: text(source)?,
            decision: text(decision)?,
            payload: AnObject,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_head_reader_accepts_and_refuses_exactly_what_the_full_reader_does() {
        let leaf = record().canonical_bytes();
        let text = String::from_utf8(leaf.clone()).unwrap();
        let mut cases: Vec<String> = vec![text.clone()];
        for (from, to) in [
            ("\"v\":1", "\"v\":2"),
            ("\"payload\":{", "\"payload\":[{"),
            (",\"prev\":null", ""),
            ("\"seq\":0", "\"seq\":-1"),
            ("\"seq\":0", "\"seq\":\"0\""),
            ("\"source\":\"import\"", "\"source\":\"import\",\"t\":1"),
            ("\"tenant\":\"acme\"", "\"tenant\":null"),
            ("{", "{ "),
            ("\"prev\":null", "\"prev\":\"ab\""),
            ("\"seq\":0", "\"seq\":1.5"),
            ("\"seq\":0", "\"seq\":1e+21"),
            ("\"seq\":0", "\"seq\":18446744073709551616"),
            ("\"v\":1", "\"v\":4294967297"),
            ("\"tenant\":\"acme\"", "\"tenant\":\"ac\\\"me\\n\""),
            ("\"tenant\":\"acme\"", "\"tenant\":\"ac\\u0001me\""),
            ("\"decision\":", "\"decision\":1,\"x\":"),
            ("\"payload\":{", "\"payload\":\"{"),
        ] {
            cases.push(text.replacen(from, to, 1));
        }
        for i in (0..leaf.len()).step_by(3) {
            let mut b = leaf.clone();
            b[i] ^= 0x04;
            cases.push(String::from_utf8_lossy(&b).into_owned());
        }
        for case in cases {
            let full = AuditRecord::from_leaf(case.as_bytes());
            let head = RecordHead::from_leaf(case.as_bytes());
            assert_eq!(full.is_ok(), head.is_ok(), "{case}: {full:?} vs {head:?}");
            if let (Ok(f), Ok(h)) = (full, head) {
                assert_eq!(
                    (f.v, f.seq, f.prev.as_deref(), f.tenant.as_str(), f.session_id.as_str(), f.ts.as_str()),
                    (h.v, h.seq, h.prev.as_deref(), &*h.tenant, &*h.session_id, &*h.ts)
                );
                assert_eq!(
                    (f.kind.as_str(), f.source.as_str(), f.decision.as_str()),
                    (&*h.kind, &*h.source, &*h.decision)
                );
            }
        }
    }

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
    fn leaves_must_have_exactly_the_record_members() {
        let leaf = String::from_utf8(record().canonical_bytes()).unwrap();
        let no_prev = leaf.replace(r#""prev":null,"#, "");
        assert!(matches!(AuditRecord::from_leaf(no_prev.as_bytes()), Err(RecordError::NotARecord(_))));
        let mut r = record();
        r.payload = json!([1, 2]);
        assert!(matches!(AuditRecord::from_leaf(&r.canonical_bytes()), Err(RecordError::PayloadNotObject)));
        r.payload = json!("text");
        assert!(matches!(AuditRecord::from_leaf(&r.canonical_bytes()), Err(RecordError::PayloadNotObject)));
    }

    #[test]
    fn canonical_bytes_sort_keys_and_normalise_numbers() {
        let bytes = String::from_utf8(record().canonical_bytes()).unwrap();
        let expected = r#"{"decision":"observed","payload":{"a":"é","m":[true,null],"z":1500},"prev":null,"seq":0,"session_id":"sesn_1","source":"import","tenant":"acme","ts":"2026-11-25T10:00:00Z","type":"agent.message","v":1}"#;
        assert_eq!(bytes, expected);
        // 1.5e3 reads back as the integer 1500, which canonicalises to the same bytes.
        assert_eq!(AuditRecord::from_leaf(bytes.as_bytes()).unwrap().canonical_bytes(), bytes.as_bytes());
    }

    proptest::proptest! {
        #[test]
        fn prepared_records_splice_to_the_canonical_bytes(
            strings in proptest::collection::vec(".{0,12}", 6),
            // RFC 8785 numbers are IEEE doubles: integers are exact up to 2^53, far beyond any session.
            seq in 0u64..(1u64 << 53),
            prev in proptest::option::of(proptest::array::uniform32(proptest::num::u8::ANY)),
            n in proptest::num::f64::NORMAL,
            k in "[a-z\\u{e9}\"\n\u{1}]{0,6}",
        ) {
            let payload = json!({"z": n, k.clone(): [k, strings[0].clone(), {"b": 1, "a": null}], "e": {}});
            let record = AuditRecord {
                v: 1,
                tenant: strings[0].clone(),
                session_id: strings[1].clone(),
                seq,
                prev: prev.map(hex::encode),
                ts: strings[2].clone(),
                kind: strings[3].clone(),
                source: strings[4].clone(),
                decision: strings[5].clone(),
                payload: payload.clone(),
            };
            let prepared = PreparedRecord::new(&strings[0], &strings[1], &strings[2], &strings[3], &strings[4], &strings[5], &payload);
            proptest::prop_assert_eq!(
                String::from_utf8(prepared.leaf(seq, prev.as_ref())).unwrap(),
                String::from_utf8(record.canonical_bytes()).unwrap()
            );
            // And the leaf reads back as canonical: parsing numbers must be exact (serde_json's
            // float_roundtrip), or a float written in its shortest form could read back one ULP off.
            let leaf = record.canonical_bytes();
            proptest::prop_assert!(AuditRecord::from_leaf(&leaf).is_ok(), "{}", String::from_utf8_lossy(&leaf));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]

        /// Any finite double written canonically reads back to the same bytes.
        #[test]
        fn every_finite_number_round_trips_through_a_leaf(n in proptest::num::f64::ANY) {
            proptest::prop_assume!(n.is_finite());
            let mut r = record();
            r.payload = json!({"score": n, "nested": [n / 3.0, n * 1e-300]});
            let leaf = r.canonical_bytes();
            proptest::prop_assert!(AuditRecord::from_leaf(&leaf).is_ok(), "{}", String::from_utf8_lossy(&leaf));
        }
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

/// The parts of a record that are known before the log assigns its chain position, already in canonical
/// form. Appenders prepare these on their own tasks so that the log's single writer only has to splice in
/// `seq` and `prev` (a concatenation) before hashing. [`PreparedRecord::leaf`] produces exactly
/// [`AuditRecord::canonical_bytes`] (tested against it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRecord {
    /// `{"decision":…,"payload":…,"prev":` — everything before `prev`'s value.
    head: Vec<u8>,
    /// `,"session_id":…,"source":…,"tenant":…,"ts":…,"type":…,"v":1}` — everything after `seq`'s value.
    tail: Vec<u8>,
}

fn push_json_str(out: &mut Vec<u8>, s: &str) {
    crate::jcs::write_string(s, out);
}

impl PreparedRecord {
    /// Canonicalises everything but `seq` and `prev`. Member order is RFC 8785's (by UTF-16 code units):
    /// decision, payload, prev, seq, session_id, source, tenant, ts, type, v.
    pub fn new(
        tenant: &str,
        session_id: &str,
        ts: &str,
        kind: &str,
        source: &str,
        decision: &str,
        payload: &serde_json::Value,
    ) -> Self {
        let mut head = Vec::with_capacity(256);
        head.extend_from_slice(b"{\"decision\":");
        push_json_str(&mut head, decision);
        head.extend_from_slice(b",\"payload\":");
        // serde_json values cannot hold NaN or infinities, so canonicalisation cannot fail.
        let _ = crate::jcs::write_canonical(payload, &mut head);
        head.extend_from_slice(b",\"prev\":");
        let mut tail = Vec::with_capacity(128);
        tail.extend_from_slice(b",\"session_id\":");
        push_json_str(&mut tail, session_id);
        tail.extend_from_slice(b",\"source\":");
        push_json_str(&mut tail, source);
        tail.extend_from_slice(b",\"tenant\":");
        push_json_str(&mut tail, tenant);
        tail.extend_from_slice(b",\"ts\":");
        push_json_str(&mut tail, ts);
        tail.extend_from_slice(b",\"type\":");
        push_json_str(&mut tail, kind);
        tail.extend_from_slice(b",\"v\":");
        crate::jcs::push_decimal(&mut tail, u64::from(RECORD_VERSION));
        tail.push(b'}');
        PreparedRecord { head, tail }
    }

    /// The leaf bytes once the record's chain position is known.
    pub fn leaf(&self, seq: u64, prev: Option<&Hash>) -> Vec<u8> {
        // This runs once per record on the log's single writer: no intermediate strings.
        let mut out = Vec::with_capacity(self.head.len() + self.tail.len() + 96);
        out.extend_from_slice(&self.head);
        match prev {
            Some(h) => {
                let mut hex = [0u8; 64];
                hex::encode_to_slice(h, &mut hex).unwrap_or_default();
                out.push(b'"');
                out.extend_from_slice(&hex);
                out.push(b'"');
            }
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"seq\":");
        crate::jcs::push_decimal(&mut out, seq);
        out.extend_from_slice(&self.tail);
        out
    }
}
