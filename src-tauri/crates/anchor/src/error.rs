//! One error type for the crate. Network variants name the RPC URL, because the engine shows them to a user who
//! has several endpoints configured and must know which one failed.

/// Why anchoring or checking an anchor failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnchorError {
    /// The bytes are not a `vargate-anchor/1` commitment (see [`crate::calldata`]).
    #[error("malformed anchor calldata: {0}")]
    Calldata(String),
    /// The evidence cannot be read at all (bad hex, undecodable transaction, no chain id...).
    #[error("malformed anchor evidence: {0}")]
    Malformed(String),
    /// keccak256 of the raw transaction is not the hash the evidence claims.
    #[error("the raw transaction hashes to {actual}, not to the claimed {claimed}")]
    HashMismatch { claimed: String, actual: String },
    /// The transaction's signature recovers to an account other than the evidence's `from`.
    #[error("the transaction is signed by {recovered}, not by the claimed {claimed}")]
    SignerMismatch { claimed: String, recovered: String },
    /// The signed transaction is bound to another chain than the evidence claims.
    #[error("the transaction is signed for chain {tx}, not for the claimed chain {claimed}")]
    WrongChain { claimed: u64, tx: u64 },
    /// The transaction carries another commitment than the evidence or the caller expects.
    #[error("the anchored commitment differs: {0}")]
    CommitmentMismatch(String),
    /// The evidence records a failed (reverted) transaction, which anchors nothing.
    #[error("the evidence records a failed transaction (receipt status 0)")]
    Reverted,
    /// The node could not be reached or did not answer as an Ethereum JSON-RPC endpoint.
    #[error("cannot reach the EVM node at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The node serves another chain than the configuration (or the evidence) names.
    #[error("the EVM node at {url} serves chain {actual}, not the expected chain {expected}")]
    ChainIdMismatch { url: String, expected: u64, actual: u64 },
    /// The node refused the transaction (insufficient funds, nonce, fee too low...).
    #[error("the EVM node at {url} rejected the anchor transaction: {reason}")]
    Rejected { url: String, reason: String },
    /// The transaction was not included, or not confirmed deep enough, in time.
    #[error("gave up after {secs} s waiting at {url} for {what}")]
    Timeout { url: String, what: String, secs: u64 },
    /// The node answered, but with an error or data that makes no sense for the request.
    #[error("the EVM node at {url} answered unexpectedly: {reason}")]
    Node { url: String, reason: String },
    /// Online verification: the chain as seen by the node does not hold the anchor (missing, other block, reorg).
    #[error("the anchor is not on the chain served by {url}: {reason}")]
    NotOnChain { url: String, reason: String },
    /// The anchoring key is not a valid secp256k1 private key.
    #[error("invalid anchoring key: {0}")]
    Key(String),
    /// The configuration cannot be used (bad URL, bad `to` address...).
    #[error("invalid anchoring configuration: {0}")]
    Config(String),
}
