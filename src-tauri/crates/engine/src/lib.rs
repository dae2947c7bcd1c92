//! `vargate-engine` joins the leaf crates: it watches managed-agent sessions (`vargate-agents`), records every
//! event in the tenant's audit log (`vargate-store`), and answers every tool call that waits on a decision
//! through one interface, [`decision::Decider`].
//!
//! The policy pipeline is [`governor::Governor`]: detectors (`vargate-detect`) and Rego policy in two passes
//! (`vargate-policy`) over every waiting tool call, with PII redacted before anything is recorded
//! ([`redact`]) and its originals sealed in the log.
//!
//! Invariant: fail closed. Any fault in detectors, policy or storage is a deny recorded with its cause;
//! without a policy, [`FailClosed`] denies everything; a decision that cannot be recorded is never an allow.

pub mod anchoring;
pub mod approvals;
pub mod console;
pub mod decision;
pub mod demo;
pub mod executor;
pub mod export;
pub mod governor;
mod history;
pub mod ingest;
pub mod policy_set;
pub mod redact;
pub mod replay;
pub mod session_gate;
pub mod verification;

pub use approvals::{ApprovalConfig, ApprovalEvent, Approvals};
pub use decision::{Decider, Decision, DecisionRequest, FailClosed, Interrupt, Verdict};
pub use governor::Governor;
pub use ingest::{IngestReport, ingest_session, ingest_session_until};
pub use policy_set::{PolicySet, ProfileChoice};
