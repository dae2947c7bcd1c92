//! A simulator of the Claude Managed Agents API that follows the wire format of
//! `docs/managed-agents-sdk-schema.md` closely enough for the official SDK to drive it: our test bed and the
//! product's demo mode. Everything is in memory; agent behaviour comes from scenarios (`docs/simulator.md`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), vargate_agents::sim::SimStartError> {
//! use vargate_agents::sim::{SimConfig, Simulator};
//! let sim = Simulator::start("127.0.0.1:0".parse().expect("addr"), SimConfig::default()).await?;
//! println!("{}", sim.base_url());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod agent_shape;
mod agents;
mod body;
mod config;
mod emit;
mod environments;
mod error;
mod events_api;
mod faults;
mod ids;
mod query;
mod runner;
mod scenario;
mod server;
mod sessions;
mod state;
mod stream;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

pub use config::{Failure, Faults, SimConfig};
pub use scenario::{Scenario, ScenarioError};

use faults::FaultState;
use state::{Shared, Store};

/// How long `shutdown` waits for in-flight requests before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimStartError {
    #[error("bind {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
}

/// Entry point: `Simulator::start`.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// Binds `addr` (port 0 picks a free port) and serves until the handle is shut down or dropped.
    pub async fn start(addr: SocketAddr, config: SimConfig) -> Result<SimHandle, SimStartError> {
        let scenarios = scenario::load(config.scenario_dir.as_deref())?;
        let listener =
            tokio::net::TcpListener::bind(addr).await.map_err(|source| SimStartError::Bind { addr, source })?;
        let local = listener.local_addr().map_err(|source| SimStartError::Bind { addr, source })?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::default()),
            faults: Mutex::new(FaultState::new(&config.faults)),
            config,
            scenarios: scenarios.into_iter().collect(),
            shutdown: shutdown_rx,
        });
        let app = server::router(shared.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stop_rx.await;
            });
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "simulator server stopped with an error");
            }
        });
        tracing::info!(%local, "managed-agents simulator listening");
        Ok(SimHandle { addr: local, shared, stop: Some(stop_tx), shutdown_tx, task: Some(task) })
    }
}

/// A running simulator. Dropping it stops the server too (without waiting).
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    shutdown_tx: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// `http://ip:port`, to use as the SDK's `base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers the next `count` requests with `failure` (replacing any pending injected failures).
    pub fn fail_next(&self, count: usize, failure: Failure) {
        self.shared.faults().fail_next(count, failure);
    }

    /// Delays each emitted session event by `delay`.
    pub fn set_event_delay(&self, delay: Duration) {
        self.shared.faults().event_delay = delay;
    }

    /// Closes each SSE stream opened from now on after `n` event frames (`None`: never).
    pub fn set_drop_stream_after(&self, n: Option<usize>) {
        self.shared.faults().drop_stream_after = n;
    }

    /// Ends open streams, stops accepting connections and waits (up to a grace period) for requests in flight.
    pub async fn shutdown(mut self) {
        self.signal();
        if let Some(task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, task).await.is_err()
        {
            tracing::warn!("simulator did not stop within the grace period");
        }
    }

    fn signal(&mut self) {
        let _ = self.shutdown_tx.send(true);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.signal();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{AgentParams, Client, ClientConfig, EnvironmentParams, SessionParams};
    use crate::stream::StreamItem;
    use serde_json::json;

    /// A session's live buffer (`live_capacity` slots, allocated whole: about 230 KiB at the default) exists
    /// only while a stream of it is open. Every session holding one for good made the demo app grow by that
    /// much per session.
    #[tokio::test]
    async fn a_session_holds_a_live_buffer_only_while_a_stream_is_open() {
        let sim = Simulator::start(([127, 0, 0, 1], 0).into(), SimConfig::default()).await.unwrap();
        let client = Client::new(ClientConfig::new(sim.base_url(), "key")).unwrap();
        let agent = client
            .create_agent(&AgentParams { name: "a".into(), model: json!("claude-sonnet-4-5"), ..Default::default() })
            .await
            .unwrap();
        let env =
            client.create_environment(&EnvironmentParams { name: "e".into(), ..Default::default() }).await.unwrap();
        let mut ids = Vec::new();
        for _ in 0..3 {
            let params = SessionParams { agent: json!(agent.id), environment_id: env.id.clone(), ..Default::default() };
            ids.push(client.create_session(&params).await.unwrap().id);
        }
        let buffers = || sim.shared.store().sessions.iter().filter(|s| s.live.is_some()).count();
        assert_eq!(buffers(), 0, "no stream is open");

        let mut first = client.open_stream(&ids[0]).await.unwrap();
        let mut again = client.open_stream(&ids[0]).await.unwrap();
        assert_eq!(buffers(), 1, "two streams of one session share its buffer");
        let hello = json!({"type": "user.message", "content": [{"type": "text", "text": "hello"}]});
        client.send_events(&ids[0], &[hello]).await.unwrap();
        for stream in [&mut first, &mut again] {
            let item = stream.next().await.expect("a frame").expect("an event");
            assert!(matches!(item, StreamItem::Event(e) if e.raw["type"] == "user.message"));
        }
        drop(first);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert_eq!(buffers(), 1, "a stream is still open");
        drop(again);
        for _ in 0..100 {
            if buffers() == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(buffers(), 0, "the last stream closed");
        // A stream opened afterwards gets a buffer again, and the events from then on.
        let mut later = client.open_stream(&ids[0]).await.unwrap();
        assert_eq!(buffers(), 1);
        let bye = json!({"type": "user.message", "content": [{"type": "text", "text": "bye"}]});
        client.send_events(&ids[0], &[bye]).await.unwrap();
        loop {
            let Some(Ok(StreamItem::Event(e))) = later.next().await else { panic!("the stream ended early") };
            if e.raw["type"] == "user.message" {
                assert_eq!(e.raw["content"][0]["text"], "bye");
                break;
            }
        }
        drop(later);
        sim.shutdown().await;
    }
}
