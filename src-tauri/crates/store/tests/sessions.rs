//! A session's records read back through the session index and the `prev_idx` walk, against what the appends
//! acknowledged: sessions longer than an index run (1,024 records), uneven batches, restarts in between.

mod common;

use common::{open, record};
use std::collections::HashMap;
use vargate_store::{Store, TimelineFilter};

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Every `(seq, index)` of a session through timeline pages of `page` records, with `filter`'s decisions.
async fn read_all(store: &Store, session: &str, page: u32, decisions: &[&str]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    loop {
        let filter = TimelineFilter {
            after_seq: out.last().map(|(s, _)| *s),
            limit: page,
            decisions: decisions.iter().map(|d| (*d).to_owned()).collect(),
            ..Default::default()
        };
        let got = store.timeline("acme", session, &filter).await.unwrap();
        assert!(got.len() <= page as usize);
        if got.is_empty() {
            return out;
        }
        out.extend(got.iter().map(|e| (e.record.seq, e.index)));
    }
}

#[tokio::test]
async fn session_reads_match_the_appends_across_runs_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    // Per session, the acknowledged leaf indices in seq order, and which of them are denials.
    let mut expected: HashMap<String, Vec<(u64, bool)>> = HashMap::new();
    let (mut n, mut rng) = (0u64, 0x2545_f491_4f6c_dd1d_u64);
    for round in 0..3 {
        let store = open(dir.path()).await;
        for batch in [1usize, 700, 3000, 5, 1500] {
            let recs: Vec<_> = (0..batch)
                .map(|_| {
                    n += 1;
                    let session = match next(&mut rng) % 10 {
                        0..=5 => "hot".to_owned(),
                        6 | 7 => "warm".to_owned(),
                        _ => format!("cold{}", n % 13),
                    };
                    let mut r = record(&session, n);
                    if n.is_multiple_of(7) {
                        r.decision = "deny".into();
                    }
                    r
                })
                .collect();
            let acks = store.append_batch("acme", recs.clone()).await.unwrap();
            for (r, a) in recs.iter().zip(&acks) {
                let chain = expected.entry(r.session_id.clone()).or_default();
                assert_eq!(a.seq, chain.len() as u64, "round {round}: {}", r.session_id);
                chain.push((a.index, r.decision == "deny"));
            }
        }
        for (session, chain) in &expected {
            let want: Vec<(u64, u64)> = chain.iter().enumerate().map(|(s, (i, _))| (s as u64, *i)).collect();
            assert_eq!(read_all(&store, session, 333, &[]).await, want, "round {round}: {session}");
            let denials: Vec<(u64, u64)> = want.iter().copied().filter(|(s, _)| chain[*s as usize].1).collect();
            assert_eq!(read_all(&store, session, 50, &["deny"]).await, denials, "round {round}: {session} denials");
            let proof = store.session_proof("acme", session).await.unwrap();
            assert_eq!(
                proof.entries.iter().map(|e| e.index).collect::<Vec<_>>(),
                chain.iter().map(|c| c.0).collect::<Vec<_>>()
            );
            let facets = store.session_facets("acme", session).await.unwrap();
            assert_eq!(facets.decisions.get("deny").copied().unwrap_or(0), denials.len() as u64);
        }
        // Single pages anywhere: across run boundaries and into the walked tail.
        let hot = &expected["hot"];
        for after in [None, Some(1022), Some(1023), Some(2047), Some(hot.len() as u64 - 2), Some(hot.len() as u64 + 5)]
        {
            let page = TimelineFilter { after_seq: after, limit: 40, ..Default::default() };
            let got: Vec<u64> = store.timeline("acme", "hot", &page).await.unwrap().iter().map(|e| e.index).collect();
            let from = after.map_or(0, |a| a as usize + 1).min(hot.len());
            let want: Vec<u64> = hot[from..(from + 40).min(hot.len())].iter().map(|c| c.0).collect();
            assert_eq!(got, want, "round {round}: after {after:?}");
        }
        store.close().await;
    }
    let store = open(dir.path()).await;
    let report = store.check_integrity("acme").await.unwrap();
    assert_eq!((report.size, report.sessions), (n, expected.len()));
    assert!(expected["hot"].len() > 5000);
}

/// Appends records `range` in batches of 1,000, one in three to session "hot", noting each session's indices.
async fn append(store: &Store, expected: &mut HashMap<String, Vec<u64>>, range: std::ops::Range<u64>) {
    let all: Vec<u64> = range.collect();
    for batch in all.chunks(1000) {
        let session = |i: u64| if i.is_multiple_of(3) { "hot".to_owned() } else { format!("s{}", i % 301) };
        let recs: Vec<_> = batch.iter().map(|&i| record(&session(i), i)).collect();
        for (r, a) in recs.iter().zip(store.append_batch("acme", recs.clone()).await.unwrap()) {
            expected.entry(r.session_id.clone()).or_default().push(a.index);
        }
    }
}

