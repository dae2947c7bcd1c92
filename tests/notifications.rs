//! Desktop notifications for approval requests (`vargate_desktop::notify`), end to end against a real
//! notification server (`tests/notifications/server.py`) on a real, private D-Bus session bus, with a real
//! store and approval queue: deciding from the notification, focusing the app, closing the notification
//! when the request is resolved elsewhere or expires, a server without buttons, a server that never
//! announces closes (no thread may be left waiting), and a notifier that ends with its queue. Needs
//! `dbus-daemon` and python3 with python3-dbus and python3-gi (Debian packages; `VARGATE_TEST_PYTHON` names
//! another interpreter).
//!
//! Why every test runs twice, as itself and then as a child process of itself: notify-rust finds the
//! session bus only through the process environment (`DBUS_SESSION_BUS_ADDRESS`), which is shared by all
//! the test threads of a process, and setting it at run time takes `unsafe` (edition 2024), which this
//! workspace forbids. So each test starts its own bus and server, then runs the same test binary filtered
//! to exactly itself with the variable set for that child alone; the child plays the scenario and the
//! parent checks that it did. Every test thus has a bus of its own and the tests run in parallel.

use serde_json::{Value, json};
use std::fs::File;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vargate_desktop::notify;
use vargate_engine::approvals::{self, ApprovalConfig, Approvals};
use vargate_store::{ApprovalRow, FixedKey, Store, StoreOptions};

/// Set (to the scenario's directory) in the child process that plays a scenario.
const CHILD: &str = "VARGATE_TEST_NOTIFY_CHILD";
/// In every request's details; must never reach the notification server.
const CANARY: &str = "canary-4d1f-never-in-a-notification";
const APPROVER: &str = "dana@example.test";
/// How long anything a scenario waits for may take (the notifier wakes a stuck thread within ~12 s).
const PATIENCE: Duration = Duration::from_secs(30);
/// How long a whole scenario may take before its child process is killed as hung.
const CHILD_PATIENCE: Duration = Duration::from_secs(120);

/// How the notification server behaves.
#[derive(Debug, Clone, Copy, Default)]
struct Server {
    /// The action it invokes on each notification, as a user would ("" for none).
    invoke: &'static str,
    no_actions: bool,
    silent_close: bool,
}

#[test]
fn approve_button_approves() {
    scenario("approve_button_approves", Server { invoke: "approve", ..Server::default() }, |rig| async move {
        rig.open("apr_approve", Duration::from_secs(30)).await;
        let row = rig.resolution("apr_approve").await;
        assert_eq!(row.status, "approved");
        assert_eq!(row.channel.as_deref(), Some("notification"));
        assert_eq!(row.decided_by.as_deref(), Some(APPROVER));
        assert_eq!(row.reason.as_deref(), Some("approved from a desktop notification"));
        let shown = rig.log.shown(1).await.remove(0);
        assert_eq!(shown["summary"], "Approval needed: bash");
        assert_eq!(shown["actions"], json!(["approve", "Approve", "deny", "Deny", "default", "Open in Vargate"]));
        let body = shown["body"].as_str().unwrap();
        assert!(
            body.contains("builder") && body.contains("sesn_011CZkZ…") && body.contains("left to decide"),
            "{body}"
        );
        let log = std::fs::read_to_string(&rig.log.0).unwrap();
        assert!(!log.contains(CANARY) && !log.contains("/etc/"), "details reached the notification server: {log}");
        no_thread_left().await;
    });
}

#[test]
fn deny_button_denies() {
    scenario("deny_button_denies", Server { invoke: "deny", ..Server::default() }, |rig| async move {
        rig.open("apr_deny", Duration::from_secs(30)).await;
        let row = rig.resolution("apr_deny").await;
        assert_eq!(row.status, "denied");
        assert_eq!(row.channel.as_deref(), Some("notification"));
        assert_eq!(row.decided_by.as_deref(), Some(APPROVER));
        assert_eq!(row.reason.as_deref(), Some("denied from a desktop notification"));
        no_thread_left().await;
    });
}

#[test]
fn clicking_the_body_focuses_the_request() {
    scenario(
        "clicking_the_body_focuses_the_request",
        Server { invoke: "default", ..Server::default() },
        |rig| async move {
            rig.open("apr_focus", Duration::from_secs(30)).await;
            let focused = &rig.focused;
            eventually("the focus callback", || async move { focused.lock().unwrap().first().cloned() }).await;
            assert_eq!(*rig.focused.lock().unwrap(), ["apr_focus"]);
            no_thread_left().await;
            assert_eq!(rig.approvals.get("apr_focus").await.unwrap().status, "pending");
        },
    );
}

