//! Run-time fault state: how many upcoming requests fail and how, plus the stream and delay settings,
//! adjustable while the simulator runs so a test can break things at the moment it wants.

use std::time::Duration;

use axum::http::StatusCode;

use super::config::{Failure, Faults};
use super::error::SimError;

#[derive(Debug, Default)]
pub struct FaultState {
    pub drop_stream_after: Option<usize>,
    pub event_delay: Duration,
    pending: Option<(usize, Failure)>,
}

impl FaultState {
    pub fn new(f: &Faults) -> Self {
        Self { drop_stream_after: f.drop_stream_after, event_delay: f.event_delay, pending: f.fail_next }
    }

    pub fn fail_next(&mut self, count: usize, failure: Failure) {
        self.pending = (count > 0).then_some((count, failure));
    }

    /// The error to answer this request with, if a failure is pending (and counts it down).
    pub fn take(&mut self) -> Option<SimError> {
        let (left, failure) = self.pending?;
        self.pending = (left > 1).then_some((left - 1, failure));
        Some(match failure {
            Failure::RateLimited { retry_after_secs } => SimError {
                retry_after: Some(retry_after_secs),
                ..SimError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", "Simulated rate limit")
            },
            Failure::Internal => {
                SimError::new(StatusCode::INTERNAL_SERVER_ERROR, "api_error", "Simulated internal server error")
            }
        })
    }
}
