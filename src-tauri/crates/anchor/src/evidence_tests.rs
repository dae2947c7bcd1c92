//! Offline checks against real signatures made here, so no node is needed.

use alloy::consensus::{SignableTransaction, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::primitives::{Address, Bytes, TxKind, U256, keccak256};

use super::*;
use crate::key::signer;
use crate::tx::{Fees, sign_eip1559};

const DEV_KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const DEV_ADDR: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

fn key() -> [u8; 32] {
    hex::decode(DEV_KEY).unwrap().try_into().unwrap()
}

fn commitment() -> Commitment {
    Commitment { origin: "vargate.example/log".into(), size: 1234, root: [0xab; 32] }
}

fn fees() -> Fees {
    Fees { nonce: 3, gas_limit: 60_000, max_fee_per_gas: 2_000_000_000, max_priority_fee_per_gas: 1_000_000 }
}

fn evidence_for(raw: Vec<u8>, chain_id: u64, c: Commitment) -> AnchorEvidence {
    AnchorEvidence {
        chain_id,
        tx_hash: keccak256(&raw).to_string(),
        raw_tx: format!("0x{}", hex::encode(&raw)),
        from: DEV_ADDR.into(),
        block_number: 7,
        block_hash: format!("0x{}", "11".repeat(32)),
        receipt_status: true,
        commitment: c,
    }
}

fn signed_1559(chain_id: u64, input: Vec<u8>) -> Vec<u8> {
    let to: Address = DEV_ADDR.parse().unwrap();
    sign_eip1559(&signer(&key()).unwrap(), chain_id, to, input, fees()).unwrap().raw
}

fn good() -> AnchorEvidence {
    evidence_for(signed_1559(31337, calldata::encode(&commitment())), 31337, commitment())
}

fn signed_legacy(chain_id: Option<u64>) -> Vec<u8> {
    let mut tx = TxLegacy {
        chain_id,
        nonce: 0,
        gas_price: 1_000_000_000,
        gas_limit: 60_000,
        to: TxKind::Call(DEV_ADDR.parse().unwrap()),
        value: U256::ZERO,
        input: Bytes::from(calldata::encode(&commitment())),
    };
    let sig = signer(&key()).unwrap().sign_transaction_sync(&mut tx).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}

#[test]
fn accepts_genuine_eip1559_evidence() {
    let ev = good();
    let check = verify_offline(&ev, Some(&commitment())).unwrap();
    assert_eq!(check.signer, DEV_ADDR);
    assert_eq!(check.chain_id, 31337);
    assert_eq!(check.tx_type, "EIP-1559");
    assert_eq!(check.tx_hash, ev.tx_hash);
    assert_eq!(check.tx_hash.len(), 66, "full 0x hash, not an abbreviation: {}", check.tx_hash);
    assert_eq!(check.commitment, commitment());
    let line = check.detail();
    assert!(
        line.contains("\"vargate.example/log\"") && line.contains("size 1234") && line.contains(DEV_ADDR),
        "{line}"
    );
    assert!(!line.contains('\n'));
}

#[test]
fn accepts_genuine_legacy_evidence() {
    let check = verify_offline(&evidence_for(signed_legacy(Some(5)), 5, commitment()), None).unwrap();
    assert_eq!(check.tx_type, "legacy");
    assert_eq!(check.chain_id, 5);
}

#[test]
fn rejects_legacy_without_chain_id() {
    let err = verify_offline(&evidence_for(signed_legacy(None), 5, commitment()), None).unwrap_err();
    assert!(matches!(err, AnchorError::Malformed(ref m) if m.contains("no chain id")), "{err}");
}

#[test]
fn rejects_every_truncation_without_panicking() {
    let raw = signed_1559(31337, calldata::encode(&commitment()));
    for cut in 0..raw.len() {
        let ev = evidence_for(raw[..cut].to_vec(), 31337, commitment());
        assert!(verify_offline(&ev, None).is_err(), "accepted a truncation to {cut} bytes");
    }
}

#[test]
fn rejects_garbled_bytes_without_panicking() {
    let raw = signed_1559(31337, calldata::encode(&commitment()));
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    // Each iteration recovers a signature, slow in unoptimised test builds; a few hundred cover every field.
    for _ in 0..400 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut garbled = raw.clone();
        let i = (x % garbled.len() as u64) as usize;
        let new = (x >> 32) as u8;
        if garbled[i] == new {
            continue;
        }
        garbled[i] = new;
        // The claimed hash follows the garbled bytes, so only the decoding and signature checks stand guard.
        let ev = evidence_for(garbled, 31337, commitment());
        assert!(verify_offline(&ev, None).is_err(), "accepted a change at byte {i}");
    }
    for junk in [&b""[..], b"\x02", b"\xff\xff\xff", b"\x02\xf8\xff", b"\xc0", &[0u8; 200]] {
        assert!(verify_offline(&evidence_for(junk.to_vec(), 31337, commitment()), None).is_err());
    }
}

