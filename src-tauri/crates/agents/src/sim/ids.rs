//! Ids with the API's documented prefixes (`agent_`, `env_`, `sesn_`, `sevt_`, `req_`) and RFC 3339 timestamps,
//! so that everything the simulator emits looks like what the real service emits.

use rand::Rng;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghijkmnopqrstuvwxyz";

/// A fresh id: `prefix` + `_01` + 24 random base-57 characters (the shape of the service's ids).
pub fn new_id(prefix: &str) -> String {
    // Every simulated event takes an id: eight digits from each 64-bit draw (57^8 is 2^46.7, so the skew from
    // the remainder is under 10^-5, invisible in a simulator's ids), written into one buffer; a draw per digit
    // and collected chars cost 7% of the simulator's CPU.
    let radix = ALPHABET.len() as u64;
    let mut rng = rand::thread_rng();
    let mut id = String::with_capacity(prefix.len() + 27);
    id.push_str(prefix);
    id.push_str("_01");
    for _ in 0..3 {
        let mut draw: u64 = rng.r#gen();
        for _ in 0..8 {
            id.push(char::from(ALPHABET[(draw % radix) as usize]));
            draw /= radix;
        }
    }
    id
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

#[cfg(test)]
mod tests {
    #[test]
    fn ids_have_the_services_shape_and_do_not_repeat() {
        let ids: Vec<String> = (0..2000).map(|_| super::new_id("sevt")).collect();
        for id in &ids {
            let tail = id.strip_prefix("sevt_01").unwrap();
            assert_eq!(tail.len(), 24, "{id}");
            assert!(tail.bytes().all(|c| super::ALPHABET.contains(&c)), "{id}");
        }
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        // Every character of the alphabet turns up (2000 ids hold 48,000 digits).
        let used: std::collections::HashSet<u8> = ids.iter().flat_map(|id| id.bytes().skip(7)).collect();
        assert_eq!(used.len(), super::ALPHABET.len());
    }
}
