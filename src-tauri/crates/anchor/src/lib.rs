//! `vargate-anchor` puts a Vargate checkpoint's (origin, tree size, root) on an EVM chain and checks such
//! anchors. It is the only Vargate crate that knows EVM: the rest of the workspace sees a [`Commitment`] going
//! in and an [`AnchorEvidence`] (plain JSON) coming out.
//!
//! **Encoding** ([`calldata`]): the anchor is an ordinary zero-value transaction (to the signer itself by
//! default) whose calldata is ASCII text, readable on any block explorer:
//!
//! ```text
//! vargate-anchor/1
//! <origin>
//! <tree size, decimal>
//! <root, standard base64>
//! ```
//!
//! each line ending in `\n`: a tag line, then the first three lines of the C2SP `tlog-checkpoint` body.
//!
//! **Offline verification** ([`verify_offline`], pure, no network) proves that the evidence is one genuine
//! signed transaction: its bytes hash to the claimed transaction hash, its signature recovers the claimed
//! sender, it is bound (EIP-155) to the claimed chain, and its calldata is exactly the claimed commitment. It
//! cannot prove the transaction was ever included in a block: a key holder can sign transactions they never
//! send.
//!
//! **Online verification** ([`verify_online`]) adds what only a node can tell: that the chain the verifier's
//! own node serves includes that transaction, successfully, in the claimed block, and that this block is still
//! the canonical one at its height (no reorganisation). The block's timestamp then bounds when the log had
//! that root; how much that is worth depends on the chain and on the node the verifier chose to trust.
//!
//! Sending ([`Anchorer::anchor`]) makes one attempt bounded by a timeout; periodic anchoring and retries
//! (spaced by [`backoff()`]) are the caller's. `docs/anchoring.md` describes the format for third-party checkers.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)
)]

pub mod backoff;
pub mod calldata;
pub mod client;
pub mod devnet;
mod error;
pub mod evidence;
mod key;
mod tx;

pub use backoff::backoff;
pub use calldata::Commitment;
pub use client::{AnchorConfig, Anchorer, verify_online};
pub use error::AnchorError;
pub use evidence::{AnchorEvidence, OfflineCheck, verify_offline};
pub use key::{address_of, generate_key};