#[test]
fn resolved_elsewhere_closes_the_notification() {
    scenario("resolved_elsewhere_closes_the_notification", Server::default(), |rig| async move {
        rig.open("apr_elsewhere", Duration::from_secs(30)).await;
        let id = rig.log.shown(1).await[0]["id"].clone();
        rig.approvals.decide("apr_elsewhere", true, "erin", "app", "fine").await.unwrap();
        rig.log.closed(&id).await;
        no_thread_left().await;
        assert_eq!(rig.approvals.get("apr_elsewhere").await.unwrap().decided_by.as_deref(), Some("erin"));
    });
}

#[test]
fn expiry_closes_the_notification_without_deciding() {
    scenario("expiry_closes_the_notification_without_deciding", Server::default(), |rig| async move {
        rig.open("apr_expiry", Duration::from_secs(3)).await;
        let shown = rig.log.shown(1).await.remove(0);
        // The server is also told to drop it at the deadline.
        let timeout = shown["expire_timeout"].as_i64().unwrap();
        assert!((1..=3000).contains(&timeout), "{timeout}");
        rig.log.closed(&shown["id"]).await;
        no_thread_left().await;
        // Deciding on expiry is the holder's timer's job (it denies); the notifier never decides on its own.
        assert_eq!(rig.approvals.get("apr_expiry").await.unwrap().status, "pending");
    });
}

#[test]
fn without_buttons_the_notification_sends_the_user_to_the_app() {
    let server = Server { no_actions: true, invoke: "approve", ..Server::default() };
    scenario("without_buttons_the_notification_sends_the_user_to_the_app", server, |rig| async move {
        rig.open("apr_plain", Duration::from_secs(30)).await;
        let shown = rig.log.shown(1).await.remove(0);
        assert_eq!(shown["actions"], json!([]));
        let body = shown["body"].as_str().unwrap();
        assert!(body.ends_with("Open Vargate Desktop to approve or deny it."), "{body}");
        rig.approvals.decide("apr_plain", false, "erin", "app", "no").await.unwrap();
        rig.log.closed(&shown["id"]).await;
        no_thread_left().await;
    });
}

#[test]
fn a_server_that_never_announces_closes_leaves_no_thread_waiting() {
    let server = Server { silent_close: true, ..Server::default() };
    scenario("a_server_that_never_announces_closes_leaves_no_thread_waiting", server, |rig| async move {
        rig.open("apr_silent", Duration::from_secs(30)).await;
        let id = rig.log.shown(1).await[0]["id"].clone();
        rig.approvals.decide("apr_silent", true, "erin", "app", "fine").await.unwrap();
        rig.log.closed(&id).await;
        no_thread_left().await;
    });
}

#[test]
fn the_notifier_ends_with_its_queue() {
    scenario("the_notifier_ends_with_its_queue", Server::default(), |rig| async move {
        rig.open("apr_replaced", Duration::from_secs(30)).await;
        let id = rig.log.shown(1).await[0]["id"].clone();
        // The app replaces its engine: the old queue goes, and so do its notifier and notifications.
        let Rig { approvals, notifier, log, _store, .. } = rig;
        let weak = Arc::downgrade(&approvals);
        drop(approvals);
        assert!(weak.upgrade().is_none(), "the notifier keeps the queue alive");
        tokio::time::timeout(PATIENCE, notifier).await.expect("the notifier did not end").unwrap();
        log.closed(&id).await;
        no_thread_left().await;
    });
}

