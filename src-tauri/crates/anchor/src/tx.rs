//! Building and signing the anchoring transaction, kept apart from the network code so that tests can make
//! real signed evidence without a node.

use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy::signers::local::PrivateKeySigner;

use crate::AnchorError;

/// The node-supplied fields of an EIP-1559 transaction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fees {
    pub nonce: u64,
    pub gas_limit: u64,
    pub max_fee_per_gas: u128,
    pub max_priority_fee_per_gas: u128,
}

/// A signed anchoring transaction: its EIP-2718 bytes (what is sent, and kept as evidence) and their hash.
#[derive(Debug, Clone)]
pub(crate) struct SignedTx {
    pub raw: Vec<u8>,
    pub hash: B256,
}

/// Signs a zero-value EIP-1559 call to `to` carrying `input`.
pub(crate) fn sign_eip1559(
    signer: &PrivateKeySigner,
    chain_id: u64,
    to: Address,
    input: Vec<u8>,
    fees: Fees,
) -> Result<SignedTx, AnchorError> {
    let mut tx = TxEip1559 {
        chain_id,
        nonce: fees.nonce,
        gas_limit: fees.gas_limit,
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
        to: TxKind::Call(to),
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::from(input),
    };
    let signature =
        signer.sign_transaction_sync(&mut tx).map_err(|e| AnchorError::Key(format!("signing failed: {e}")))?;
    let raw = TxEnvelope::from(tx.into_signed(signature)).encoded_2718();
    // For every EIP-2718 transaction, legacy included, the transaction hash is keccak256 of these bytes.
    let hash = keccak256(&raw);
    Ok(SignedTx { raw, hash })
}
