//! Shared set-up of the engine's integration tests.
pub mod governance_rig;
pub mod ingest_rig;
