//! Runs the Managed Agents simulator until Ctrl-C, printing its base URL on the first stdout line, so that
//! other tools (e.g. `tests/sdk/drive_simulator.py`) can drive it:
//! `cargo run -p vargate-agents --example sim -- 127.0.0.1:0 [SCENARIO_DIR]`.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use vargate_agents::sim::{SimConfig, Simulator};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let Ok(addr) = addr.parse::<SocketAddr>() else {
        eprintln!("usage: sim [ADDR (default 127.0.0.1:0)] [SCENARIO_DIR]; {addr:?} is not a socket address");
        return ExitCode::from(2);
    };
    let config = SimConfig { scenario_dir: args.next().map(Into::into), ..SimConfig::default() };
    let sim = match Simulator::start(addr, config).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("simulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout();
    if writeln!(out, "{}", sim.base_url()).and_then(|()| out.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("simulator: waiting for Ctrl-C: {e}");
    }
    sim.shutdown().await;
    ExitCode::SUCCESS
}
