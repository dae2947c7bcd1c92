//! Ids with the API's documented prefixes (`agent_`, `env_`, `sesn_`, `sevt_`, `req_`) and RFC 3339 timestamps,
//! so that everything the simulator emits looks like what the real service emits.

use rand::Rng;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghijkmnopqrstuvwxyz";

/// A fresh id: `prefix` + `_01` + 24 random base-57 characters (the shape of the service's ids).
pub fn new_id(prefix: &str) -> String {
    let mut rng = rand::thread_rng();
    let tail: String = (0..24).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect();
    format!("{prefix}_01{tail}")
}

/// The current time as RFC 3339 (UTC, `Z`, microsecond precision so that ordering by string works).
pub fn now_rfc3339() -> String {
    let now = OffsetDateTime::now_utc();
    let trimmed = now.replace_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now);
    trimmed.format(&Rfc3339).unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// Parses an RFC 3339 timestamp (as the SDK sends it in `created_at[gte]` and friends).
pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}
