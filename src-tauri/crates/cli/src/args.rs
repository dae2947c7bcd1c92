//! The command line as clap reads it: every command, its arguments and their help text, and how the store
//! options open a log.

use anyhow::{Context as _, Result, bail};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use vargate_store::{Keychain, KeystoreKind, Store, StoreOptions};

#[derive(Debug, Parser)]
#[command(name = "vargate", version, about = "Vargate: governance and tamper-evident audit for managed AI agents")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Which policies decide: the shipped bundle (plus a user folder) and a governance profile.
#[derive(Debug, Clone, Args)]
pub(crate) struct PolicyArgs {
    /// A policy folder whose .rego files and profiles/*.json join the shipped bundle (edits are picked up
    /// while running).
    #[arg(long, value_name = "DIR")]
    pub(crate) policies: Option<PathBuf>,
    /// The governance profile: a profile name from the bundle, or a JSON file [default: default; for the
    /// demo, demo: the default profile with payments allowed at any hour].
    #[arg(long, value_name = "NAME|FILE")]
    pub(crate) profile: Option<String>,
}

impl PolicyArgs {
    pub(crate) fn load(&self, default_profile: &str) -> Result<vargate_engine::PolicySet> {
        let profile = self.profile.as_deref().unwrap_or(default_profile);
        let path = std::path::Path::new(profile);
        let choice = if profile.ends_with(".json") || path.components().count() > 1 {
            vargate_engine::ProfileChoice::File(path.to_owned())
        } else {
            vargate_engine::ProfileChoice::Named(profile.to_owned())
        };
        vargate_engine::PolicySet::load(self.policies.as_deref(), choice).context("loading the policies")
    }
}