/// Runs `play` in a child process of this test binary whose session bus is a private one with the test
/// notification server on it (see the module documentation). `test` must be the calling test's name.
fn scenario<F, Fut>(test: &str, server: Server, play: F)
where
    F: FnOnce(Rig) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(dir) = std::env::var_os(CHILD) {
        let dir = PathBuf::from(dir);
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let played = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async { play(Rig::new(&dir).await).await });
        }));
        // Not a plain drop, which waits for every blocking thread: one the notifier failed to release
        // would hang the child instead of failing it.
        runtime.shutdown_background();
        if let Err(panic) = played {
            std::panic::resume_unwind(panic);
        }
        std::fs::write(dir.join("child-finished"), test).unwrap();
        return;
    }
    let mut services = Services::start(server);
    let dir = services.dir.path();
    let output = File::create(dir.join("child.out")).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, dir)
        .env("DBUS_SESSION_BUS_ADDRESS", &services.address)
        .stdout(output.try_clone().unwrap())
        .stderr(output)
        .spawn()
        .unwrap();
    let status = wait_at_most(&mut child, CHILD_PATIENCE);
    let finished = std::fs::read_to_string(dir.join("child-finished")).unwrap_or_default();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    assert!(
        status.is_some_and(|s| s.success()) && finished == test,
        "the scenario failed, hung or did not run ({status:?}):\n--- output\n{}\n--- server log\n{}\n--- server output\n{}",
        read("child.out"),
        read("notifications.jsonl"),
        read("server.out"),
    );
    let stopped = services.stop();
    assert!(stopped.is_some_and(|s| s.success()), "the server did not exit cleanly on SIGTERM: {stopped:?}");
}

