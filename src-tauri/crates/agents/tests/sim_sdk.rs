//! The official Anthropic Python SDK (`anthropic` 2.10.0) drives the simulator through every endpoint we serve
//! and validates every answer strictly against its own models (`tests/sdk/drive_simulator.py`).
//! `scripts/test` installs the SDK in a venv and sets VARGATE_SDK_PYTHON; under CI a missing SDK is a failure.

use std::process::Command;
use vargate_agents::sim::{SimConfig, Simulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_sdk_drives_the_simulator() {
    let python = match std::env::var("VARGATE_SDK_PYTHON") {
        Ok(p) if std::path::Path::new(&p).exists() => p,
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI must run the SDK conformance test: set VARGATE_SDK_PYTHON")
        }
        _ => {
            eprintln!("skipped: set VARGATE_SDK_PYTHON to a python with anthropic==2.10.0 (scripts/test does)");
            return;
        }
    };
    let sim = Simulator::start("127.0.0.1:0".parse().unwrap(), SimConfig::default()).await.unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tests/sdk/drive_simulator.py");
    let base_url = sim.base_url();
    let out = tokio::task::spawn_blocking(move || Command::new(python).arg(script).arg(base_url).output().unwrap())
        .await
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{text}");
    assert!(text.contains("PASSED") && !text.contains("[FAIL]"), "{text}");
    sim.shutdown().await;
}
