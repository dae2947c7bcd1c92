//! Talking to an EVM node: sending one anchor ([`Anchorer::anchor`]) and checking one against the chain
//! ([`verify_online`]). One attempt per call, bounded in time; retries and scheduling belong to the caller
//! (see [`crate::backoff()`]).

use std::time::Duration;

use alloy::consensus::Transaction as _;
use alloy::primitives::{Address, B256, Bytes, TxKind};
use alloy::providers::{Provider, RootProvider};
use alloy::rpc::client::RpcClient;
use alloy::rpc::types::{BlockNumberOrTag, TransactionInput, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::http::reqwest::{self, Url};
use alloy::transports::{RpcError, TransportError};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::calldata::{self, Commitment};
use crate::evidence::{AnchorEvidence, parse_b256, verify_offline};
use crate::tx::{Fees, sign_eip1559};
use crate::{AnchorError, key};

/// Connecting must be quick: an unreachable node should fail an attempt in seconds, not hang the engine.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Bound on any single JSON-RPC request, so that a node that accepts connections but never answers fails too.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Where and how to anchor. Only `rpc_url` and `chain_id` are required in JSON: the chain id is never
/// guessed, so that a misconfigured URL cannot silently anchor on another chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorConfig {
    /// HTTP(S) JSON-RPC endpoint.
    pub rpc_url: String,
    /// EIP-155 chain id the node must serve (1 mainnet, 11155111 Sepolia, 31337 anvil...).
    pub chain_id: u64,
    /// Blocks required on top of the including block before an anchor counts as done (0: inclusion only).
    #[serde(default = "default_confirmations")]
    pub confirmations: u64,
    /// Recipient of the zero-value anchoring transaction; `None` sends it to the signer itself, which needs no
    /// contract and costs only intrinsic and calldata gas.
    #[serde(default)]
    pub to: Option<String>,
    /// How often the engine anchors (this crate does not schedule; the field lives here with the rest).
    #[serde(default = "default_interval_secs")]
    pub interval_secs: u64,
    /// Longest wait for inclusion plus confirmations in one [`Anchorer::anchor`] call.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_confirmations() -> u64 {
    2
}
fn default_interval_secs() -> u64 {
    3600
}
fn default_timeout_secs() -> u64 {
    300
}

impl AnchorConfig {
    /// A configuration with the defaults: 2 confirmations, to self, hourly, 300 s timeout.
    pub fn new(rpc_url: impl Into<String>, chain_id: u64) -> Self {
        AnchorConfig {
            rpc_url: rpc_url.into(),
            chain_id,
            confirmations: default_confirmations(),
            to: None,
            interval_secs: default_interval_secs(),
            timeout_secs: default_timeout_secs(),
        }
    }
}

/// Sends anchors with one key to one node.
pub struct Anchorer {
    config: AnchorConfig,
    signer: PrivateKeySigner,
    to: Address,
    node: Node,
}

impl std::fmt::Debug for Anchorer {
    // Spelled out so that the key can never reach a log through a derived Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Anchorer")
            .field("config", &self.config)
            .field("address", &self.signer.address())
            .finish_non_exhaustive()
    }
}

impl Anchorer {
    /// Checks the configuration and key; does not contact the node.
    pub fn new(config: AnchorConfig, key_bytes: [u8; 32]) -> Result<Self, AnchorError> {
        let signer = key::signer(&key_bytes)?;
        let to = match &config.to {
            None => signer.address(),
            Some(s) => s.parse().map_err(|_| AnchorError::Config(format!("`to` {s:?} is not an address")))?,
        };
        let node = Node::connect(&config.rpc_url)?;
        Ok(Anchorer { config, signer, to, node })
    }

    /// The signer's EIP-55 address: the account that must hold funds for gas.
    pub fn address(&self) -> String {
        self.signer.address().to_checksum(None)
    }

    pub fn config(&self) -> &AnchorConfig {
        &self.config
    }