/// Waits for `child` to exit, for at most `patience`; kills it then. Returns how it exited, if it did.
fn wait_at_most(child: &mut Child, patience: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < patience {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// A private session bus and the test notification server on it; both are stopped on drop.
struct Services {
    dir: tempfile::TempDir,
    address: String,
    daemon_pid: String,
    server: Option<Child>,
}

impl Services {
    fn start(server: Server) -> Services {
        let dir = tempfile::tempdir().unwrap();
        let printed = dir.path().join("dbus-daemon.out");
        let status = Command::new("dbus-daemon")
            .args(["--session", "--fork", "--nopidfile", "--print-address=1", "--print-pid=1"])
            .arg(format!("--address=unix:path={}", dir.path().join("bus").display()))
            .stdout(File::create(&printed).unwrap())
            .status()
            .expect("dbus-daemon (Debian package dbus) is needed");
        assert!(status.success(), "dbus-daemon failed: {status}");
        let printed = std::fs::read_to_string(&printed).unwrap();
        let mut lines = printed.lines();
        let (address, daemon_pid) = (lines.next().unwrap().to_owned(), lines.next().unwrap().to_owned());
        let output = File::create(dir.path().join("server.out")).unwrap();
        let python = std::env::var("VARGATE_TEST_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into());
        let child = Command::new(python)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/notifications/server.py"))
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("VARGATE_TEST_NOTIFY_LOG", dir.path().join("notifications.jsonl"))
            .env("VARGATE_TEST_NOTIFY_INVOKE", server.invoke)
            .env("VARGATE_TEST_NOTIFY_NO_ACTIONS", if server.no_actions { "1" } else { "" })
            .env("VARGATE_TEST_NOTIFY_SILENT_CLOSE", if server.silent_close { "1" } else { "" })
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn();
        // The guard exists before anything can fail, so that the bus is stopped whatever happens.
        let mut services = Services { dir, address, daemon_pid, server: None };
        services.server = Some(child.expect("python3 is needed"));
        services.wait_for_server();
        services
    }

    /// Waits until the server owns its name on the bus.
    fn wait_for_server(&mut self) {
        let mut channel = dbus::channel::Channel::open_private(&self.address).unwrap();
        channel.register().unwrap();
        let bus = dbus::blocking::Connection::from(channel);
        let bus = bus.with_proxy("org.freedesktop.DBus", "/org/freedesktop/DBus", Duration::from_secs(2));
        let start = Instant::now();
        loop {
            let (owned,): (bool,) =
                bus.method_call("org.freedesktop.DBus", "NameHasOwner", ("org.freedesktop.Notifications",)).unwrap();
            if owned {
                return;
            }
            if let Some(status) = self.server.as_mut().and_then(|s| s.try_wait().unwrap()) {
                let output = std::fs::read_to_string(self.dir.path().join("server.out")).unwrap_or_default();
                panic!("the notification server exited ({status}):\n{output}");
            }
            assert!(start.elapsed() < PATIENCE, "the notification server did not take its name");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server with SIGTERM (then SIGKILL if it lingers) and the bus; returns how the server ended.
    fn stop(&mut self) -> Option<ExitStatus> {
        let status = self.server.take().and_then(|mut server| {
            let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
            wait_at_most(&mut server, Duration::from_secs(5))
        });
        if !self.daemon_pid.is_empty() {
            let _ = Command::new("kill").args(["-TERM", &self.daemon_pid]).status();
            self.daemon_pid.clear();
        }
        status
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The child's side: a real store and approval queue, and the notifier under test.
struct Rig {
    approvals: Arc<Approvals>,
    /// The ids the focus callback was given.
    focused: Arc<Mutex<Vec<String>>>,
    notifier: tokio::task::JoinHandle<()>,
    log: Log,
    _store: tempfile::TempDir,
}

impl Rig {
    async fn new(dir: &Path) -> Rig {
        let store_dir = tempfile::tempdir().unwrap();
        let key = Arc::new(FixedKey([1; 32]));
        let store = Store::open(&store_dir.path().join("log.db"), key, StoreOptions::default()).await.unwrap();
        let config = ApprovalConfig { timeout: Duration::from_secs(30), ..ApprovalConfig::default() };
        let approvals = Arc::new(Approvals::new(store, config));
        let focused = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&focused);
        let focus: notify::Focus = Arc::new(move |id| sink.lock().unwrap().push(id));
        let notifier = notify::spawn(Arc::clone(&approvals), APPROVER.to_owned(), focus);
        Rig { approvals, focused, notifier, log: Log(dir.join("notifications.jsonl")), _store: store_dir }
    }

    /// Opens a pending request for `bash` that expires in `expires_in`, with the canary in its details.
    async fn open(&self, id: &str, expires_in: Duration) {
        let row = ApprovalRow {
            id: id.into(),
            tenant: "acme".into(),
            session_id: "sesn_011CZkZnotificationtest".into(),
            tool_use_id: "toolu_1".into(),
            action_id: "act_1".into(),
            agent: "builder".into(),
            tool: "bash".into(),
            details: json!({"params": {"command": format!("cat /etc/{CANARY}")}, "reasons": [CANARY]}),
            requested_at: approvals::deadline(Duration::ZERO),
            expires_at: approvals::deadline(expires_in),
            status: "pending".into(),
            decided_by: None,
            channel: None,
            reason: None,
            decided_at: None,
        };
        self.approvals.open(row).await.unwrap();
    }

    /// Waits until request `id` is resolved, and returns it.
    async fn resolution(&self, id: &str) -> ApprovalRow {
        eventually("the decision", || async move {
            let row = self.approvals.get(id).await.unwrap();
            (row.status != "pending").then_some(row)
        })
        .await
    }
}

/// The notification server's log (one JSON line per call).
struct Log(PathBuf);

impl Log {
    /// The server's log so far, one JSON value per call.
    fn entries(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.0).unwrap_or_default();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// Waits for `n` notifications to have been shown, and returns them.
    async fn shown(&self, n: usize) -> Vec<Value> {
        eventually("the notification", || async move {
            let shown: Vec<Value> = self.entries().into_iter().filter(|e| e.get("summary").is_some()).collect();
            (shown.len() >= n).then_some(shown)
        })
        .await
    }

    /// Waits until notification `id` was closed with CloseNotification.
    async fn closed(&self, id: &Value) {
        eventually(
            "the close",
            || async move { self.entries().iter().any(|e| e.get("closed") == Some(id)).then_some(()) },
        )
        .await;
    }
}

/// Waits until this process has no connection left on the bus: every thread that waited on a
/// notification has returned (each holds its connection until then).
async fn no_thread_left() {
    eventually("the waiting threads to return", || async {
        tokio::task::spawn_blocking(our_connections).await.unwrap().is_empty().then_some(())
    })
    .await;
}

/// Connections of this process on the session bus, other than the one asking.
fn our_connections() -> Vec<String> {
    let connection = dbus::blocking::Connection::new_session().unwrap();
    let own = connection.unique_name().to_string();
    let bus = connection.with_proxy("org.freedesktop.DBus", "/org/freedesktop/DBus", Duration::from_secs(2));
    let (names,): (Vec<String>,) = bus.method_call("org.freedesktop.DBus", "ListNames", ()).unwrap();
    names
        .into_iter()
        .filter(|name| name.starts_with(':') && *name != own)
        .filter(|name| {
            let pid: Result<(u32,), _> =
                bus.method_call("org.freedesktop.DBus", "GetConnectionUnixProcessID", (name.as_str(),));
            matches!(pid, Ok((pid,)) if pid == std::process::id())
        })
        .collect()
}

/// Polls `check` until it returns a value, for at most [`PATIENCE`].
async fn eventually<T, C, Fut>(what: &str, mut check: C) -> T
where
    C: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(start.elapsed() < PATIENCE, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
