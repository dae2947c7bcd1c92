//! Anchoring against a real EVM node: anvil from `tests/evm` (installed by `scripts/install-deps.sh --test`).
//! Each test starts its own anvil on a free port, so tests run in parallel and share no chain state. Anvil
//! mines a block per transaction; tests that need further blocks mine them with `evm_mine`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use alloy::providers::{Provider, RootProvider};
use vargate_anchor::devnet::{CHAIN_ID, DevChain, anvil_binary};
use vargate_anchor::{AnchorConfig, AnchorError, Anchorer, Commitment, address_of, verify_offline, verify_online};

/// anvil's default mnemonic, account 0 (funded with 10 000 ETH on every fresh anvil).
const DEV_KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/// Account 1 of the same mnemonic.
const DEV_ADDR_1: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/// A running anvil (killed when dropped), with what these tests ask of it.
struct Anvil {
    chain: DevChain,
    url: String,
}

impl Anvil {
    async fn start() -> Anvil {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
        // Never skip: a missing node would silently turn these tests into no-ops.
        let chain = DevChain::start(&anvil_binary(&repo)).await.unwrap_or_else(|e| panic!("{e}"));
        let url = chain.url().to_owned();
        Anvil { chain, url }
    }

    fn provider(&self) -> RootProvider {
        self.chain.provider().unwrap()
    }

    async fn rpc(&self, method: &'static str, params: serde_json::Value) -> serde_json::Value {
        self.chain.rpc(method, params).await.unwrap_or_else(|e| panic!("{e}"))
    }

    async fn head(&self) -> u64 {
        self.provider().get_block_number().await.unwrap()
    }

    fn config(&self) -> AnchorConfig {
        AnchorConfig { confirmations: 0, timeout_secs: 20, ..AnchorConfig::new(&self.url, CHAIN_ID) }
    }
}

fn dev_key() -> [u8; 32] {
    hex::decode(DEV_KEY).unwrap().try_into().unwrap()
}

fn commitment(size: u64) -> Commitment {
    Commitment { origin: "vargate.test/log/anvil".into(), size, root: [size as u8; 32] }
}

#[tokio::test]
async fn anchors_and_verifies_offline_and_online() {
    let anvil = Anvil::start().await;
    let anchorer = Anchorer::new(anvil.config(), dev_key()).unwrap();
    let c = commitment(17);
    let ev = anchorer.anchor(&c).await.unwrap();

    assert_eq!(ev.from, address_of(&dev_key()).unwrap());
    assert_eq!(ev.chain_id, CHAIN_ID);
    assert!(ev.receipt_status);
    assert_eq!(ev.commitment, c);
    let offline = verify_offline(&ev, Some(&c)).unwrap();
    assert_eq!(offline.tx_type, "EIP-1559");
    assert_eq!(offline.signer, ev.from);
    let online = verify_online(&anvil.url, &ev).await.unwrap();
    assert!(online.contains(&ev.tx_hash) && online.contains("canonical"), "{online}");

    // The node holds exactly the bytes the evidence keeps.
    let raw: String =
        anvil.rpc("eth_getRawTransactionByHash", serde_json::json!([ev.tx_hash])).await.as_str().unwrap().into();
    assert_eq!(raw, ev.raw_tx);

    // A second anchor takes the next nonce.
    let ev2 = anchorer.anchor(&commitment(18)).await.unwrap();
    assert!(ev2.block_number > ev.block_number);
    verify_online(&anvil.url, &ev2).await.unwrap();
}

#[tokio::test]
async fn tampered_evidence_fails() {
    let anvil = Anvil::start().await;
    let ev = Anchorer::new(anvil.config(), dev_key()).unwrap().anchor(&commitment(5)).await.unwrap();

    let mut other = ev.clone();
    other.commitment.size = 6;
    assert!(matches!(verify_offline(&other, None), Err(AnchorError::CommitmentMismatch(_))));
    assert!(matches!(verify_online(&anvil.url, &other).await, Err(AnchorError::CommitmentMismatch(_))));
    assert!(matches!(verify_offline(&ev, Some(&commitment(6))), Err(AnchorError::CommitmentMismatch(_))));

    let mut other = ev.clone();
    other.from = DEV_ADDR_1.into();
    assert!(matches!(verify_offline(&other, None), Err(AnchorError::SignerMismatch { .. })));

    // Block fields are not covered by the signature: only the online check catches a wrong block.
    let mut other = ev.clone();
    other.block_hash = format!("0x{}", "22".repeat(32));
    verify_offline(&other, None).unwrap();
    let err = verify_online(&anvil.url, &other).await.unwrap_err();
    assert!(matches!(err, AnchorError::NotOnChain { .. }), "{err}");
    let mut other = ev.clone();
    other.block_number += 1;
    assert!(matches!(verify_online(&anvil.url, &other).await, Err(AnchorError::NotOnChain { .. })));
}

