//! Shared set-up of the engine's integration tests.
pub mod ingest_rig;
