//! A session's timeline, a page at a time, so that a session of any length scrolls without loading it all.
//! Payloads are shown as stored: redacted, PII sealed.

use super::{Console, ConsoleError};
use serde::Serialize;
use vargate_proof::AuditRecord;
use vargate_store::TimelineFilter;

/// Most records a page holds.
const MAX_PAGE: u32 = 500;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TimelineRow {
    /// Leaf index in the tenant's log.
    pub index: u32,
    /// Place in the session.
    pub seq: u32,
    pub ts: String,
    pub kind: String,
    pub source: String,
    pub decision: String,
    /// One line: the tool and its verdict with the reason, the tool's input, the error type…
    pub summary: String,
    /// Rules a decision matched (its violations first).
    pub rules: Vec<String>,
    /// Who decided a held call (approver and channel), when this record concludes one.
    pub approver: Option<String>,
    /// The record's payload as stored (redacted), pretty-printed.
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TimelinePage {
    pub rows: Vec<TimelineRow>,
    /// Pass as `after_seq` for the next page; `None` when this page reached the end.
    pub next_after: Option<u32>,
}

impl Console {
    /// Up to `limit` records of the session after `after_seq` (from the start when `None`), only of these
    /// types and decisions when given.
    pub async fn timeline(
        &self,
        session_id: &str,
        types: Vec<String>,
        decisions: Vec<String>,
        after_seq: Option<u32>,
        limit: u32,
    ) -> Result<TimelinePage, ConsoleError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let filter = TimelineFilter { types, decisions, after_seq: after_seq.map(u64::from), limit };
        let entries = self.store.timeline(&self.tenant, session_id, &filter).await?;
        let full = entries.len() as u32 == limit;
        let rows: Vec<TimelineRow> = entries.into_iter().map(|e| row(e.index, &e.record)).collect();
        let next_after = if full { rows.last().map(|r| r.seq) } else { None };
        Ok(TimelinePage { rows, next_after })
    }
}

fn row(index: u64, r: &AuditRecord) -> TimelineRow {
    let p = &r.payload;
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
    };
    let mut rules = strings(&p["policy"]["violations"]);
    for rule in strings(&p["policy"]["matched_rules"]) {
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    let approver = p["approval"]["approver"]
        .as_str()
        .map(|by| format!("{by} via {}", p["approval"]["channel"].as_str().unwrap_or("an unknown channel")));
    TimelineRow {
        index: index.min(u64::from(u32::MAX)) as u32,
        seq: r.seq.min(u64::from(u32::MAX)) as u32,
        ts: r.ts.clone(),
        kind: r.kind.clone(),
        source: r.source.clone(),
        decision: r.decision.clone(),
        summary: summary(r),
        rules,
        approver,
        payload: serde_json::to_string_pretty(p).unwrap_or_default(),
    }
}

/// One line saying what a record is about: shared by the app's timeline and `vargate demo`'s live view.
pub fn summary(r: &AuditRecord) -> String {
    let p = &r.payload;
    match r.kind.as_str() {
        crate::ingest::DECISION => format!(
            "{} {} — {}",
            p["tool"].as_str().unwrap_or_default(),
            if r.decision == "require_approval" { "HOLD".to_owned() } else { r.decision.to_uppercase() },
            p["reason"].as_str().unwrap_or_default()
        ),
        "agent.tool_use" | "agent.custom_tool_use" | "agent.mcp_tool_use" => {
            format!("{} {}", p["name"].as_str().unwrap_or_default(), p["input"])
        }
        "session.error" => p["error"]["type"].as_str().unwrap_or_default().to_owned(),
        crate::ingest::INTERRUPT => format!("INTERRUPT — {}", p["reason"].as_str().unwrap_or_default()),
        _ => String::new(),
    }
}

impl Console {
    /// The original of a record whose PII was redacted, unsealed for a reviewer. Revealing is itself an
    /// audited action: the record of who revealed what and why is appended first, so nothing is ever shown
    /// that the log does not say was shown.
    pub async fn reveal(&self, session_id: &str, seq: u32, by: &str, reason: &str) -> Result<String, ConsoleError> {
        if by.trim().is_empty() || reason.trim().is_empty() {
            return Err(ConsoleError::Invalid("revealing needs a reason and the name of who reveals".into()));
        }
        let filter =
            TimelineFilter { after_seq: seq.checked_sub(1).map(u64::from), limit: 1, ..TimelineFilter::default() };
        let entry = self.store.timeline(&self.tenant, session_id, &filter).await?.into_iter().next();
        let entry = entry
            .filter(|e| e.record.seq == u64::from(seq))
            .ok_or_else(|| ConsoleError::Invalid(format!("session {session_id} has no record {seq}")))?;
        let sealed = &entry.record.payload[crate::redact::SEALED_MEMBER];
        let (Some(aad), Ok(sealed_box)) =
            (sealed["aad"].as_str(), serde_json::from_value::<vargate_store::Sealed>(sealed["sealed"].clone()))
        else {
            return Err(ConsoleError::Invalid(format!("record {seq} holds nothing sealed: it had no PII")));
        };
        let audit = vargate_store::NewRecord {
            session_id: session_id.to_owned(),
            ts: crate::ingest::now(),
            kind: REVEAL.to_owned(),
            source: "operator".to_owned(),
            decision: "reveal".to_owned(),
            payload: serde_json::json!({"index": entry.index, "seq": seq, "by": by, "reason": reason, "channel": "app"}),
        };
        self.store.append(&self.tenant, audit).await?;
        let original = self.store.unseal(&self.tenant, session_id, &sealed_box, aad.as_bytes()).await?;
        let value: serde_json::Value = serde_json::from_slice(&original)
            .map_err(|e| ConsoleError::Invalid(format!("the sealed original of record {seq} is not JSON: {e}")))?;
        Ok(serde_json::to_string_pretty(&value).unwrap_or_default())
    }
}

/// Record type of a reviewer's look at sealed PII.
pub const REVEAL: &str = "vargate.reveal";
