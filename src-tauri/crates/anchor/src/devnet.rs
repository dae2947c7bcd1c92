//! A local development chain (anvil) for tests and demos: started on a free port, ready when it answers
//! `eth_chainId`, stopped (by its own PID) when dropped. The binary comes from `tests/evm` (npm
//! `@foundry-rs/anvil`, installed by `scripts/install-deps.sh --test`) or `VARGATE_ANVIL`.

use alloy::providers::{Provider, RootProvider};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Anvil's chain id.
pub const CHAIN_ID: u64 = 31337;

/// A running anvil.
#[derive(Debug)]
pub struct DevChain {
    child: Child,
    url: String,
}

impl DevChain {
    /// Starts anvil from `binary` on a free port (trying again if another process takes the port first).
    pub async fn start(binary: &Path) -> Result<DevChain, String> {
        if !binary.is_file() {
            return Err(format!(
                "anvil not found at {}: run `scripts/install-deps.sh --test` (or set VARGATE_ANVIL to an anvil binary)",
                binary.display()
            ));
        }
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| format!("no free port: {e}"))?
                .port();
            let child = Command::new(binary)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
            let mut chain = DevChain { child, url: format!("http://127.0.0.1:{port}") };
            if chain.wait_ready().await? {
                return Ok(chain);
            }
        }
        Err("anvil did not start on any of 5 free ports".into())
    }

    /// True once anvil answers `eth_chainId`; false if it exited (its port was taken).
    async fn wait_ready(&mut self) -> Result<bool, String> {
        let provider = self.provider()?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(false);
            }
            if let Ok(id) = provider.get_chain_id().await {
                return if id == CHAIN_ID { Ok(true) } else { Err(format!("anvil serves chain {id}")) };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("anvil at {} did not answer eth_chainId within 15 s", self.url))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn provider(&self) -> Result<RootProvider, String> {
        Ok(RootProvider::new_http(self.url.parse().map_err(|e| format!("{e}"))?))
    }

    /// A raw JSON-RPC call (e.g. `evm_mine`, `anvil_setBalance`).
    pub async fn rpc(&self, method: &'static str, params: serde_json::Value) -> Result<serde_json::Value, String> {
        self.provider()?.raw_request(method.into(), params).await.map_err(|e| format!("{method}: {e}"))
    }

    /// Gives `address` 100 ETH of test money.
    pub async fn fund(&self, address: &str) -> Result<(), String> {
        self.rpc("anvil_setBalance", serde_json::json!([address, "0x56BC75E2D63100000"])).await.map(|_| ())
    }
}

impl Drop for DevChain {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where anvil is: `VARGATE_ANVIL`, else `tests/evm/node_modules` under the repository root `repo`.
pub fn anvil_binary(repo: &Path) -> PathBuf {
    if let Some(path) = std::env::var_os("VARGATE_ANVIL") {
        return PathBuf::from(path);
    }
    // npm's per-platform package names: anvil-{linux,darwin,win32}-{amd64,arm64}.
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        "windows" => "win32",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    repo.join(format!("tests/evm/node_modules/@foundry-rs/anvil-{os}-{arch}/bin/anvil"))
}
