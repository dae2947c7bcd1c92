//! One app per user: a second launch hands over to the running one (which comes to the front) and exits,
//! instead of opening a second engine on the same log. Needs a display and a D-Bus session bus (the
//! single-instance plugin meets the first instance there): `scripts/test` runs it inside both; elsewhere it
//! is skipped, except under CI, where a missing display is a failure.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn services() -> bool {
    let present = std::env::var_os("DISPLAY").is_some() && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some();
    if !present && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI must run this test with a display and a session bus (scripts/with-services.sh)");
    }
    present
}

fn app(dir: &std::path::Path, log: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vargate-desktop"));
    cmd.env("VARGATE_DATA_DIR", dir.join("data"))
        .env("VARGATE_EXPORT_DIR", dir.join("exports"))
        .env("VARGATE_KEYSTORE", format!("insecure-file:{}", dir.join("keys").display()))
        .env("VARGATE_LOG", "vargate_desktop=info")
        .env("XDG_DATA_HOME", dir.join("xdg"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(log)).unwrap());
    cmd
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_second_launch_hands_over_to_the_first_and_exits() {
    if !services() {
        eprintln!("skipped: no display or session bus");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut first = Running(app(dir.path(), "first.log").spawn().unwrap());
    let first_log = dir.path().join("first.log");
    wait_for("the first instance's engine", Duration::from_secs(60), || {
        std::fs::read_to_string(&first_log).is_ok_and(|l| l.contains("engine started"))
    });
    let mut second = Running(app(dir.path(), "second.log").spawn().unwrap());
    let mut status = None;
    wait_for("the second instance to exit", Duration::from_secs(30), || {
        status = second.0.try_wait().unwrap();
        status.is_some()
    });
    assert!(status.unwrap().success(), "{}", std::fs::read_to_string(dir.path().join("second.log")).unwrap());
    let second_log = std::fs::read_to_string(dir.path().join("second.log")).unwrap();
    assert!(!second_log.contains("engine started"), "the second instance started an engine: {second_log}");
    assert!(first.0.try_wait().unwrap().is_none(), "the first instance is still running");
}
