//! A record as an appender hands it over: validated, and canonicalised but for its chain position, on the
//! appender's task, so that the single writer does as little as possible per record.

use crate::error::StoreError;
use crate::store::{NewRecord, RecordRef};
use vargate_proof::record::PreparedRecord;

/// A validated record with everything but its chain position already canonicalised (by the appender's task,
/// so that the single writer does as little as possible).
pub(crate) struct Pending {
    pub(super) session_id: String,
    pub(super) fields: PreparedRecord,
}

impl Pending {
    pub(crate) fn new(tenant: &str, r: NewRecord) -> Result<Self, StoreError> {
        let fields = prepare(tenant, &r.as_ref())?;
        Ok(Pending { session_id: r.session_id, fields })
    }

    pub(crate) fn of(tenant: &str, r: RecordRef<'_>) -> Result<Self, StoreError> {
        Ok(Pending { fields: prepare(tenant, &r)?, session_id: r.session_id.to_owned() })
    }
}

/// A valid record's fields, canonicalised but for its chain position.
fn prepare(tenant: &str, r: &RecordRef<'_>) -> Result<PreparedRecord, StoreError> {
    validate(r)?;
    Ok(PreparedRecord::new(tenant, r.session_id, r.ts, r.kind, r.source, r.decision, r.payload))
}

pub(crate) fn validate(rec: &RecordRef<'_>) -> Result<(), StoreError> {
    let bad = |what: &str| Err(StoreError::InvalidRecord(what.to_owned()));
    if rec.session_id.is_empty() || rec.session_id.len() > 256 {
        return bad("session_id must be 1-256 characters");
    }
    if !rec.payload.is_object() {
        return bad("payload must be a JSON object");
    }
    if rec.kind.is_empty() || rec.kind.len() > 128 {
        return bad("type must be 1-128 characters");
    }
    if rec.source.is_empty() || rec.decision.is_empty() {
        return bad("source and decision must not be empty");
    }
    if !is_rfc3339(rec.ts) {
        return bad("ts must be an RFC 3339 timestamp such as 2026-11-25T10:00:00Z");
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, with field ranges checked.
pub(crate) fn is_rfc3339(ts: &str) -> bool {
    let b = ts.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r.clone()).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let num = |r: std::ops::Range<usize>| ts.get(r).and_then(|s| s.parse::<u32>().ok()).unwrap_or(99);
    if b.len() < 20
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
        || !digits(11..13)
        || !digits(14..16)
        || !digits(17..19)
    {
        return false;
    }
    let seps = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if !seps.iter().all(|(i, c)| b.get(*i) == Some(c)) || !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return false;
    }
    if !(1..=12).contains(&num(5..7))
        || !(1..=31).contains(&num(8..10))
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 60
    {
        return false;
    }
    let mut rest = &ts[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        "Z" | "z" => true,
        off => {
            let o = off.as_bytes();
            o.len() == 6
                && matches!(o.first(), Some(b'+' | b'-'))
                && o.get(3) == Some(&b':')
                && off.get(1..3).and_then(|h| h.parse::<u32>().ok()).is_some_and(|h| h <= 23)
                && off.get(4..6).and_then(|m| m.parse::<u32>().ok()).is_some_and(|m| m <= 59)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_rfc3339;

    #[test]
    fn rfc3339_timestamps() {
        for ok in
            ["2026-11-25T10:00:00Z", "2026-11-25T10:00:00.123456Z", "2026-11-25T10:00:00+01:00", "2026-02-01t00:00:60z"]
        {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "",
            "2026-11-25",
            "2026-13-25T10:00:00Z",
            "2026-11-25T24:00:00Z",
            "2026-11-25T10:00:00",
            "2026-11-25T10:00:00.Z",
            "2026-11-25T10:00:00+1:00",
            "２０２６-11-25T10:00:00Z",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}