    /// Puts `c` on chain: one signed EIP-1559 transaction, then waits for its receipt and for
    /// `confirmations` further blocks, at most `timeout_secs`. The evidence holds the exact bytes sent.
    pub async fn anchor(&self, c: &Commitment) -> Result<AnchorEvidence, AnchorError> {
        c.validate()?;
        let node = &self.node;
        let from = self.signer.address();
        node.check_chain(self.config.chain_id).await?;

        let input = calldata::encode(c);
        let request = TransactionRequest {
            from: Some(from),
            to: Some(TxKind::Call(self.to)),
            input: TransactionInput::new(Bytes::from(input.clone())),
            ..Default::default()
        };
        // "pending" counts our own transactions still in the pool, so a retry after a timeout does not reuse
        // (and try to replace) the nonce of an anchor that may yet be mined.
        let nonce = node.call("eth_getTransactionCount", node.provider.get_transaction_count(from).pending()).await?;
        let gas_limit = node.estimate_gas(request).await?;
        let fee = node.call("eth_feeHistory", node.provider.estimate_eip1559_fees()).await?;
        let fees = Fees {
            nonce,
            gas_limit,
            max_fee_per_gas: fee.max_fee_per_gas,
            max_priority_fee_per_gas: fee.max_priority_fee_per_gas,
        };
        let signed = sign_eip1559(&self.signer, self.config.chain_id, self.to, input, fees)?;
        tracing::info!(tx = %signed.hash, nonce, gas_limit, node = %node.name, "sending anchor transaction");

        let pending = node
            .provider
            .send_raw_transaction(&signed.raw)
            .await
            .map_err(|e| node.error("eth_sendRawTransaction", e, Kind::Send))?;
        if *pending.tx_hash() != signed.hash {
            return Err(node.unexpected(format!(
                "it reports hash {} for a transaction that hashes to {}",
                pending.tx_hash(),
                signed.hash
            )));
        }

        let timeout = Duration::from_secs(self.config.timeout_secs);
        let (block_number, block_hash) = node.wait_confirmed(signed.hash, self.config.confirmations, timeout).await?;
        tracing::info!(tx = %signed.hash, block_number, "anchor confirmed");
        Ok(AnchorEvidence {
            chain_id: self.config.chain_id,
            raw_tx: format!("0x{}", hex::encode(&signed.raw)),
            tx_hash: signed.hash.to_string(),
            from: from.to_checksum(None),
            block_number,
            block_hash: block_hash.to_string(),
            receipt_status: true,
            commitment: c.clone(),
        })
    }
}

/// Checks `ev` against the chain served by `rpc_url`: first everything [`verify_offline`] checks, then that the
/// node serves `ev.chain_id`, knows the transaction in block `block_number` with hash `block_hash`, has a
/// successful receipt for it there, and that its canonical block at that height is that very block (so no
/// reorganisation has dropped it). Returns one line describing what holds.
pub async fn verify_online(rpc_url: &str, ev: &AnchorEvidence) -> Result<String, AnchorError> {
    verify_offline(ev, None)?;
    let hash = parse_b256(&ev.tx_hash, "tx_hash")?;
    let block_hash = parse_b256(&ev.block_hash, "block_hash")?;
    let node = Node::connect(rpc_url)?;
    node.check_chain(ev.chain_id).await?;
    let absent = |reason: String| AnchorError::NotOnChain { url: node.name.clone(), reason };

    let tx = node
        .call("eth_getTransactionByHash", node.provider.get_transaction_by_hash(hash))
        .await?
        .ok_or_else(|| absent(format!("the node does not know transaction {hash}")))?;
    if tx.block_number != Some(ev.block_number) || tx.block_hash != Some(block_hash) {
        return Err(absent(format!(
            "transaction {hash} is in block {} ({}), the evidence says block {} ({block_hash})",
            tx.block_number.map_or("none (pending)".into(), |n| n.to_string()),
            tx.block_hash.map_or("-".into(), |h| h.to_string()),
            ev.block_number
        )));
    }
    // The node's copy must carry the same calldata; with equal hashes it does, unless the node is broken.
    if tx.inner.input().as_ref() != calldata::encode(&ev.commitment).as_slice() {
        return Err(node.unexpected(format!("its copy of {hash} carries other calldata than the raw transaction")));
    }

    let receipt = node
        .call("eth_getTransactionReceipt", node.provider.get_transaction_receipt(hash))
        .await?
        .ok_or_else(|| absent(format!("the node has no receipt for {hash}")))?;
    if receipt.block_hash != Some(block_hash) || receipt.block_number != Some(ev.block_number) {
        return Err(absent(format!("the receipt of {hash} is not for block {} ({block_hash})", ev.block_number)));
    }
    if !receipt.status() {
        return Err(absent(format!("transaction {hash} failed (receipt status 0)")));
    }

    let canonical = node.block_hash_at(ev.block_number).await?;
    if canonical != Some(block_hash) {
        return Err(absent(format!(
            "the chain's block {} is {}, not {block_hash}: the anchor's block was reorganised away",
            ev.block_number,
            canonical.map_or("missing".into(), |h| h.to_string())
        )));
    }
    let head = node.call("eth_blockNumber", node.provider.get_block_number()).await?;
    Ok(format!(
        "tx {hash} is in block {} ({block_hash}) of chain {} at {}, the canonical block at that height, with {} \
         block(s) on top",
        ev.block_number,
        ev.chain_id,
        node.name,
        head.saturating_sub(ev.block_number)
    ))
}

