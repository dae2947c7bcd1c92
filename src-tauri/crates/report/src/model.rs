//! The report's input: plain, already-formatted data. The caller maps its log, proof and anchor types into
//! these so this crate stays independent of them; every type also round-trips through JSON, so the same
//! data can be written beside the PDF.

use serde::{Deserialize, Serialize};

/// Everything one session's evidence-pack report shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub tenant: String,
    /// Agent id or name; empty is shown as "unknown".
    pub agent: String,
    pub session_id: String,
    /// First and last record time.
    pub period: Period,
    /// RFC 3339. Also becomes the PDF's creation date, so the same report renders to the same bytes.
    pub generated_at: String,
    pub counts: Counts,
    pub controls: Vec<ControlRow>,
    pub timeline: Vec<TimelineRow>,
    pub decisions: Vec<DecisionRow>,
    pub approvals: Vec<ApprovalRow>,
    /// Anomalies and interrupts.
    pub anomalies: Vec<AnomalyRow>,
    pub proof: ProofSummary,
    pub signing_key: SigningKey,
}

/// First and last record time, RFC 3339 strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub records: u64,
    pub governed: u64,
    pub observed: u64,
    pub allowed: u64,
    pub denied: u64,
    pub approved: u64,
    pub expired: u64,
    pub interrupts: u64,
    pub anomalies: u64,
}

/// Whether the pack's own evidence shows a control is met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    Met,
    Partial,
    NotEvidenced,
}

impl ControlStatus {
    /// The words the report prints.
    pub fn label(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::Partial => "partial",
            Self::NotEvidenced => "not evidenced",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlRow {
    pub id: String,
    pub title: String,
    pub status: ControlStatus,
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineRow {
    pub seq: u64,
    pub ts: String,
    pub kind: String,
    pub decision: String,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRow {
    pub seq: u64,
    pub ts: String,
    pub tool: String,
    pub decision: String,
    pub rules: Vec<String>,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRow {
    pub seq: u64,
    pub ts: String,
    pub tool: String,
    pub outcome: String,
    pub approver: String,
    pub channel: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnomalyRow {
    pub seq: u64,
    pub ts: String,
    pub kind: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofSummary {
    pub origin: String,
    pub tree_size: u64,
    pub root_hex: String,
    pub heads_root_hex: String,
    /// The signed checkpoint note, verbatim (printed in monospace).
    pub checkpoint_note: String,
    /// `None`: the checkpoint was not anchored on chain.
    pub anchor: Option<AnchorSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorSummary {
    pub chain_id: u64,
    pub tx_hash: String,
    pub block_number: u64,
    pub block_hash: String,
    pub anchored_size: u64,
    pub anchored_root_hex: String,
}

/// The log's checkpoint key: the C2SP vkey to pass to `vargate verify --key`, and its fingerprint to compare
/// out of band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKey {
    pub vkey: String,
    pub fingerprint: String,
}
