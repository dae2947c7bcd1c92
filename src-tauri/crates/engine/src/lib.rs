//! `vargate-engine` joins the leaf crates: it watches managed-agent sessions (`vargate-agents`), records every
//! event in the tenant's audit log (`vargate-store`), and answers every tool call that waits on a decision
//! through one interface, [`decision::Decider`].
//!
//! Invariant: fail closed. Until a policy pipeline implements `Decider`, the only implementation denies
//! with "no policy loaded"; a decision that cannot be recorded is never an allow.

pub mod decision;
pub mod ingest;

pub use decision::{Decider, Decision, DecisionRequest, FailClosed};
pub use ingest::{IngestReport, ingest_session};