#[tokio::test]
async fn detects_a_reorganised_anchor() {
    let anvil = Anvil::start().await;
    let snapshot = anvil.rpc("evm_snapshot", serde_json::json!([])).await;
    let ev = Anchorer::new(anvil.config(), dev_key()).unwrap().anchor(&commitment(9)).await.unwrap();
    verify_online(&anvil.url, &ev).await.unwrap();

    // Roll the chain back to before the anchor and mine a different block at its height.
    assert_eq!(anvil.rpc("evm_revert", serde_json::json!([snapshot])).await, serde_json::json!(true));
    anvil.rpc("evm_mine", serde_json::json!([])).await;
    assert_eq!(anvil.head().await, ev.block_number);
    let err = verify_online(&anvil.url, &ev).await.unwrap_err();
    assert!(matches!(err, AnchorError::NotOnChain { .. }), "{err}");
    verify_offline(&ev, None).unwrap();
}

#[tokio::test]
async fn wrong_chain_id_is_refused_before_signing() {
    let anvil = Anvil::start().await;
    let config = AnchorConfig { chain_id: 1, ..anvil.config() };
    let err = Anchorer::new(config, dev_key()).unwrap().anchor(&commitment(1)).await.unwrap_err();
    assert!(matches!(err, AnchorError::ChainIdMismatch { expected: 1, actual: CHAIN_ID, .. }), "{err}");
    assert!(err.to_string().contains(&anvil.url), "{err}");
    assert_eq!(anvil.head().await, 0, "nothing was sent");

    // The same check guards online verification against evidence from another chain.
    let ev = Anchorer::new(anvil.config(), dev_key()).unwrap().anchor(&commitment(2)).await.unwrap();
    let mut other_node = ev.clone();
    other_node.chain_id = 1;
    assert!(matches!(verify_online(&anvil.url, &other_node).await, Err(AnchorError::WrongChain { .. })));
}

#[tokio::test]
async fn unreachable_node_fails_fast() {
    let ev = evidence_from_a_throwaway_anvil().await;
    // A port that was just free: connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let err =
        Anchorer::new(AnchorConfig::new(&url, CHAIN_ID), dev_key()).unwrap().anchor(&commitment(1)).await.unwrap_err();
    assert!(matches!(err, AnchorError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains(&url), "{err}");
    let err = verify_online(&url, &ev).await.unwrap_err();
    assert!(matches!(err, AnchorError::Unreachable { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
}

/// Evidence that passes the offline check, from an anvil that is gone once this returns.
async fn evidence_from_a_throwaway_anvil() -> vargate_anchor::AnchorEvidence {
    let anvil = Anvil::start().await;
    Anchorer::new(anvil.config(), dev_key()).unwrap().anchor(&commitment(3)).await.unwrap()
}

#[tokio::test]
async fn waits_for_confirmations() {
    let anvil = Anvil::start().await;
    let config = AnchorConfig { confirmations: 2, ..anvil.config() };
    let anchorer = Anchorer::new(config, dev_key()).unwrap();
    let c = commitment(4);
    let anchoring = anchorer.anchor(&c);
    tokio::pin!(anchoring);
    // Mine a block every 100 ms until the anchor returns; it must not return before 2 blocks are on top.
    let ev = loop {
        tokio::select! {
            result = &mut anchoring => break result.unwrap(),
            () = tokio::time::sleep(Duration::from_millis(100)) => { anvil.rpc("evm_mine", serde_json::json!([])).await; }
        }
    };
    assert!(anvil.head().await >= ev.block_number + 2);
    let online = verify_online(&anvil.url, &ev).await.unwrap();
    assert!(online.contains("block(s) on top"), "{online}");
}

#[tokio::test]
async fn times_out_without_confirmations() {
    let anvil = Anvil::start().await;
    let config = AnchorConfig { confirmations: 3, timeout_secs: 1, ..anvil.config() };
    let started = Instant::now();
    let err = Anchorer::new(config, dev_key()).unwrap().anchor(&commitment(8)).await.unwrap_err();
    assert!(matches!(err, AnchorError::Timeout { secs: 1, .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("0x") && text.contains("block(s) on top so far"),
        "names the transaction and progress: {text}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn unfunded_key_is_rejected() {
    let anvil = Anvil::start().await;
    let err = Anchorer::new(anvil.config(), vargate_anchor::generate_key())
        .unwrap()
        .anchor(&commitment(1))
        .await
        .unwrap_err();
    assert!(matches!(err, AnchorError::Rejected { .. }), "{err}");
}

#[tokio::test]
async fn anchors_to_a_configured_recipient() {
    let anvil = Anvil::start().await;
    let config = AnchorConfig { to: Some(DEV_ADDR_1.into()), ..anvil.config() };
    let ev = Anchorer::new(config, dev_key()).unwrap().anchor(&commitment(11)).await.unwrap();
    let tx = anvil.rpc("eth_getTransactionByHash", serde_json::json!([ev.tx_hash])).await;
    assert_eq!(tx["to"].as_str().unwrap().to_lowercase(), DEV_ADDR_1.to_lowercase());
    verify_online(&anvil.url, &ev).await.unwrap();
}
