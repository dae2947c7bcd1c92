//! `vargate-agents` is the only crate that knows the Claude Managed Agents wire format
//! (`docs/managed-agents-sdk-schema.md`): session events and API error bodies, the HTTP client and SSE
//! consumer (`client`, `stream`), and `sim`, a simulator of the API that follows the same wire format (the
//! test bed and the product's demo mode).
//!
//! Invariant: what the API sends is never dropped. Every event keeps its exact JSON object, whatever its
//! type; unknown types and fields are kept, and a known type with unexpected fields is kept and marked
//! malformed rather than rejected, so the audit log records everything that was seen.

pub mod client;
pub mod error;
pub mod events;
pub mod sim;
mod sse;
pub mod stream;

pub use error::ApiError;
pub use events::{EventError, EventKind, SessionEvent, StopReason};
