//! How a simulator instance behaves: keep-alive interval, auth and beta-header strictness, where extra
//! scenarios come from, and the faults to inject (for client resilience tests).

use std::path::PathBuf;
use std::time::Duration;

/// Configuration of one simulator instance. `Default` is what the demo mode uses.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Interval between `event: ping` keep-alives on SSE streams.
    pub ping_interval: Duration,
    /// If set, only this API key is accepted; otherwise any non-empty key is.
    pub api_key: Option<String>,
    /// Reject requests whose `anthropic-beta` list lacks `managed-agents-2026-04-01` (as the API does).
    pub require_beta_header: bool,
    /// A directory of `*.json` scenarios loaded in addition to the bundled ones (same name wins).
    pub scenario_dir: Option<PathBuf>,
    /// The scenario a session runs when neither it nor its agent names one in `metadata.sim_scenario`.
    pub default_scenario: String,
    pub faults: Faults,
    /// Events a session's live broadcast buffers: a stream that falls further behind loses events and is
    /// closed, and the client reconciles from the history, as with the real API.
    pub live_capacity: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(15),
            api_key: None,
            require_beta_header: true,
            scenario_dir: None,
            default_scenario: "default".to_owned(),
            faults: Faults::default(),
            live_capacity: 4096,
        }
    }
}

/// Faults injected from the start; more can be injected at run time through the handle.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Close every SSE stream after this many event frames (pings not counted).
    pub drop_stream_after: Option<usize>,
    /// Delay before each emitted session event.
    pub event_delay: Duration,
    /// Answer the next requests with this failure.
    pub fail_next: Option<(usize, Failure)>,
}

/// A failure answered instead of handling a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 429 `rate_limit_error` with `retry-after: <secs>`.
    RateLimited { retry_after_secs: u64 },
    /// 500 `api_error`.
    Internal,
}
