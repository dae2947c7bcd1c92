//! The report's content, read from exactly the records the pack's proof carries: the PDF claims nothing the
//! proof file does not let a reader check.

use super::controls;
use serde_json::Value;
use vargate_proof::{AuditRecord, Checkpoint, HeadsCommitment, NoteVerifier, SessionProof};
use vargate_report::{
    AnchorSummary, AnomalyRow, ApprovalRow, Counts, DecisionRow, Period, ProofSummary, Report, SigningKey, TimelineRow,
};

/// The facts of a session's records that the report and the control table use.
#[derive(Debug, Default)]
pub(super) struct Facts {
    pub records: Vec<AuditRecord>,
    pub counts: Counts,
    pub decisions: Vec<DecisionRow>,
    pub approvals: Vec<ApprovalRow>,
    pub anomalies: Vec<AnomalyRow>,
    /// Decisions whose payload carries the policy bundle hash and the exact policy input.
    pub replayable: u64,
    pub faults: u64,
    pub with_findings: u64,
    pub sealed_or_redacted: u64,
    pub agents: std::collections::BTreeSet<String>,
    pub rate_rules: u64,
}

/// The report of a pack whose proof file is `proof`, made at `created_at`.
pub fn report_for(proof: &SessionProof, created_at: &str) -> Result<Report, String> {
    let records = proof
        .leaves()
        .iter()
        .map(|l| AuditRecord::from_leaf(l).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let facts = facts(records);
    let checkpoint = open_checkpoint(&proof.checkpoint)?;
    let key = NoteVerifier::parse(&proof.log_vkey).map_err(|e| e.to_string())?;
    let anchor = proof.anchor.as_ref().and_then(anchor_summary);
    let summary = ProofSummary {
        origin: checkpoint.origin.clone(),
        tree_size: checkpoint.size,
        root_hex: hex::encode(checkpoint.root),
        heads_root_hex: match checkpoint.heads() {
            HeadsCommitment::Root(r) => hex::encode(r),
            _ => "none".to_owned(),
        },
        checkpoint_note: proof.checkpoint.clone(),
        anchor,
    };
    Ok(Report {
        tenant: proof.session.tenant.clone(),
        agent: facts.agents.iter().cloned().collect::<Vec<_>>().join(", "),
        session_id: proof.session.session_id.clone(),
        period: Period {
            start: facts.records.first().map(|r| r.ts.clone()).unwrap_or_default(),
            end: facts.records.last().map(|r| r.ts.clone()).unwrap_or_default(),
        },
        generated_at: created_at.to_owned(),
        counts: facts.counts,
        controls: controls::assess(&facts, proof, summary.anchor.is_some()),
        timeline: facts
            .records
            .iter()
            .map(|r| TimelineRow {
                seq: r.seq,
                ts: r.ts.clone(),
                kind: r.kind.clone(),
                decision: r.decision.clone(),
                summary: record_summary(&r.payload),
            })
            .collect(),
        decisions: facts.decisions,
        approvals: facts.approvals,
        anomalies: facts.anomalies,
        proof: summary,
        signing_key: SigningKey { vkey: proof.log_vkey.clone(), fingerprint: key.fingerprint() },
    })
}

fn open_checkpoint(note: &str) -> Result<Checkpoint, String> {
    Checkpoint::read_unverified(note).map_err(|e| e.to_string())
}

fn anchor_summary(a: &vargate_proof::AnchorSection) -> Option<AnchorSummary> {
    let anchored = open_checkpoint(&a.checkpoint).ok()?;
    let e = &a.evidence;
    Some(AnchorSummary {
        chain_id: e["chain_id"].as_u64().unwrap_or_default(),
        tx_hash: e["tx_hash"].as_str().unwrap_or_default().to_owned(),
        block_number: e["block_number"].as_u64().unwrap_or_default(),
        block_hash: e["block_hash"].as_str().unwrap_or_default().to_owned(),
        anchored_size: anchored.size,
        anchored_root_hex: hex::encode(anchored.root),
    })
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect()).unwrap_or_default()
}

