//! Logs written by earlier versions open, upgrade in place and keep working. Both fixtures were written by
//! `write_fixture` below: `fixtures/v4-log` at commit ef1eb81 (migrations 0001–0004: TEXT session ids in
//! `records`, the `records_by_session` index, `session_heads` keyed by name), `fixtures/v6-log` at commit
//! 622963f (migrations 0001–0006: interned sessions, `session_heads` with each head's leaf hash).

mod common;

use common::record;
use vargate_proof::{NoteVerifier, verify_proof_file};
use vargate_store::{Store, TimelineFilter};

/// The fixture's sessions per tenant, with their lengths: interleaved, uneven, the same name in two logs; acme
/// also has two anchor records.
const SESSIONS: [(&str, &str, u64); 5] = [
    ("acme", "sess-a", 120),
    ("acme", "sess-b", 45),
    ("acme", "sess-c", 1),
    ("globex", "sess-a", 30),
    ("globex", "sess-z", 12),
];

/// Writes the fixture log into `VARGATE_WRITE_FIXTURE` (a directory). Run by hand, once, with the version the
/// fixture stands for: `VARGATE_WRITE_FIXTURE=tests/fixtures/v6-log cargo test -p vargate-store --test upgrade
/// -- --ignored write_fixture`.
#[tokio::test]
#[ignore = "writes a fixture; run by hand"]
async fn write_fixture() {
    let dir = std::path::PathBuf::from(std::env::var("VARGATE_WRITE_FIXTURE").expect("VARGATE_WRITE_FIXTURE"));
    std::fs::create_dir_all(&dir).unwrap();
    let store = common::open(&dir).await;
    let mut written = std::collections::HashMap::<(&str, &str), u64>::new();
    let mut round = 0u64;
    loop {
        let mut progressed = false;
        for (tenant, session, length) in SESSIONS {
            let n = written.entry((tenant, session)).or_default();
            if *n < length {
                store.append(tenant, record(session, round)).await.unwrap();
                *n += 1;
                progressed = true;
            }
        }
        if round == 20 || round == 70 {
            let cp = store.checkpoint("acme").await.unwrap();
            store
                .record_anchor("acme", &cp.note, serde_json::json!({ "tx": round }), "2026-11-25T10:00:00Z")
                .await
                .unwrap();
            store.checkpoint("globex").await.unwrap();
        }
        if !progressed {
            break;
        }
        round += 1;
    }
    store.checkpoint("acme").await.unwrap();
    store.close().await;
    // The fixture is one self-contained file: fold the WAL into it.
    let mut conn = sqlx::ConnectOptions::connect(&vargate_store::connect_options(&dir.join("log.db"))).await.unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut conn).await.unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    for extra in ["log.db-wal", "log.db-shm"] {
        let _ = std::fs::remove_file(dir.join(extra));
    }
}

/// Every record of `session` by timeline pages of `page`, as (seq, index).
async fn pages(store: &Store, tenant: &str, session: &str, page: u32) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    loop {
        let filter = TimelineFilter { after_seq: out.last().map(|(s, _)| *s), limit: page, ..Default::default() };
        let got = store.timeline(tenant, session, &filter).await.unwrap();
        if got.is_empty() {
            return out;
        }
        out.extend(got.iter().map(|e| (e.record.seq, e.index)));
    }
}

async fn proves(store: &Store, tenant: &str, session: &str, length: usize) {
    let file = store.session_proof(tenant, session).await.unwrap();
    assert_eq!(file.entries.len(), length, "{tenant}/{session}");
    let key = NoteVerifier::parse(&store.log(tenant).await.unwrap().vkey).unwrap();
    let verdict = verify_proof_file(&serde_json::to_vec(&file).unwrap(), Some(&key)).unwrap();
    assert!(verdict.passed() && verdict.origin_verified, "{tenant}/{session}: {verdict:#?}");
}

/// A log of version 4 (`fixtures/v4-log`) is upgraded in place: interned sessions, `prev_idx` and the session
/// index are built from its records; its checkpoints, chains and proofs still verify; appends continue the
/// old chains, also across a restart and across index runs.
#[tokio::test]
async fn a_log_of_version_4_is_upgraded_in_place() {
    upgrades_in_place("v4-log").await;
}

/// A log of version 6 (`fixtures/v6-log`: session heads with their leaf hashes) is upgraded in place: the
/// writer now takes each head's hash from its record, and the chains continue unbroken.
#[tokio::test]
async fn a_log_of_version_6_is_upgraded_in_place() {
    upgrades_in_place("v6-log").await;
}

/// The same checks for every fixture (all were written by `write_fixture`).
async fn upgrades_in_place(fixture: &str) {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(fixture);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture.join("log.db"), dir.path().join("log.db")).unwrap();
    let store = common::open(dir.path()).await;
    let acme = store.check_integrity("acme").await.unwrap();
    assert_eq!((acme.size, acme.sessions, acme.checkpoints), (168, 4, 3));
    let globex = store.check_integrity("globex").await.unwrap();
    assert_eq!((globex.size, globex.sessions, globex.checkpoints), (42, 2, 2));
    let mut lengths: Vec<(String, u64)> = store.sessions("acme").await.unwrap();
    lengths.sort();
    let want = [("sess-a", 120), ("sess-b", 45), ("sess-c", 1), ("vargate:anchor", 2)];
    assert_eq!(lengths, want.map(|(s, n)| (s.to_owned(), n)));
    for (tenant, session, length) in SESSIONS {
        let chain = pages(&store, tenant, session, 7).await;
        assert_eq!(chain.iter().map(|(s, _)| *s).collect::<Vec<_>>(), (0..length).collect::<Vec<_>>());
        assert!(chain.windows(2).all(|w| w[0].1 < w[1].1));
        proves(&store, tenant, session, length as usize).await;
    }
    let anchors = store.anchors("acme").await.unwrap();
    assert_eq!(anchors.iter().map(|a| a.size).collect::<Vec<_>>(), vec![118, 43]);
    assert_eq!(store.session_facets("acme", "sess-b").await.unwrap().types["agent.tool_use"], 45);

    // Appends continue the chains: sess-a grows past a full run of the index, a new session starts.
    let batch: Vec<_> = (0..1100).map(|i| record(if i % 5 == 0 { "sess-new" } else { "sess-a" }, i)).collect();
    let acks = store.append_batch("acme", batch).await.unwrap();
    assert_eq!((acks[0].index, acks[0].seq, acks[1].seq), (168, 0, 120));
    store.close().await;
    let store = common::open(dir.path()).await;
    let more: Vec<_> = (0..300).map(|i| record("sess-a", i)).collect();
    assert_eq!(store.append_batch("acme", more).await.unwrap()[0].seq, 1000);
    let report = store.check_integrity("acme").await.unwrap();
    assert_eq!((report.size, report.sessions), (168 + 1100 + 300, 5));
    let chain = pages(&store, "acme", "sess-a", 100).await;
    assert_eq!(chain.len(), 1300);
    assert!(chain.iter().enumerate().all(|(i, (s, _))| *s == i as u64));
    proves(&store, "acme", "sess-a", 1300).await;
    proves(&store, "acme", "sess-new", 220).await;
    assert_eq!(store.check_integrity("globex").await.unwrap().size, 42);
}
