//! The log commands that read or sign: `log check`, `log key`, `log sessions`, `checkpoint` and `proof`.
//! None of them creates a tenant's log.

use crate::output::{count, safe, say};
use crate::require_log;
use anyhow::{Context as _, Result};
use std::path::Path;
use vargate_proof::NoteVerifier;
use vargate_store::Store;

pub async fn check(store: &Store, tenant: &str) -> Result<()> {
    require_log(store, tenant).await?;
    let r = store.check_integrity(tenant).await?;
    say!(
        "log {tenant}: {}, {}, {}, {}, root {} — all consistent",
        count(r.size, "record", "records"),
        count(r.sessions as u64, "session", "sessions"),
        count(r.stored_nodes, "stored subtree hash", "stored subtree hashes"),
        count(r.checkpoints as u64, "checkpoint", "checkpoints"),
        hex::encode(r.root)
    );
    Ok(())
}

/// Prints the vkey alone on standard output (so `--key "$(vargate log key --tenant T)"` works) and what a
/// person compares with a published fingerprint on standard error.
pub async fn key(store: &Store, tenant: &str, json: bool) -> Result<()> {
    require_log(store, tenant).await?;
    let log = store.log(tenant).await?;
    let key = NoteVerifier::parse(&log.vkey).context("the log's stored verifier key is unreadable")?;
    if json {
        let value = serde_json::json!({
            "tenant": log.tenant,
            "origin": log.origin,
            "vkey": log.vkey,
            "key_id": format!("{:08x}", key.key_id),
            "fingerprint": key.fingerprint(),
        });
        say!("{value:#}");
    } else {
        say!("{}", log.vkey);
        eprintln!("fingerprint {} (SHA-256 of the Ed25519 public key), key id {:08x}", key.fingerprint(), key.key_id);
    }
    Ok(())
}

pub async fn sessions(store: &Store, tenant: &str) -> Result<()> {
    require_log(store, tenant).await?;
    for (session, records) in store.sessions(tenant).await? {
        say!("{}  {}", safe(&session), count(records, "record", "records"));
    }
    Ok(())
}

pub async fn checkpoint(store: &Store, tenant: &str) -> Result<()> {
    require_log(store, tenant).await?;
    let cp = store.checkpoint(tenant).await?;
    crate::output::write_stdout(&cp.note, 0);
    Ok(())
}

pub async fn proof(store: &Store, tenant: &str, session: &str, out: &Path) -> Result<()> {
    require_log(store, tenant).await?;
    let file = store.session_proof(tenant, session).await?;
    let json = serde_json::to_vec_pretty(&file)?;
    std::fs::write(out, json).with_context(|| format!("writing {}", out.display()))?;
    say!(
        "wrote {} ({} of session {}, checkpoint of {})",
        out.display(),
        count(file.entries.len() as u64, "record", "records"),
        safe(session),
        count(
            vargate_proof::Checkpoint::read_unverified(&file.checkpoint).map_or(0, |cp| cp.size),
            "record",
            "records"
        ),
    );
    Ok(())
}

pub async fn replay(store: &Store, tenant: &str, action_id: &str) -> Result<()> {
    require_log(store, tenant).await?;
    let outcome = vargate_engine::replay::replay_action(store, tenant, action_id).await?;
    let describe = |d: &vargate_policy::Decision| {
        let rules = if d.matched_rules.is_empty() { "no rule".to_owned() } else { d.matched_rules.join(", ") };
        format!("{} ({rules}; {} pass{})", d.decision.as_str(), d.passes, if d.passes == 1 { "" } else { "es" })
    };
    say!("action {} (leaf {}), bundle {}", safe(action_id), outcome.index, outcome.bundle_hash);
    say!("recorded  {}", safe(&describe(&outcome.recorded)));
    say!("replayed  {}", safe(&describe(&outcome.replayed)));
    if outcome.reproduces() {
        say!("the decision reproduces");
        Ok(())
    } else {
        anyhow::bail!("the decision does not reproduce")
    }
}

pub async fn shred(store: &Store, tenant: &str, session: Option<&str>, yes: bool) -> Result<()> {
    require_log(store, tenant).await?;
    let what = match session {
        Some(s) => format!("the sealed data of session {} in tenant {tenant}", safe(s)),
        None => format!("all sealed data of tenant {tenant}"),
    };
    if !yes {
        anyhow::bail!("this destroys the key to {what} for good; run again with --yes to confirm");
    }
    let shredded = store.shred(tenant, session).await?;
    say!(
        "shredded {what}: {} deleted{}; records and proofs are unchanged",
        count(shredded.session_keys, "session key", "session keys"),
        if shredded.data_key { ", the tenant's data key destroyed" } else { "" }
    );
    Ok(())
}
