//! `vargate anchor now|status|address`: put a tenant's latest checkpoint on an EVM chain, and see how
//! anchoring is going.

use crate::output::{safe, say};
use anyhow::{Result, bail};
use std::path::Path;
use vargate_anchor::AnchorConfig;
use vargate_engine::anchoring::{self, AnchorOutcome};
use vargate_store::Store;

pub async fn now(store: &Store, data_dir: &Path, tenant: &str, config: &AnchorConfig) -> Result<()> {
    crate::require_log(store, tenant).await?;
    match anchoring::anchor_and_note(store, data_dir, tenant, config).await? {
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
    let report = anchoring::anchor_report(store, data_dir, tenant).await?;
    let mine = &report.attempts;
    if json {
        let out = serde_json::json!({
            "tenant": tenant,
            "rpc_url": report.rpc_url,
            "chain_id": report.chain_id,
            "attempts": mine,
            "anchors": report.anchors.iter().map(|a| serde_json::json!({
                "size": a.size, "recorded_at": a.recorded_at, "evidence": a.evidence,
            })).collect::<Vec<_>>(),
        });
        println!("{out:#}");
        return Ok(());
    }
    match report.anchors.first() {
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
    say!("{} anchors in the log; log size now {}", report.anchors.len(), report.log_size);
    if let Some(at) = &mine.last_attempt_at {
        say!("last attempt {at} against {} (chain {})", safe(&report.rpc_url), report.chain_id);
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