fn facts(records: Vec<AuditRecord>) -> Facts {
    let mut f = Facts::default();
    for r in &records {
        let p = &r.payload;
        let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        f.counts.records += 1;
        let serialized = p.to_string();
        if serialized.contains("vargate_sealed") || serialized.contains("[REDACTED:") {
            f.sealed_or_redacted += 1;
        }
        match r.kind.as_str() {
            crate::ingest::DECISION => {
                f.counts.governed += 1;
                match r.decision.as_str() {
                    "allow" => f.counts.allowed += 1,
                    "deny" => f.counts.denied += 1,
                    _ => {}
                }
                let agent = text("agent");
                if !agent.is_empty() {
                    f.agents.insert(agent);
                }
                let policy = &p["policy"];
                let rules = strings(&policy["matched_rules"]);
                if rules.iter().any(|r| r.contains("rate") || r.contains("budget") || r.contains("limit")) {
                    f.rate_rules += 1;
                }
                if p["evaluation"]["bundle_hash"].is_string() && !p["evaluation"]["pass1_input"].is_null() {
                    f.replayable += 1;
                }
                if p.get("fault").is_some() {
                    f.faults += 1;
                }
                let findings = &p["findings"];
                let anomalies = findings["anomalies"].as_array().map_or(0, Vec::len);
                let dangerous = findings["dangerous"].as_array().map_or(0, Vec::len);
                if anomalies + dangerous > 0 || findings["pii"].as_array().is_some_and(|a| !a.is_empty()) {
                    f.with_findings += 1;
                }
                if anomalies > 0 {
                    f.counts.anomalies += anomalies as u64;
                    f.anomalies.push(AnomalyRow {
                        seq: r.seq,
                        ts: r.ts.clone(),
                        kind: "anomaly".into(),
                        detail: findings["anomalies"].to_string(),
                    });
                }
                let mut reasons = strings(&policy["reasons"]);
                if reasons.is_empty() {
                    reasons.push(text("reason"));
                }
                f.decisions.push(DecisionRow {
                    seq: r.seq,
                    ts: r.ts.clone(),
                    tool: text("tool"),
                    decision: r.decision.clone(),
                    rules,
                    reasons,
                });
                if let Some(a) = p.get("approval") {
                    let status = a["status"].as_str().unwrap_or_default();
                    match status {
                        "approved" if r.decision == "allow" => f.counts.approved += 1,
                        "expired" => f.counts.expired += 1,
                        _ => {}
                    }
                    let field = |k: &str| a[k].as_str().unwrap_or("—").to_owned();
                    f.approvals.push(ApprovalRow {
                        seq: r.seq,
                        ts: r.ts.clone(),
                        tool: text("tool"),
                        outcome: status.to_owned(),
                        approver: field("approver"),
                        channel: field("channel"),
                        reason: field("reason"),
                    });
                }
            }
            crate::ingest::INTERRUPT => {
                f.counts.interrupts += 1;
                f.anomalies.push(AnomalyRow {
                    seq: r.seq,
                    ts: r.ts.clone(),
                    kind: "interrupt".into(),
                    detail: text("reason"),
                });
            }
            _ if r.decision == "observed" => f.counts.observed += 1,
            _ => {}
        }
    }
    f.records = records;
    f
}

/// One line saying what a record is about: a tool and its input, a message, a reason (at most 100
/// characters; the timeline and the report share it).
pub fn record_summary(p: &Value) -> String {
    let s = |k: &str| p.get(k).and_then(|v| v.as_str());
    let text = if let Some(name) = s("name") {
        format!("{name} {}", p.get("input").map(|i| i.to_string()).unwrap_or_default())
    } else if let Some(tool) = s("tool") {
        format!("{tool}: {}", s("reason").unwrap_or_default())
    } else if let Some(note) = s("note") {
        format!("note: {note}")
    } else if let Some(content) = p.get("content").and_then(|c| c.as_array()) {
        content.iter().filter_map(|b| b.get("text").and_then(|t| t.as_str())).collect::<Vec<_>>().join(" ")
    } else {
        String::new()
    };
    let mut line: String = text.chars().take(100).collect();
    if text.chars().count() > 100 {
        line.push('…');
    }
    line
}