#[test]
fn rejects_trailing_bytes() {
    let mut raw = signed_1559(31337, calldata::encode(&commitment()));
    raw.push(0);
    let err = verify_offline(&evidence_for(raw, 31337, commitment()), None).unwrap_err();
    assert!(matches!(err, AnchorError::Malformed(_)), "{err}");
}

#[test]
fn rejects_bad_hex_fields() {
    let mut ev = good();
    ev.raw_tx = ev.raw_tx.trim_start_matches("0x").to_owned();
    assert!(matches!(verify_offline(&ev, None), Err(AnchorError::Malformed(_))));
    let mut ev = good();
    ev.raw_tx.push('g');
    assert!(matches!(verify_offline(&ev, None), Err(AnchorError::Malformed(_))));
    let mut ev = good();
    ev.tx_hash.truncate(10);
    assert!(matches!(verify_offline(&ev, None), Err(AnchorError::Malformed(_))));
    let mut ev = good();
    ev.from = "alice".into();
    assert!(matches!(verify_offline(&ev, None), Err(AnchorError::Malformed(_))));
}

#[test]
fn rejects_wrong_hash() {
    let mut ev = good();
    ev.tx_hash = format!("0x{}", "00".repeat(32));
    assert!(matches!(verify_offline(&ev, None), Err(AnchorError::HashMismatch { .. })));
}

#[test]
fn rejects_altered_calldata() {
    // Re-encoded with another size but the old signature: recovers some other account (or none).
    let raw = signed_1559(31337, calldata::encode(&commitment()));
    let old = calldata::encode(&commitment());
    let new = calldata::encode(&Commitment { size: 9234, ..commitment() });
    assert_eq!(old.len(), new.len());
    let at = raw.windows(old.len()).position(|w| w == old.as_slice()).unwrap();
    let mut altered = raw.clone();
    altered[at..at + new.len()].copy_from_slice(&new);
    let err = verify_offline(&evidence_for(altered, 31337, commitment()), None).unwrap_err();
    assert!(matches!(err, AnchorError::SignerMismatch { .. } | AnchorError::Malformed(_)), "{err}");

    // Properly signed, but carrying another commitment than the evidence claims.
    let other = Commitment { size: 1, ..commitment() };
    let ev = evidence_for(signed_1559(31337, calldata::encode(&other)), 31337, commitment());
    assert!(matches!(verify_offline(&ev, None), Err(AnchorError::CommitmentMismatch(_))));

    // Properly signed, but not Vargate calldata at all.
    let ev = evidence_for(signed_1559(31337, b"hello".to_vec()), 31337, commitment());
    assert!(matches!(verify_offline(&ev, None), Err(AnchorError::Calldata(_))));
}

#[test]
fn rejects_unexpected_commitment() {
    let other = Commitment { root: [0; 32], ..commitment() };
    let err = verify_offline(&good(), Some(&other)).unwrap_err();
    assert!(matches!(err, AnchorError::CommitmentMismatch(ref m) if m.contains("expected")), "{err}");
}

#[test]
fn rejects_wrong_chain_id() {
    let mut ev = good();
    ev.chain_id = 1;
    assert!(matches!(verify_offline(&ev, None), Err(AnchorError::WrongChain { claimed: 1, tx: 31337 })));
}

#[test]
fn rejects_wrong_from() {
    let mut ev = good();
    ev.from = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8".into();
    assert!(matches!(verify_offline(&ev, None), Err(AnchorError::SignerMismatch { .. })));
}

#[test]
fn accepts_lowercase_from() {
    let mut ev = good();
    ev.from = ev.from.to_lowercase();
    assert!(verify_offline(&ev, None).is_ok());
}

#[test]
fn rejects_failed_receipt() {
    let mut ev = good();
    ev.receipt_status = false;
    assert!(matches!(verify_offline(&ev, None), Err(AnchorError::Reverted)));
}

#[test]
fn json_round_trip_uses_documented_field_names() {
    let ev = good();
    let json = serde_json::to_value(&ev).unwrap();
    for field in ["chain_id", "raw_tx", "tx_hash", "from", "block_number", "block_hash", "receipt_status"] {
        assert!(json.get(field).is_some(), "missing {field}");
    }
    assert_eq!(json["commitment"]["root"], "ab".repeat(32));
    let back: AnchorEvidence = serde_json::from_value(json).unwrap();
    assert_eq!(back, ev);
}