/// Which failure a JSON-RPC error response means: for a send, the node refusing our transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Query,
    Send,
}

/// A JSON-RPC endpoint plus the name errors use for it.
#[derive(Debug)]
struct Node {
    provider: RootProvider,
    /// The URL with path, query and credentials cut: RPC URLs often embed API keys, and errors reach logs.
    name: String,
    /// The full URL as reqwest prints it, to scrub it from transport error text.
    full: String,
    poll: Duration,
}

impl Node {
    fn connect(rpc_url: &str) -> Result<Node, AnchorError> {
        let url = Url::parse(rpc_url).map_err(|e| AnchorError::Config(format!("RPC URL is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(AnchorError::Config(format!("RPC URL must be http or https, not {}", url.scheme())));
        }
        let name = display_name(&url);
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| AnchorError::Config(format!("cannot build an HTTP client: {e}")))?;
        let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        // A local dev node mines in milliseconds; public chains take seconds per block and rate-limit polling.
        let poll = if local { Duration::from_millis(100) } else { Duration::from_secs(2) };
        let full = url.to_string();
        let provider = RootProvider::new(RpcClient::new_http_with_client(client, url));
        Ok(Node { provider, name, full, poll })
    }

    async fn check_chain(&self, expected: u64) -> Result<(), AnchorError> {
        let actual = self.call("eth_chainId", self.provider.get_chain_id()).await?;
        if actual != expected {
            return Err(AnchorError::ChainIdMismatch { url: self.name.clone(), expected, actual });
        }
        Ok(())
    }

    async fn estimate_gas(&self, request: TransactionRequest) -> Result<u64, AnchorError> {
        // A refusal to estimate is the node predicting a rejection (no funds, bad recipient), so say so.
        self.provider.estimate_gas(request).await.map_err(|e| self.error("eth_estimateGas", e, Kind::Send))
    }

    async fn block_hash_at(&self, number: u64) -> Result<Option<B256>, AnchorError> {
        let block = self
            .call("eth_getBlockByNumber", self.provider.get_block_by_number(BlockNumberOrTag::Number(number)))
            .await?;
        Ok(block.map(|b| b.header.hash))
    }

    async fn call<T>(
        &self,
        method: &str,
        fut: impl std::future::IntoFuture<Output = Result<T, TransportError>>,
    ) -> Result<T, AnchorError> {
        fut.await.map_err(|e| self.error(method, e, Kind::Query))
    }

    /// Polls until `hash` has a successful receipt in a block that is still canonical with `confirmations`
    /// blocks on top, or `timeout` passes. Errors while polling are tolerated until then: the transaction is
    /// already out, and giving up early on a flaky connection would only make the caller send a duplicate.
    async fn wait_confirmed(
        &self,
        hash: B256,
        confirmations: u64,
        timeout: Duration,
    ) -> Result<(u64, B256), AnchorError> {
        let deadline = Instant::now() + timeout;
        let mut last: String;
        loop {
            match self.poll_once(hash, confirmations).await {
                Ok(Ok(done)) => return Ok(done),
                Ok(Err(progress)) => last = progress,
                Err(e @ AnchorError::Rejected { .. }) => return Err(e),
                Err(e) => {
                    tracing::debug!(tx = %hash, error = %e, "polling for anchor receipt");
                    last = e.to_string();
                }
            }
            if Instant::now() + self.poll > deadline {
                return Err(AnchorError::Timeout {
                    url: self.name.clone(),
                    what: format!("transaction {hash} to be included with {confirmations} confirmation(s) ({last})"),
                    secs: timeout.as_secs(),
                });
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// One look at the chain: `Ok(Ok((block, hash)))` when done, `Ok(Err(progress))` while waiting.
    async fn poll_once(&self, hash: B256, confirmations: u64) -> Result<Result<(u64, B256), String>, AnchorError> {
        let receipt = self.call("eth_getTransactionReceipt", self.provider.get_transaction_receipt(hash)).await?;
        let Some((number, block_hash, status)) =
            receipt.and_then(|r| Some((r.block_number?, r.block_hash?, r.status())))
        else {
            return Ok(Err("no receipt yet".into()));
        };
        if !status {
            return Err(AnchorError::Rejected {
                url: self.name.clone(),
                reason: format!("transaction {hash} failed in block {number} (receipt status 0)"),
            });
        }
        let head = self.call("eth_blockNumber", self.provider.get_block_number()).await?;
        if head < number.saturating_add(confirmations) {
            return Ok(Err(format!(
                "included in block {number}, {} block(s) on top so far",
                head.saturating_sub(number)
            )));
        }
        // The receipt may predate a reorganisation; only a block still canonical at its height counts.
        if self.block_hash_at(number).await? != Some(block_hash) {
            tracing::info!(tx = %hash, block = number, "anchor's block is no longer canonical; waiting for re-inclusion");
            return Ok(Err(format!("block {number} was reorganised away; waiting for re-inclusion")));
        }
        Ok(Ok((number, block_hash)))
    }

    fn error(&self, method: &str, e: TransportError, kind: Kind) -> AnchorError {
        let url = self.name.clone();
        match e {
            RpcError::ErrorResp(payload) => {
                let reason = format!("{method}: {} (code {})", payload.message, payload.code);
                match kind {
                    Kind::Send => AnchorError::Rejected { url, reason },
                    Kind::Query => AnchorError::Node { url, reason },
                }
            }
            RpcError::Transport(kind) => {
                AnchorError::Unreachable { url, reason: format!("{method}: {}", self.scrub(&error_chain(&kind))) }
            }
            RpcError::DeserError { err, .. } => AnchorError::Node {
                url,
                reason: format!("{method}: the answer is not what Ethereum JSON-RPC returns: {err}"),
            },
            other => AnchorError::Node { url, reason: format!("{method}: {}", self.scrub(&error_chain(&other))) },
        }
    }

    fn unexpected(&self, reason: String) -> AnchorError {
        AnchorError::Node { url: self.name.clone(), reason }
    }

    fn scrub(&self, text: &str) -> String {
        text.replace(&self.full, &self.name)
    }
}

/// `scheme://host[:port]`, plus `/…` when the URL had a path or query that may hold a secret.
fn display_name(url: &Url) -> String {
    let mut name = format!("{}://{}", url.scheme(), url.host_str().unwrap_or("?"));
    if let Some(port) = url.port() {
        name.push_str(&format!(":{port}"));
    }
    if url.path() != "/" || url.query().is_some() {
        name.push_str("/…");
    }
    name
}

/// An error and its sources, `: `-joined, since transport errors put the useful part ("connection refused")
/// several levels down.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_fill_in_from_minimal_json() {
        let c: AnchorConfig =
            serde_json::from_value(serde_json::json!({"rpc_url": "http://127.0.0.1:8545", "chain_id": 31337})).unwrap();
        assert_eq!(c, AnchorConfig::new("http://127.0.0.1:8545", 31337));
        assert_eq!((c.confirmations, c.to, c.interval_secs, c.timeout_secs), (2, None, 3600, 300));
        assert!(serde_json::from_value::<AnchorConfig>(serde_json::json!({"rpc_url": "http://x"})).is_err());
    }

    #[test]
    fn names_urls_without_secrets() {
        let name = |s: &str| display_name(&Url::parse(s).unwrap());
        assert_eq!(name("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(name("https://mainnet.infura.io/v3/SECRETKEY"), "https://mainnet.infura.io/…");
        assert_eq!(name("https://user:pw@rpc.example/?key=SECRET"), "https://rpc.example/…");
    }

    #[test]
    fn new_checks_key_to_and_url() {
        let key = crate::generate_key();
        assert!(Anchorer::new(AnchorConfig::new("http://127.0.0.1:8545", 1), key).is_ok());
        let bad_to = AnchorConfig { to: Some("nope".into()), ..AnchorConfig::new("http://127.0.0.1:8545", 1) };
        assert!(matches!(Anchorer::new(bad_to, key), Err(AnchorError::Config(_))));
        assert!(matches!(Anchorer::new(AnchorConfig::new("not a url", 1), key), Err(AnchorError::Config(_))));
        assert!(matches!(Anchorer::new(AnchorConfig::new("ws://127.0.0.1:1", 1), key), Err(AnchorError::Config(_))));
        assert!(matches!(Anchorer::new(AnchorConfig::new("http://127.0.0.1:1", 1), [0; 32]), Err(AnchorError::Key(_))));
    }

    #[tokio::test]
    async fn transport_errors_do_not_leak_the_url_path() {
        // Port 1 on loopback refuses at once; the path stands for an API key embedded in a provider URL.
        let node = Node::connect("http://127.0.0.1:1/v3/SECRETKEY").unwrap();
        let err = node.check_chain(1).await.unwrap_err();
        assert!(matches!(err, AnchorError::Unreachable { .. }), "{err}");
        let text = err.to_string();
        assert!(!text.contains("SECRETKEY") && text.contains("http://127.0.0.1:1/…"), "{text}");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = [0x11u8; 32];
        let a = Anchorer::new(AnchorConfig::new("http://127.0.0.1:8545", 1), key).unwrap();
        let text = format!("{a:?}");
        assert!(!text.contains(&hex::encode(key)) && !text.contains("1111111111"), "{text}");
        assert!(text.contains("address"));
    }
}
