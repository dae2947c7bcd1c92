//! `vargate-policy` decides on tool calls with Rego policies evaluated in process by regorus. A **bundle** is
//! the set of `.rego` files (and governance profiles) from the shipped `policies/` folder plus an optional
//! user folder; it is validated when loaded and identified by the SHA-256 of its contents. A call is
//! evaluated in up to **two passes**: pass 1 over the action, the detectors' findings and the governance
//! profile; pass 2, with the session's history added, only when a template asks for it or the agent already
//! has violations. The policies produce facts (violations, approval requirements, risk indicators); the
//! [`Decision`] is computed from them by fixed rules here — any violation denies, otherwise any approval
//! requirement holds the call for a human, otherwise it is allowed — so no policy bug can allow a call that
//! has a violation.
//!
//! Invariant: no IO beyond reading a bundle's files, no clock, no async; nothing of the log, the keychain or
//! the managed-agents API. Faults are errors, never a decision: the caller denies on any `Err`.

mod bundle;
mod cases;
mod decision;
mod evaluate;
mod input;

pub use bundle::{Bundle, BundleError, BundleFiles, DECISION_RULE};
pub use cases::{CaseOutcome, case_files_in, run_case_files};
pub use decision::{AlertTier, Decision, EvaluationMode, Severity, Verdict};
pub use evaluate::{Evaluation, PolicyError, decide, replay};
pub use input::{ActionInput, DangerFinding, FindingsInput, HistoryInput, PiiFinding, PolicyInput, Profile};
