//! Retry spacing for the engine's periodic anchoring. This crate makes one attempt per call; the caller
//! decides when to try again, using this schedule.

use std::time::Duration;

/// Delay after the first failure.
pub const BACKOFF_START: Duration = Duration::from_secs(1);
/// Longest delay: a node that is down for hours is retried every five minutes, not less often.
pub const BACKOFF_CAP: Duration = Duration::from_secs(300);

/// How long to wait before retry number `attempt` (0 for the first retry): 1 s, 2 s, 4 s, … doubling up to
/// [`BACKOFF_CAP`] (5 min, reached at attempt 9) and staying there.
///
/// Deliberately without jitter: one desktop app anchors to its own key's nonce sequence, so there is no herd
/// to spread out, and a deterministic schedule is easier to show ("next try in 16 s") and to test.
pub fn backoff(attempt: u32) -> Duration {
    // 2^attempt overflows past 63; checked_shl keeps large attempt counts at the cap instead of wrapping.
    let factor = 1u64.checked_shl(attempt).unwrap_or(u64::MAX);
    let secs = BACKOFF_START.as_secs().saturating_mul(factor);
    Duration::from_secs(secs).min(BACKOFF_CAP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_one_second_to_the_cap() {
        let secs: Vec<u64> = (0..12).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        for attempt in [63, 64, 65, 1000, u32::MAX] {
            assert_eq!(backoff(attempt), BACKOFF_CAP);
        }
    }
}
