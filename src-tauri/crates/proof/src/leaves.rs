//! The verifier's work per record, done once per leaf and spread over the machine's cores: decode the base64
//! leaf, hash it (RFC 6962 leaf hash), and read the record's head (canonical form, exact members, version).
//! Each leaf is decoded into a buffer its thread reuses and is dropped afterwards; the later checks (inclusion,
//! chain) need only the small [`LeafFacts`]. Threads are scoped: all have ended when [`read_leaves`] returns.

use crate::merkle::{self, Hash};
use crate::record::RecordHead;
use crate::view::EntryView;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What the checks need of one entry's leaf. `None` in [`read_leaves`]'s result: the leaf is not base64.
#[derive(Debug)]
pub(crate) struct LeafFacts {
    pub hash: Hash,
    /// The record's head, or why the leaf is not a record.
    pub head: Result<HeadFacts, String>,
}

#[derive(Debug)]
pub(crate) struct HeadFacts {
    pub seq: u64,
    pub prev: Prev,
    /// `Some((tenant, session_id))` when the record belongs to another session than the one asked about.
    pub foreign: Option<(String, String)>,
}

/// A record's `prev` member as the chain check compares it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Prev {
    Null,
    /// 64 lowercase hex digits, decoded.
    Hash(Hash),
    /// Anything else: a hash in capitals is another leaf, so it links to nothing.
    Malformed,
}

/// Entries a thread takes at a time. Small enough that threads finish together, large enough that taking
/// the next part costs nothing.
const PART: usize = 256;

/// Reads every entry's leaf, in order, on all cores. `tenant` and `session_id` are the session the file is
/// about. Threads, the caller's included, take parts in turn: one slowed by other work (a pack's archive
/// checks run beside this) simply takes fewer.
pub(crate) fn read_leaves(entries: &[EntryView<'_>], tenant: &str, session_id: &str) -> Vec<Option<LeafFacts>> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let parts: Vec<&[EntryView<'_>]> = entries.chunks(PART).collect();
    if cores < 2 || parts.len() < 4 {
        return read_part(entries, tenant, session_id, &mut Vec::new());
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let (mut done, mut buf) = (Vec::new(), Vec::new());
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(part) = parts.get(index) else { return done };
            done.push((index, read_part(part, tenant, session_id, &mut buf)));
        }
    };
    let mut read: Vec<Option<Vec<Option<LeafFacts>>>> = parts.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..cores.min(parts.len())).map(|_| scope.spawn(work)).collect();
        let mut all = vec![work()];
        // A helper that panicked (it must not: this crate denies panicking constructs) leaves its parts unread,
        // and unread leaves fail verification rather than pass it.
        all.extend(helpers.into_iter().filter_map(|h| h.join().ok()));
        for (index, facts) in all.into_iter().flatten() {
            if let Some(slot) = read.get_mut(index) {
                *slot = Some(facts);
            }
        }
    });
    read.into_iter()
        .zip(&parts)
        .flat_map(|(facts, part)| facts.unwrap_or_else(|| part.iter().map(|_| None).collect()))
        .collect()
}

fn read_part(entries: &[EntryView<'_>], tenant: &str, session_id: &str, buf: &mut Vec<u8>) -> Vec<Option<LeafFacts>> {
    entries
        .iter()
        .map(|entry| {
            buf.clear();
            base64_simd::STANDARD.decode_append(&entry.leaf.0, buf).ok()?;
            Some(LeafFacts { hash: merkle::leaf_hash(buf), head: head_facts(buf, tenant, session_id) })
        })
        .collect()
}

fn head_facts(leaf: &[u8], tenant: &str, session_id: &str) -> Result<HeadFacts, String> {
    let record = RecordHead::from_leaf(leaf).map_err(|e| e.to_string())?;
    let prev = match record.prev.as_deref() {
        None => Prev::Null,
        Some(named) if named.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) => {
            crate::verify::decode_hash(named).map_or(Prev::Malformed, Prev::Hash)
        }
        Some(_) => Prev::Malformed,
    };
    let foreign = (record.tenant != tenant || record.session_id != session_id)
        .then(|| (record.tenant.into_owned(), record.session_id.into_owned()));
    Ok(HeadFacts { seq: record.seq, prev, foreign })
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    /// The vectorised decoder must refuse exactly what the base64 crate's strict decoder refuses: two
    /// spellings of one leaf would be two files that verify alike.
    #[test]
    fn leaf_decoding_is_as_strict_as_the_base64_crate() {
        let mut cases: Vec<String> = [
            "", "QQ==", "QR==", "QQ", "QQ=", "Q===", "QUI=", "QUJ=", "QUJD", "QU JD", "QUJD\n", "QUJD====", "-_-_",
            "Zm9v",
        ]
        .map(String::from)
        .to_vec();
        let text =
            STANDARD.encode("{\"a\":\"ünïcode and more than one block of sixty-four bytes, to reach the SIMD path\"}");
        for i in 0..text.len() {
            for c in [b'A', b'/', b'=', b'*'] {
                let mut b = text.clone().into_bytes();
                b[i] = c;
                cases.push(String::from_utf8(b).unwrap());
            }
        }
        for case in cases {
            let mut ours = Vec::new();
            let simd = base64_simd::STANDARD.decode_append(case.as_bytes(), &mut ours).map(|()| ours);
            assert_eq!(simd.ok(), STANDARD.decode(&case).ok(), "{case:?}");
        }
    }
}
