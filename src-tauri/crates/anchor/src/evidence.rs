//! What an anchor leaves behind, and the offline check of it.
//!
//! [`AnchorEvidence`] keeps the exact signed transaction bytes that were broadcast. Everything
//! [`verify_offline`] checks follows from those bytes alone: their keccak256 is the transaction hash, the
//! signature recovers the sender, the signed payload names the chain and carries the commitment. What the
//! bytes cannot prove is that the chain included them; that is [`crate::verify_online`]'s job, against a node
//! the verifier chooses.

use std::fmt;

use alloy::consensus::transaction::SignerRecoverable;
use alloy::consensus::{Transaction, TxEnvelope};
use alloy::eips::eip2718::{Decodable2718, Encodable2718};
use alloy::primitives::{Address, B256, keccak256};
use serde::{Deserialize, Serialize};

use crate::AnchorError;
use crate::calldata::{self, Commitment};

/// The record of one anchoring transaction. JSON field names are part of the proof-file format
/// (see `docs/anchoring.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorEvidence {
    /// EIP-155 chain id the transaction was signed for and sent to.
    pub chain_id: u64,
    /// `0x` hex of the EIP-2718 encoded signed transaction, exactly as broadcast.
    pub raw_tx: String,
    /// `0x` hex transaction hash, keccak256(raw_tx).
    pub tx_hash: String,
    /// EIP-55 checksummed sender address.
    pub from: String,
    /// Number of the block that included the transaction.
    pub block_number: u64,
    /// `0x` hex hash of that block.
    pub block_hash: String,
    /// Receipt status: true when the transaction succeeded.
    pub receipt_status: bool,
    /// The commitment the transaction's calldata carries.
    pub commitment: Commitment,
}

/// What [`verify_offline`] established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineCheck {
    /// Chain the transaction is signed for (equal to the evidence's).
    pub chain_id: u64,
    /// keccak256 of the raw transaction (equal to the evidence's `tx_hash`), `0x` hex.
    pub tx_hash: String,
    /// Recovered signer, EIP-55 checksummed (equal to the evidence's `from`).
    pub signer: String,
    /// "legacy", "EIP-2930", "EIP-1559", "EIP-4844" or "EIP-7702".
    pub tx_type: &'static str,
    /// The decoded commitment (equal to the evidence's, and to the expected one if given).
    pub commitment: Commitment,
    /// Block the evidence says includes the transaction (not checked offline).
    pub block_number: u64,
}

impl OfflineCheck {
    /// One line for a verification report.
    pub fn detail(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for OfflineCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} tx {} on chain {} signed by {} commits to {:?} size {} root {} (claimed in block {}; inclusion not \
             checked offline)",
            self.tx_type,
            self.tx_hash,
            self.chain_id,
            self.signer,
            self.commitment.origin,
            self.commitment.size,
            hex::encode(self.commitment.root),
            self.block_number
        )
    }
}

/// Checks that the evidence is internally consistent and commits to `expected` (when given), without any
/// network access. Never panics, whatever the evidence holds.
pub fn verify_offline(ev: &AnchorEvidence, expected: Option<&Commitment>) -> Result<OfflineCheck, AnchorError> {
    let raw = decode_0x(&ev.raw_tx, "raw_tx")?;
    let claimed_hash = parse_b256(&ev.tx_hash, "tx_hash")?;
    let claimed_from: Address =
        ev.from.parse().map_err(|_| AnchorError::Malformed(format!("from {:?} is not an address", ev.from)))?;

    // decode_2718_exact: no trailing bytes may hide after the transaction.
    let tx = TxEnvelope::decode_2718_exact(&raw)
        .map_err(|e| AnchorError::Malformed(format!("raw_tx is not a signed EIP-2718 transaction: {e}")))?;
    // The hash is over the bytes as given; requiring them to be the canonical encoding means the evidence's
    // bytes are the ones the chain hashed, not a re-spelling of them.
    if tx.encoded_2718() != raw {
        return Err(AnchorError::Malformed("raw_tx is not canonically encoded".into()));
    }
    let actual_hash = keccak256(&raw);
    if actual_hash != claimed_hash {
        return Err(AnchorError::HashMismatch { claimed: ev.tx_hash.clone(), actual: actual_hash.to_string() });
    }

    let signer = tx
        .recover_signer()
        .map_err(|e| AnchorError::Malformed(format!("the transaction's signature does not recover: {e}")))?;
    if signer != claimed_from {
        return Err(AnchorError::SignerMismatch { claimed: ev.from.clone(), recovered: signer.to_checksum(None) });
    }

    // A legacy transaction without EIP-155 chain id is valid on every chain, so it proves no chain at all.
    let tx_chain = tx.chain_id().ok_or_else(|| {
        AnchorError::Malformed("the transaction has no chain id (pre-EIP-155), so binds no chain".into())
    })?;
    if tx_chain != ev.chain_id {
        return Err(AnchorError::WrongChain { claimed: ev.chain_id, tx: tx_chain });
    }

    let commitment = calldata::decode(tx.input())?;
    if commitment != ev.commitment {
        return Err(AnchorError::CommitmentMismatch(format!(
            "the transaction carries {}, the evidence claims {}",
            describe(&commitment),
            describe(&ev.commitment)
        )));
    }
    if let Some(want) = expected
        && commitment != *want
    {
        return Err(AnchorError::CommitmentMismatch(format!(
            "the transaction carries {}, expected {}",
            describe(&commitment),
            describe(want)
        )));
    }
    if !ev.receipt_status {
        return Err(AnchorError::Reverted);
    }

    Ok(OfflineCheck {
        chain_id: tx_chain,
        tx_hash: actual_hash.to_string(),
        signer: signer.to_checksum(None),
        tx_type: tx_type_name(&tx),
        commitment,
        block_number: ev.block_number,
    })
}

fn describe(c: &Commitment) -> String {
    format!("{:?} size {} root {}", c.origin, c.size, hex::encode(c.root))
}

fn tx_type_name(tx: &TxEnvelope) -> &'static str {
    match tx {
        TxEnvelope::Legacy(_) => "legacy",
        TxEnvelope::Eip2930(_) => "EIP-2930",
        TxEnvelope::Eip1559(_) => "EIP-1559",
        TxEnvelope::Eip4844(_) => "EIP-4844",
        TxEnvelope::Eip7702(_) => "EIP-7702",
    }
}

/// `0x`-prefixed hex, as Ethereum JSON-RPC spells bytes.
pub(crate) fn decode_0x(s: &str, field: &str) -> Result<Vec<u8>, AnchorError> {
    let digits =
        s.strip_prefix("0x").ok_or_else(|| AnchorError::Malformed(format!("{field} does not start with 0x")))?;
    hex::decode(digits).map_err(|_| AnchorError::Malformed(format!("{field} is not hex")))
}

pub(crate) fn parse_b256(s: &str, field: &str) -> Result<B256, AnchorError> {
    let bytes = decode_0x(s, field)?;
    let bytes: [u8; 32] =
        bytes.try_into().map_err(|_| AnchorError::Malformed(format!("{field} is not a 32-byte hash")))?;
    Ok(B256::from(bytes))
}

#[cfg(test)]
#[path = "evidence_tests.rs"]
mod tests;