/// Where the audit log and its signing keys live; only commands that use the log take these.
#[derive(Debug, Clone, Args)]
pub(crate) struct StoreArgs {
    /// Directory holding the audit database [default: the OS data directory + /vargate].
    #[arg(long, env = "VARGATE_DATA_DIR", value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Where checkpoint signing keys live: secret-service (desktop keychain), keyutils (Linux kernel keyring,
    /// headless) or insecure-file:DIR (plain key files; warned about).
    #[arg(long, env = "VARGATE_KEYSTORE", default_value = "secret-service", value_name = "KEYSTORE")]
    pub(crate) keystore: KeystoreKind,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Work with a tenant's audit log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Sign a checkpoint of a tenant's log now (if it grew) and print it.
    Checkpoint {
        /// The tenant whose log to checkpoint.
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Write a standalone proof file for one session.
    Proof {
        /// The tenant whose log holds the session.
        #[arg(long)]
        tenant: String,
        /// The session to prove (`vargate log sessions` lists them).
        #[arg(long)]
        session: String,
        /// Where to write the proof file.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Run the whole loop against the built-in simulator: governed sessions ingested into the local log,
    /// fail-closed decisions, a live timeline, and a proof file per session in --out.
    Demo {
        /// Directory for the sessions' proof files.
        #[arg(long, default_value = "vargate-demo", value_name = "DIR")]
        out: PathBuf,
        /// Drop every SSE stream after this many events, to show reconnects (0: never).
        #[arg(long, default_value_t = 7, value_name = "N")]
        drop_every: usize,
        #[command(flatten)]
        policy: PolicyArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Ingest a live session of the API (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL) until it ends, deciding on
    /// every tool call that waits on Vargate with the policies.
    Watch {
        /// The tenant whose log records the session (created if new).
        #[arg(long)]
        tenant: String,
        /// The managed-agents session id (sesn_…).
        #[arg(long)]
        session: String,
        #[command(flatten)]
        policy: PolicyArgs,
        #[command(flatten)]
        anchoring: AnchoringArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Re-evaluate a recorded decision on the policy bundle that made it; exit 1 unless it reproduces.
    Replay {
        /// The decision's action id (act_…), as its record and the timeline show it.
        action_id: String,
        /// The tenant whose log holds the decision.
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Tenants' data: crypto-shredding.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Start a managed-agents session within the profile's limits, or interrupt one (ANTHROPIC_API_KEY,
    /// ANTHROPIC_BASE_URL).
    #[command(subcommand)]
    Session(SessionCommand),
    /// Run the detectors over JSON Lines of {"id","command"} or {"id","text"}: one JSON result line each.
    Detect {
        /// The JSON Lines file, or - for standard input.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
    },
    /// The approval queue: list, show, approve or deny tool calls held for a human.
    #[command(subcommand)]
    Approvals(ApprovalsCommand),
    /// Work with policy bundles: show the active one, run test cases.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Serve the managed-agents simulator until Ctrl-C.
    Sim {
        /// Address to listen on, HOST:PORT (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// A scenario file (JSON, see docs/simulator.md) to run by default.
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
    },
    /// Print a stored session's records in order.
    Timeline {
        /// The tenant whose log holds the session.
        #[arg(long)]
        tenant: String,
        /// The session to show (`vargate log sessions` lists them).
        #[arg(long)]
        session: String,
        /// Only records of this type, e.g. agent.tool_use (repeatable).
        #[arg(long = "type", value_name = "TYPE")]
        types: Vec<String>,
        /// Only records with this decision, e.g. deny or observed (repeatable).
        #[arg(long = "decision", value_name = "DECISION")]
        decisions: Vec<String>,
        /// One JSON object per line, exactly as stored.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Write a session's signed evidence pack: proof.json, report.pdf, manifest.json and manifest.sig in one
    /// zip, for an auditor to verify offline.
    Export {
        /// The tenant whose log holds the session.
        #[arg(long)]
        tenant: String,
        /// The session to export (`vargate log sessions` lists them).
        #[arg(long)]
        session: String,
        /// Where to write the pack.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Anchor checkpoints on an EVM chain, and see how anchoring is going.
    #[command(subcommand)]
    Anchor(AnchorCommand),
    /// Verify an evidence pack or a proof file offline. Exit status: 0 every check passed against a pinned
    /// key; 1 a check failed; 2 the input could not be read; 3 every check passed but no key was pinned
    /// (--key), so the file's origin is unverified.
    Verify {
        /// The evidence pack (.zip) or proof file, or - for standard input.
        file: PathBuf,
        /// The log's published verifier key (C2SP vkey; `vargate log key` prints it) to pin the checkpoint
        /// signature to.
        #[arg(long, value_name = "VKEY")]
        key: Option<String>,
        /// Exit 0 rather than 3 when every check passes without --key (the origin stays unverified).
        #[arg(long)]
        allow_unpinned: bool,
        /// Also ask this EVM node (JSON-RPC URL) whether the anchor transaction is in the chain at the stated
        /// block. Without it, verification uses no network.
        #[arg(long, value_name = "URL")]
        rpc: Option<String>,
        /// Print the verdict as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Where anchors go: a JSON-RPC endpoint and the chain it must serve.
#[derive(Debug, Args)]
pub(crate) struct ChainArgs {
    /// The EVM node's JSON-RPC URL.
    #[arg(long, env = "VARGATE_ANCHOR_RPC", value_name = "URL")]
    pub(crate) rpc: String,
    /// The chain id the node must serve (never guessed: 1 mainnet, 11155111 Sepolia, 31337 a local anvil).
    #[arg(long, env = "VARGATE_ANCHOR_CHAIN_ID", value_name = "ID")]
    pub(crate) chain_id: u64,
    /// Blocks on top of the including block before the anchor counts.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub(crate) confirmations: u64,
    /// Longest wait for inclusion and confirmations, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub(crate) timeout: u64,
}

impl ChainArgs {
    pub(crate) fn config(&self) -> vargate_anchor::AnchorConfig {
        let mut c = vargate_anchor::AnchorConfig::new(self.rpc.clone(), self.chain_id);
        c.confirmations = self.confirmations;
        c.timeout_secs = self.timeout;
        c
    }
}

/// Periodic anchoring while a long-running command runs (off unless --anchor-rpc is given).
#[derive(Debug, Args)]
pub(crate) struct AnchoringArgs {
    /// Anchor the log's checkpoints through this EVM JSON-RPC URL while running.
    #[arg(long, env = "VARGATE_ANCHOR_RPC", value_name = "URL", requires = "anchor_chain_id")]
    pub(crate) anchor_rpc: Option<String>,
    /// The chain id that node must serve.
    #[arg(long, env = "VARGATE_ANCHOR_CHAIN_ID", value_name = "ID")]
    pub(crate) anchor_chain_id: Option<u64>,
    /// Seconds between anchors.
    #[arg(long, default_value_t = 3600, value_name = "SECS")]
    pub(crate) anchor_every: u64,
}

impl AnchoringArgs {
    /// Starts periodic anchoring when configured; the task ends with the store's writer.
    pub(crate) fn spawn(&self, store: &Store, data_dir: PathBuf) -> Option<tokio::task::JoinHandle<()>> {
        let (url, chain_id) = (self.anchor_rpc.clone()?, self.anchor_chain_id?);
        let mut config = vargate_anchor::AnchorConfig::new(url, chain_id);
        config.interval_secs = self.anchor_every;
        Some(vargate_engine::anchoring::spawn_anchorer(store.clone(), config, data_dir))
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum AnchorCommand {
    /// Anchor the tenant's latest checkpoint now (signing one if the log grew) and record the evidence.
    Now {
        /// The tenant whose log to anchor.
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        chain: ChainArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The tenant's anchors and the state of anchoring: last success, failures, next retry.
    Status {
        /// The tenant whose anchoring to show.
        #[arg(long)]
        tenant: String,
        /// As JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the address that pays for anchoring on a chain (its key is in the keychain).
    Address {
        /// The chain the address pays on.
        #[arg(long, env = "VARGATE_ANCHOR_CHAIN_ID", value_name = "ID")]
        chain_id: u64,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TenantCommand {
    /// Crypto-shred a tenant's sealed PII (its data key), or one session's: the originals can never be read
    /// again, while every record and proof stays valid.
    Shred {
        /// The tenant whose data to shred.
        #[arg(long)]
        tenant: String,
        /// Only this session's sealed data.
        #[arg(long)]
        session: Option<String>,
        /// Confirms the erasure, which cannot be undone.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum SessionCommand {
    /// Start a session of an agent within the governance profile's session limits (sessions.max_concurrent,
    /// sessions.daily), recording the start, or the refusal, with who asked in the tenant's log. Prints the
    /// new session's id alone on standard output; govern it with `vargate watch`. Exit status: 0 started; 1 an
    /// error; 3 refused, by a limit or because the figures to check one could not be had (the refusal is
    /// recorded).
    Start {
        /// The tenant whose log records the start (created if new).
        #[arg(long)]
        tenant: String,
        /// The agent to run (agent_…).
        #[arg(long, value_name = "AGENT_ID")]
        agent: String,
        /// The environment to run it in (env_…).
        #[arg(long, value_name = "ENV_ID")]
        environment: String,
        /// The session's title, shown in the API's session list.
        #[arg(long)]
        title: Option<String>,
        /// Sent as the session's first user message, so that the agent starts working.
        #[arg(long, value_name = "TEXT")]
        message: Option<String>,
        /// Who starts it (recorded) [default: $USER].
        #[arg(long = "as", visible_alias = "by", value_name = "NAME")]
        by: Option<String>,
        /// Print the start as a JSON object (session_id, tenant, agent, environment_id, title, by,
        /// message_sent) instead of the id alone.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        policy: PolicyArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The kill switch: interrupt the session now and tell the agent why. The process that ingests the
    /// session records the interrupt and the message (with the reason and who sent it) from its echo.
    Interrupt {
        /// The managed-agents session id (sesn_…).
        session: String,
        /// Why (sent to the agent, and so recorded).
        #[arg(long)]
        reason: String,
        /// Who interrupts [default: $USER].
        #[arg(long = "as", value_name = "NAME")]
        by: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ApprovalsCommand {
    /// List pending requests (newest first).
    List {
        /// Every request, decided ones too.
        #[arg(long)]
        all: bool,
        /// As JSON, exactly as stored.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show one request with what a reviewer needs: tool, redacted parameters, findings, matched rules.
    Show {
        /// The request id (apr_…).
        id: String,
        /// As JSON, exactly as stored.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Approve requests; policy is evaluated again before the call goes ahead.
    Approve(Decide),
    /// Deny requests.
    Deny(Decide),
}

/// What approving and denying take alike.
#[derive(Debug, Args)]
pub(crate) struct Decide {
    /// Request ids (apr_…), one or more.
    #[arg(required = true)]
    pub(crate) ids: Vec<String>,
    /// Why (recorded; on a denial, also sent to the agent).
    #[arg(long, default_value = "")]
    pub(crate) reason: String,
    /// Who decides (recorded) [default: $USER].
    #[arg(long = "as", value_name = "NAME")]
    pub(crate) approver: Option<String>,
    #[command(flatten)]
    pub(crate) store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Run policy test cases (input → expected decision); exit 1 if any fails.
    Test {
        /// A policy folder (its .rego files on top of the shipped bundle, its cases in DIR/cases); without
        /// it, the shipped bundle and its cases.
        dir: Option<PathBuf>,
    },
    /// Print the bundle's hash, its policy files and governance profiles.
    Show {
        /// A policy folder to add to the shipped bundle.
        #[arg(long, value_name = "DIR")]
        policies: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum LogCommand {
    /// Append records from a JSON Lines file (creating the tenant's log if new); a file with any bad line
    /// imports nothing.
    Import {
        /// The JSON Lines file, or - for standard input.
        file: PathBuf,
        /// The tenant whose log receives the records.
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Recompute every hash, chain and checkpoint of a tenant's log from its records.
    Check {
        /// The tenant whose log to check.
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the log's published verifier key (C2SP vkey), the key auditors pin with `vargate verify --key`;
    /// its fingerprint goes to standard error.
    Key {
        /// The tenant whose key to print.
        #[arg(long)]
        tenant: String,
        /// Print tenant, origin, vkey, key id and fingerprint as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the sessions of a tenant's log, most recently active first, with their record counts.
    Sessions {
        /// The tenant whose sessions to list.
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

impl StoreArgs {
    pub(crate) fn data_dir(&self) -> Result<PathBuf> {
        match &self.data_dir {
            Some(d) => Ok(d.clone()),
            None => Ok(dirs::data_dir()
                .context("no application data directory on this system; pass --data-dir")?
                .join("vargate")),
        }
    }

    /// Opens the log. The keychain is opened on first use, so commands that sign nothing work without one;
    /// those that may sign (`signs`) warn once about a plain key file.
    pub(crate) async fn open(&self, signs: bool) -> Result<Store> {
        let dir = self.data_dir()?;
        if dir.exists() && !dir.is_dir() {
            bail!("the data directory {} is not a directory; pass --data-dir with a directory", dir.display());
        }
        std::fs::create_dir_all(&dir).with_context(|| format!("creating the data directory {}", dir.display()))?;
        let keychain = if signs {
            if let Some(warning) = self.keystore.warning() {
                eprintln!("warning: {warning}");
            }
            // Commands that sign connect now: a keystore that cannot be reached is one clear line.
            let kind = self.keystore.clone();
            tokio::task::spawn_blocking(move || Keychain::open_checked(kind)).await??
        } else {
            Keychain::lazy(self.keystore.clone())
        };
        Store::open(&dir.join("vargate.db"), Arc::new(keychain), StoreOptions::default())
            .await
            .with_context(|| format!("opening the audit log in {}", dir.display()))
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    /// Every command and every argument says what it is for in `--help`.
    #[test]
    fn every_argument_has_help_text() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let builtin = matches!(arg.get_id().as_str(), "help" | "version");
                if !builtin && arg.get_help().is_none() {
                    missing.push(format!("{path} {}", arg.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                if sub.get_about().is_none() {
                    missing.push(format!("{path} {}", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&super::Cli::command(), "vargate", &mut missing);
        assert!(missing.is_empty(), "without help text: {missing:?}");
        super::Cli::command().debug_assert();
    }
}