/// Every 2^18 records (4,096 in debug builds, as here) the writer flushes every session's unindexed records
/// into the index; a restart then reads back only what came after the last flush. Sessions read the same
/// across flushes and restarts, and the whole log checks.
#[tokio::test]
async fn the_session_index_flushes_and_restarts_from_the_flush() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = HashMap::new();
    let store = open(dir.path()).await;
    // Flushes after the commits that reach 5,000 and 10,500 records; the restart reads back 5,000..9,500.
    append(&store, &mut expected, 0..9_500).await;
    store.close().await;
    let store = open(dir.path()).await;
    append(&store, &mut expected, 9_500..13_000).await;
    for session in ["hot", "s1", "s300"] {
        let got: Vec<u64> = read_all(&store, session, 1000, &[]).await.iter().map(|(_, i)| *i).collect();
        assert_eq!(got, expected[session], "{session}");
    }
    let report = store.check_integrity("acme").await.unwrap();
    assert_eq!((report.size, report.sessions), (13_000, expected.len()));
}

/// The check recomputes the interned sessions, the `prev_idx` links, the heads and their index counts and the
/// index runs: damage to any of them (done here behind the triggers' back) is found, and a read through a
/// damaged run, or of a session whose records moved, fails instead of showing another record. A head that points at another session's record, or
/// at none, also stops the writer (it takes each head's leaf hash from that record): appends fail, saying so.
#[tokio::test]
async fn the_check_finds_damaged_links_heads_and_index_runs() {
    let damages = [
        "UPDATE records SET prev_idx = NULL WHERE idx = (SELECT idx FROM records WHERE seq = 5 LIMIT 1)",
        "UPDATE records SET session = (SELECT id FROM sessions WHERE name = 'c') WHERE idx = 0",
        "UPDATE session_heads SET indexed = indexed + 1 WHERE indexed > 0",
        "UPDATE session_heads SET idx = (SELECT MAX(idx) FROM records WHERE session = (SELECT id FROM sessions WHERE name = 'c')) \
          WHERE session = (SELECT id FROM sessions WHERE name = 'a')",
        "UPDATE session_heads SET idx = 1000000 WHERE session = (SELECT id FROM sessions WHERE name = 'b')",
        "UPDATE session_index SET idxs = substr(idxs, 6) || substr(idxs, 1, 5) WHERE id = 1",
        "DELETE FROM session_index WHERE id = 1",
    ];
    for damage in damages {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path()).await;
        let recs: Vec<_> = (0..3000).map(|i| record(["a", "a", "a", "b", "b", "c"][i % 6], i as u64)).collect();
        store.append_batch("acme", recs).await.unwrap();
        store.check_integrity("acme").await.unwrap();
        store.close().await;
        let url = format!("sqlite://{}", dir.path().join("log.db").display());
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
        for drop in [
            "DROP TRIGGER records_append_only_update",
            "DROP TRIGGER session_index_append_only_update",
            "DROP TRIGGER session_index_append_only_delete",
        ] {
            sqlx::query(drop).execute(&mut conn).await.unwrap();
        }
        sqlx::query(damage).execute(&mut conn).await.unwrap();
        sqlx::Connection::close(conn).await.unwrap();
        let store = open(dir.path()).await;
        let err = match store.check_integrity("acme").await {
            Err(e) => e,
            Ok(report) => panic!("{damage}: not found ({report:?})"),
        };
        assert!(matches!(err, vargate_store::StoreError::Corrupt(_)), "{damage}: {err}");
        if damage.contains("session_index") {
            assert!(store.timeline("acme", "a", &TimelineFilter::default()).await.is_err(), "{damage}");
        }
        if damage.contains("session_index") || damage.starts_with("UPDATE records SET session") {
            // A whole session's read (proofs, packs) scans a dense session's records by range: it fails too.
            let err = store.session_proof("acme", "a").await.expect_err(damage);
            assert!(matches!(err, vargate_store::StoreError::Corrupt(_)), "{damage}: {err}");
        }
        if damage.starts_with("UPDATE session_heads SET idx =") {
            let err = match store.append("acme", record("a", 0)).await {
                Err(e) => e.to_string(),
                Ok(a) => panic!("{damage}: appended {a:?}"),
            };
            assert!(err.contains("its head, leaf"), "{damage}: {err}");
        }
    }
}

/// Two writers on one file, each appending to its own log (as two processes may): sessions are interned
/// inside each append's transaction, so their ids never collide.
#[tokio::test]
async fn two_writers_of_different_logs_intern_sessions_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (open(dir.path()).await, open(dir.path()).await);
    for i in 0..40u64 {
        let session = format!("s{i}");
        let (a, b) = tokio::join!(one.append("acme", record(&session, i)), two.append("globex", record(&session, i)));
        assert_eq!((a.unwrap().seq, b.unwrap().seq), (0, 0));
    }
    for (store, tenant) in [(&one, "acme"), (&two, "globex")] {
        assert_eq!(store.check_integrity(tenant).await.unwrap().sessions, 40);
        assert_eq!(store.timeline(tenant, "s7", &TimelineFilter::default()).await.unwrap().len(), 1);
    }
}
