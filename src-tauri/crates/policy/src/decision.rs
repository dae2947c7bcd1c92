//! The decision, computed from what the policies found by fixed rules: any violation denies; otherwise any
//! approval requirement holds the call for a human; otherwise it is allowed. Violations always beat approval.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allow,
    Deny,
    RequireApproval,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
            Verdict::RequireApproval => "require_approval",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

/// How loudly a decision is announced: `page` for critical violations, `alert` for high ones, `notice` for
/// other denials and every approval request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertTier {
    None,
    Notice,
    Alert,
    Page,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationMode {
    /// Decided in pass 1.
    Fast,
    /// Pass 2 ran, with the session's history.
    NeedsEnrichment,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub decision: Verdict,
    /// Ids of the violated rules, sorted.
    pub violations: Vec<String>,
    pub severity: Severity,
    pub requires_human: bool,
    pub alert_tier: AlertTier,
    pub evaluation_mode: EvaluationMode,
    pub risk_indicators: Vec<String>,
    /// Every rule that fired: violations and approval requirements, sorted.
    pub matched_rules: Vec<String>,
    /// One sentence per fired rule, in the order of `matched_rules`.
    pub reasons: Vec<String>,
    /// How many passes ran (1 or 2).
    pub passes: u8,
}

/// One pass's facts, as the bundle's decision rule returns them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PassResult {
    pub violations: Vec<Violation>,
    pub approvals: Vec<Approval>,
    pub risk_indicators: Vec<String>,
    pub needs_enrichment: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Violation {
    pub id: String,
    pub severity: Severity,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Approval {
    pub id: String,
    pub reason: String,
}

impl Decision {
    pub(crate) fn from_pass(result: &PassResult, mode: EvaluationMode, passes: u8) -> Decision {
        let mut fired: Vec<(String, String)> = result
            .violations
            .iter()
            .map(|v| (v.id.clone(), v.reason.clone()))
            .chain(result.approvals.iter().map(|a| (a.id.clone(), a.reason.clone())))
            .collect();
        fired.sort();
        fired.dedup();
        let mut violations: Vec<String> = result.violations.iter().map(|v| v.id.clone()).collect();
        violations.sort();
        violations.dedup();
        let severity = result.violations.iter().map(|v| v.severity).max().unwrap_or(Severity::None);
        let decision = if !violations.is_empty() {
            Verdict::Deny
        } else if !result.approvals.is_empty() {
            Verdict::RequireApproval
        } else {
            Verdict::Allow
        };
        let alert_tier = match (decision, severity) {
            (_, Severity::Critical) => AlertTier::Page,
            (_, Severity::High) => AlertTier::Alert,
            (Verdict::Allow, _) => AlertTier::None,
            _ => AlertTier::Notice,
        };
        let mut risk_indicators = result.risk_indicators.clone();
        risk_indicators.sort();
        risk_indicators.dedup();
        let mut matched_rules: Vec<String> = fired.iter().map(|(id, _)| id.clone()).collect();
        matched_rules.dedup();
        Decision {
            decision,
            violations,
            severity,
            requires_human: decision == Verdict::RequireApproval,
            alert_tier,
            evaluation_mode: mode,
            risk_indicators,
            matched_rules,
            reasons: fired.into_iter().map(|(_, reason)| reason).collect(),
            passes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: &str, severity: Severity) -> Violation {
        Violation { id: id.into(), severity, reason: format!("{id} reason") }
    }

    fn a(id: &str) -> Approval {
        Approval { id: id.into(), reason: format!("{id} reason") }
    }

    #[test]
    fn violations_beat_approvals_and_allow_needs_neither() {
        let none = PassResult::default();
        let d = Decision::from_pass(&none, EvaluationMode::Fast, 1);
        assert_eq!((d.decision, d.alert_tier, d.requires_human), (Verdict::Allow, AlertTier::None, false));
        let held = PassResult { approvals: vec![a("x.ok")], ..Default::default() };
        let d = Decision::from_pass(&held, EvaluationMode::Fast, 1);
        assert_eq!((d.decision, d.alert_tier, d.requires_human), (Verdict::RequireApproval, AlertTier::Notice, true));
        let both = PassResult {
            violations: vec![v("b.two", Severity::Medium), v("a.one", Severity::Critical)],
            approvals: vec![a("x.ok")],
            ..Default::default()
        };
        let d = Decision::from_pass(&both, EvaluationMode::NeedsEnrichment, 2);
        assert_eq!(d.decision, Verdict::Deny);
        assert!(!d.requires_human);
        assert_eq!(d.violations, ["a.one", "b.two"]);
        assert_eq!(d.matched_rules, ["a.one", "b.two", "x.ok"]);
        assert_eq!(d.reasons, ["a.one reason", "b.two reason", "x.ok reason"]);
        assert_eq!((d.severity, d.alert_tier), (Severity::Critical, AlertTier::Page));
    }
}
