//! `vargate anchor now|status|address`: put a tenant's latest checkpoint on an EVM chain, and see how
//! anchoring is going.

use crate::output::{safe, say};
use anyhow::{Result, bail};
use std::path::Path;
use vargate_anchor::AnchorConfig;
use vargate_engine::anchoring::{self, AnchorOutcome, AnchorStatus};
use vargate_store::Store;

pub async fn now(store: &Store, data_dir: &Path, tenant: &str, config: &AnchorConfig) -> Result<()> {
    crate::require_log(store, tenant).await?;
    let result = anchoring::anchor_now(store, tenant, config).await;
    let mut status = AnchorStatus::load(data_dir).unwrap_or_default();
    status.rpc_url = config.rpc_url.clone();
    status.chain_id = config.chain_id;
    status.note(tenant, &result, &vargate_engine::ingest::now());
    if let Err(e) = status.save(data_dir) {
        eprintln!("warning: {e}");
    }
    match result? {
        AnchorOutcome::Anchored(ev) => say!(
            "anchored {} at size {} on chain {}: tx {} in block {} (from {})",
            safe(&ev.commitment.origin),
            ev.commitment.size,
            ev.chain_id,
            ev.tx_hash,
            ev.block_number,
            ev.from
        ),
        AnchorOutcome::AlreadyAnchored { size } => say!("nothing to anchor: size {size} is anchored already"),
    }
    Ok(())
}

pub async fn status(store: &Store, data_dir: &Path, tenant: &str, json: bool) -> Result<()> {
    crate::require_log(store, tenant).await?;
    let anchors = store.anchors(tenant).await?;
    let status = AnchorStatus::load(data_dir).map_err(anyhow::Error::msg)?;
    let mine = status.tenants.get(tenant).cloned().unwrap_or_default();
    if json {
        let out = serde_json::json!({
            "tenant": tenant,
            "rpc_url": status.rpc_url,
            "chain_id": status.chain_id,
            "attempts": mine,
            "anchors": anchors.iter().map(|a| serde_json::json!({
                "size": a.size, "recorded_at": a.recorded_at, "evidence": a.evidence,
            })).collect::<Vec<_>>(),
        });
        println!("{out:#}");
        return Ok(());
    }
    match anchors.first() {
        Some(a) => say!(
            "last anchor: size {} in tx {} (block {}, chain {}), recorded {}",
            a.size,
            a.evidence["tx_hash"].as_str().unwrap_or("?"),
            a.evidence["block_number"],
            a.evidence["chain_id"],
            a.recorded_at
        ),
        None => say!("never anchored"),
    }
    say!("{} anchors in the log; log size now {}", anchors.len(), store.size(tenant).await?);
    if let Some(at) = &mine.last_attempt_at {
        say!("last attempt {at} against {} (chain {})", safe(&status.rpc_url), status.chain_id);
    }
    if let Some(e) = &mine.last_error {
        say!("FAILING: {} consecutive failures; last: {}", mine.failures, safe(e));
        if let Some(next) = &mine.next_attempt_at {
            say!("next attempt at {next}");
        }
    }
    Ok(())
}

pub async fn address(store: &Store, chain_id: u64) -> Result<()> {
    if chain_id == 0 {
        bail!("--chain-id must name the chain (1 mainnet, 11155111 Sepolia, 31337 a local anvil)");
    }
    println!("{}", anchoring::anchor_address(store, chain_id).await?);
    eprintln!("fund this address on chain {chain_id} to pay for anchoring transactions");
    Ok(())
}
