//! The AGCS v0.9 control-coverage table, marked only by what the pack lets a reader check.
//!
//! AGCS's text is not public: the control ids are those Vargate's original material uses, and the titles are
//! our reading of them (`docs/agcs-coverage.md`). A control is **met** when the pack's records or proofs show
//! it for this session, **partial** when they show part of it (the rest lives outside the pack), and **not
//! evidenced** when the session gave nothing to show — which says nothing about whether the control exists.

use super::report_data::Facts;
use vargate_proof::SessionProof;
use vargate_report::{ControlRow, ControlStatus};

use ControlStatus::{Met, NotEvidenced, Partial};

pub(super) fn assess(f: &Facts, proof: &SessionProof, anchored: bool) -> Vec<ControlRow> {
    let c = &f.counts;
    let governed = c.governed;
    let row = |id: &str, title: &str, status: ControlStatus, evidence: String| ControlRow {
        id: id.into(),
        title: title.into(),
        status,
        evidence,
    };
    let some = |n: u64, yes: String, none: &str| if n > 0 { (Met, yes) } else { (NotEvidenced, none.to_owned()) };
    let approvals_with_identity = f.approvals.iter().filter(|a| a.approver != "—" && a.channel != "—").count() as u64;
    let mut rows = Vec::new();

    let (s, e) = if governed == 0 {
        (NotEvidenced, "no governed action in this session".to_owned())
    } else if f.agents.is_empty() {
        (Partial, format!("{governed} decisions name the session but not the agent"))
    } else {
        (Met, format!("every decision names its agent ({}) and session; proof.json entries", f.agents.len()))
    };
    rows.push(row("AG-1.1", "Agent identity and attribution of actions", s, e));

    let (s, e) = some(
        governed,
        format!("{governed} tool calls decided by policy before they ran (vargate.decision records)"),
        "no tool call waited on a decision in this session",
    );
    rows.push(row("AG-1.2", "Policy decision before every governed tool call", s, e));

    let held = f.approvals.len() as u64;
    let (s, e) = coverage(
        approvals_with_identity,
        held,
        "no action in this session required human approval",
        format!("{held} approval outcomes with approver and channel (Approvals section)"),
        format!("{approvals_with_identity} of {held} approval outcomes name approver and channel"),
    );
    rows.push(row("AG-1.3", "Human approval of high-risk actions", s, e));

    let (s, e) = some(
        f.faults,
        format!("{} faults recorded as denials with their cause", f.faults),
        "no fault occurred in this session, so fail-closed handling is not shown here",
    );
    rows.push(row("AG-1.4", "Fail-closed handling of faults", s, e));

    let (s, e) = some(
        f.sealed_or_redacted,
        format!(
            "{} records carry redacted or sealed values (originals encrypted, not in the log)",
            f.sealed_or_redacted
        ),
        "no personal data was detected in this session's records",
    );
    rows.push(row("AG-1.5", "Protection of personal and secret data", s, e));

    let (s, e) = some(
        f.with_findings,
        format!("{} decisions carry detector findings (Decisions section)", f.with_findings),
        "no detector finding in this session",
    );
    rows.push(row("AG-1.6", "Detection of dangerous behaviour", s, e));

    let (s, e) = some(
        c.interrupts + c.anomalies,
        format!("{} anomalies, {} interrupts (Anomalies section)", c.anomalies, c.interrupts),
        "no anomaly or interrupt in this session",
    );
    rows.push(row("AG-1.7", "Anomaly response and session interruption", s, e));

    rows.push(row(
        "AG-1.8",
        "Tamper-evident audit trail",
        Met,
        format!(
            "{} records with RFC 6962 inclusion proofs against a signed checkpoint, hash-chained per session (proof.json)",
            proof.entries.len()
        ),
    ));
    rows.push(row(
        "AG-1.9",
        "Completeness of the session record",
        Met,
        "the checkpoint's session-heads map commits to this session's length and head (proof.json session.heads_proof)"
            .into(),
    ));
    let (s, e) = if anchored {
        (Met, "the log's state is anchored on chain; consistency proof and transaction in proof.json anchor".into())
    } else {
        (NotEvidenced, "no anchor at or below this checkpoint; time rests on the log key's signature".into())
    };
    rows.push(row("AG-1.10", "Independent time-stamping of the log", s, e));
    let (s, e) = some(
        f.rate_rules,
        format!("{} decisions matched rate, budget or limit rules", f.rate_rules),
        "no rate, budget or limit rule fired in this session",
    );
    rows.push(row("AG-1.11", "Rate and budget limits", s, e));

    let (s, e) = coverage(
        f.replayable,
        governed,
        "no governed action in this session",
        format!("all {governed} decisions record the policy bundle hash"),
        format!("{} of {governed} decisions record the policy bundle hash", f.replayable),
    );
    rows.push(row("AG-2.1", "Versioned policy behind every decision", s, e));
    let (s, e) = coverage(
        approvals_with_identity,
        held,
        "no approval in this session",
        format!("{held} approvals record who decided, when and through which channel"),
        format!("{approvals_with_identity} of {held} approvals record approver and channel"),
    );
    rows.push(row("AG-2.2", "Accountable approvers", s, e));
    let (s, e) = some(
        c.observed,
        format!("{} observed (ungoverned) events logged beside the decisions", c.observed),
        "no observed event in this session",
    );
    rows.push(row("AG-2.3", "Logging of observed, ungoverned actions", s, e));
    let (s, e) = if f.replayable == 0 {
        (NotEvidenced, "no decision records its policy input".to_owned())
    } else {
        (
            Partial,
            format!(
                "{} decisions record their exact policy input and bundle hash; the bundle itself is in the operator's log (vargate replay), not in this pack",
                f.replayable
            ),
        )
    };
    rows.push(row("AG-2.8", "Reproducible decisions (replay)", s, e));
    rows.push(row(
        "AG-2.9",
        "Offline-verifiable, signed evidence",
        Met,
        "manifest signed by the log key; every file hashed; vargate verify checks it offline".into(),
    ));
    rows
}

/// Marks a control by how many of `total` cases show it: nothing to show, all of them, or only some.
fn coverage(shown: u64, total: u64, none: &str, all: String, some: String) -> (ControlStatus, String) {
    if total == 0 {
        (NotEvidenced, none.to_owned())
    } else if shown == total {
        (Met, all)
    } else {
        (Partial, some)
    }
}
