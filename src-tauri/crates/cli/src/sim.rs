//! `vargate sim`: the managed-agents simulator as a local server, for the SDKs, demos and manual testing.

use anyhow::{Context as _, Result};
use std::path::Path;
use vargate_agents::sim::{SimConfig, Simulator};

use crate::output::{safe, say};

pub async fn run(addr: &str, scenario: Option<&Path>) -> Result<()> {
    let mut config = SimConfig::default();
    if let Some(file) = scenario {
        // A scenario file joins the bundled ones (from its directory) and becomes the default.
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{} is not a JSON scenario", file.display()))?;
        let name = value.get("name").and_then(|n| n.as_str());
        config.default_scenario =
            name.with_context(|| format!("{}: scenario has no \"name\"", file.display()))?.to_owned();
        config.scenario_dir = Some(file.parent().unwrap_or(Path::new(".")).to_owned());
    }
    let bad = || format!("\"{}\" is not an address like 127.0.0.1:8080 or localhost:0", safe(addr));
    // Resolve names too (localhost:0), taking the first address they give.
    let addr = tokio::net::lookup_host(addr).await.with_context(bad)?.next().with_context(bad)?;
    let sim = Simulator::start(addr, config).await?;
    say!("managed-agents simulator listening on {}", sim.base_url());
    say!("point a client at it, e.g. anthropic.Anthropic(base_url=\"{}\", api_key=\"any\")", sim.base_url());
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    sim.shutdown().await;
    Ok(())
}
