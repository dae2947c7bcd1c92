//! The audit log end to end on a real SQLite file: appends, chains, proofs, checkpoints, append-only.

mod common;

use common::{open, record};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use vargate_proof::merkle::{self, MemoryTree};
use vargate_proof::{NoteVerifier, verify_proof_file};
use vargate_store::{PreparedBatch, StoreError};

#[tokio::test]
async fn appends_chain_per_session_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let a0 = store.append("acme", record("s1", 0)).await.unwrap();
    let b0 = store.append("acme", record("s2", 0)).await.unwrap();
    let a1 = store.append("acme", record("s1", 1)).await.unwrap();
    assert_eq!((a0.index, a0.seq, b0.index, b0.seq, a1.index, a1.seq), (0, 0, 1, 0, 2, 1));
    let cp = store.checkpoint("acme").await.unwrap();
    assert_eq!(cp.size, 3);
    store.close().await;

    let store = open(dir.path()).await;
    let a2 = store.append("acme", record("s1", 2)).await.unwrap();
    assert_eq!((a2.index, a2.seq), (3, 2));
    let report = store.check_integrity("acme").await.unwrap();
    assert_eq!((report.size, report.sessions, report.checkpoints), (4, 2, 1));
    // Another tenant is another log, starting at index 0.
    assert_eq!(store.append("globex", record("s1", 0)).await.unwrap().index, 0);
    assert_ne!(store.log("acme").await.unwrap().origin, store.log("globex").await.unwrap().origin);
}

#[tokio::test]
async fn session_proof_verifies_and_pins_to_the_log_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    for i in 0..50 {
        store.append("acme", record(if i % 3 == 0 { "target" } else { "other" }, i)).await.unwrap();
    }
    let file = store.session_proof("acme", "target").await.unwrap();
    assert_eq!(file.entries.len(), 17);
    let bytes = serde_json::to_vec(&file).unwrap();
    let key = NoteVerifier::parse(&store.log("acme").await.unwrap().vkey).unwrap();
    let verdict = verify_proof_file(&bytes, Some(&key)).unwrap();
    assert!(verdict.passed(), "{verdict:#?}");
    let other = vargate_proof::NoteSigner::from_seed(&key.name, [1u8; 32]).unwrap();
    assert!(!verify_proof_file(&bytes, Some(other.verifier())).unwrap().passed());
    assert!(matches!(store.session_proof("acme", "nope").await, Err(StoreError::UnknownSession { .. })));
}

#[tokio::test]
async fn rows_cannot_be_updated_or_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    store.append("acme", record("s", 0)).await.unwrap();
    store.checkpoint("acme").await.unwrap();
    store.close().await;
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite://{}",
        dir.path().join("log.db").display()
    ))
    .await
    .unwrap();
    for sql in [
        "UPDATE records SET leaf = x'00'",
        "DELETE FROM records",
        "UPDATE checkpoints SET size = 9",
        "DELETE FROM checkpoints",
        "DELETE FROM logs",
        "UPDATE logs SET vkey = 'x'",
    ] {
        let err = sqlx::query(sql).execute(&mut conn).await.unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}

#[tokio::test]
async fn concurrent_appenders_share_commits_and_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut tasks = Vec::new();
    for t in 0..32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut acks = Vec::new();
            for i in 0..50 {
                acks.push(store.append("acme", record(&format!("s{t}"), i)).await.unwrap());
            }
            acks
        }));
    }
    let mut indices = Vec::new();
    for (t, task) in tasks.into_iter().enumerate() {
        let acks = task.await.unwrap();
        assert_eq!(acks.iter().map(|a| a.seq).collect::<Vec<_>>(), (0..50).collect::<Vec<_>>(), "session s{t}");
        indices.extend(acks.iter().map(|a| a.index));
    }
    indices.sort_unstable();
    assert_eq!(indices, (0..1600).collect::<Vec<_>>());
    assert_eq!(store.check_integrity("acme").await.unwrap().size, 1600);
}

#[tokio::test]
async fn bad_records_and_tenants_are_refused_without_side_effects() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    assert!(matches!(store.append("bad tenant", record("s", 0)).await, Err(StoreError::InvalidTenant(_))));
    let mut bad = record("s", 1);
    bad.ts = "yesterday".into();
    let batch = vec![record("s", 0), bad];
    assert!(matches!(store.append_batch("acme", batch).await, Err(StoreError::InvalidRecord(_))));
    // Nothing was written: not even the tenant's log was created.
    assert!(matches!(store.size("acme").await, Err(StoreError::UnknownTenant(_))));
    let ok = store.append("acme", record("s", 0)).await.unwrap();
    assert_eq!((ok.index, ok.seq), (0, 0));
    assert!(matches!(store.inclusion_proof("acme", 0, 5).await, Err(StoreError::BeyondLog { requested: 5, size: 1 })));
}

/// Batches prepared beforehand and joined land as one append, in order; batches of two tenants never join.
#[tokio::test]
async fn prepared_batches_join_and_append_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut batch = PreparedBatch::new("acme", vec![record("s", 0), record("s", 1)]).unwrap();
    batch.extend(PreparedBatch::new("acme", vec![record("t", 2)]).unwrap()).unwrap();
    let other = PreparedBatch::new("globex", vec![record("s", 0)]).unwrap();
    assert!(matches!(batch.extend(other), Err(StoreError::InvalidRecord(_))));
    assert!(matches!(PreparedBatch::new("bad tenant", vec![]), Err(StoreError::InvalidTenant(_))));
    let appended = store.append_prepared(batch).await.unwrap();
    let places: Vec<(u64, u64)> = appended.iter().map(|a| (a.index, a.seq)).collect();
    assert_eq!(places, [(0, 0), (1, 1), (2, 0)]);
    assert_eq!(store.check_integrity("acme").await.unwrap().size, 3);
    assert!(store.append_prepared(PreparedBatch::new("acme", vec![]).unwrap()).await.unwrap().is_empty());
}

/// A batch filled record by record from references appends the very leaves a batch of owned records does, and
/// refuses what `new` refuses.
#[tokio::test]
async fn batches_pushed_by_reference_append_the_same_leaves() {
    let records = vec![record("s", 0), record("t", 1), record("s", 2)];
    let mut hashes = Vec::new();
    for by_reference in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path()).await;
        let batch = if by_reference {
            let mut batch = PreparedBatch::with_capacity("acme", records.len()).unwrap();
            for r in &records {
                batch.push(r.as_ref()).unwrap();
            }
            batch
        } else {
            PreparedBatch::new("acme", records.clone()).unwrap()
        };
        let appended = store.append_prepared(batch).await.unwrap();
        hashes.push(appended.iter().map(|a| a.leaf_hash).collect::<Vec<_>>());
    }
    assert_eq!(hashes[0], hashes[1]);
    assert_eq!(hashes[0].len(), 3);

    let mut batch = PreparedBatch::with_capacity("acme", 1).unwrap();
    let mut bad = record("s", 0);
    bad.ts = "yesterday".into();
    assert!(matches!(batch.push(bad.as_ref()), Err(StoreError::InvalidRecord(_))));
    assert!(batch.is_empty(), "a refused record is not in the batch");
    assert!(matches!(PreparedBatch::with_capacity("bad tenant", 1), Err(StoreError::InvalidTenant(_))));
}

/// Every proof the store hands out verifies, for random tree sizes, indices and pairs of sizes.
#[test]
fn stored_proofs_verify_for_random_sizes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, tree) = rt.block_on(async {
        let store = open(dir.path()).await;
        let mut hashes = Vec::new();
        let mut n = 0u64;
        // Uneven batch sizes so that subtrees complete inside and across commits.
        for batch in [1usize, 2, 5, 13, 64, 255, 256, 1000, 700, 1] {
            let recs = (0..batch)
                .map(|_| {
                    n += 1;
                    record(&format!("s{}", n % 7), n)
                })
                .collect();
            hashes.extend(store.append_batch("acme", recs).await.unwrap().iter().map(|a| a.leaf_hash));
        }
        (store, MemoryTree::new(hashes))
    });
    let n = tree.size();
    let mut runner = TestRunner::new(Config { cases: 300, ..Config::default() });
    runner
        .run(&(1..=n, any::<u64>(), 0..=n), |(size, seed, other)| {
            let index = seed % size;
            let (size1, size2) = (other.min(size), other.max(size));
            rt.block_on(async {
                let root = tree.root_at(size).unwrap();
                prop_assert_eq!(store.root_at("acme", size).await.unwrap(), root);
                let proof = store.inclusion_proof("acme", index, size).await.unwrap();
                prop_assert!(
                    merkle::verify_inclusion(index, size, &tree.range_hash(index..index + 1).unwrap(), &proof, &root)
                        .is_ok()
                );
                let proof = store.consistency_proof("acme", size1, size2).await.unwrap();
                let (r1, r2) = (tree.root_at(size1).unwrap(), tree.root_at(size2).unwrap());
                prop_assert!(merkle::verify_consistency(size1, size2, &proof, &r1, &r2).is_ok());
                Ok(())
            })
        })
        .unwrap();
}

/// The store's proofs (from stored subtree hashes) and the in-memory builder (from the leaves alone) are two
/// independent implementations; they must produce the same file byte for byte: for sessions with a record in
/// every five (their proofs' runs are read in merged spans), one in 97 (runs far apart) and one in two.
#[tokio::test]
async fn stored_and_in_memory_proof_files_agree() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    let mut n = 0u64;
    for batch in [1usize, 30, 7, 200, 19, 1500, 900] {
        let recs = (0..batch)
            .map(|i| {
                n += 1;
                let session = match n {
                    n if n % 97 == 0 => "rare".to_owned(),
                    n if n > 1000 && n % 2 == 0 => "busy".to_owned(),
                    _ => format!("s{}", i % 5),
                };
                record(&session, i as u64)
            })
            .collect();
        store.append_batch("acme", recs).await.unwrap();
    }
    let size = store.size("acme").await.unwrap();
    let mut leaves = Vec::new();
    for i in 0..size {
        leaves.push(store.leaf("acme", i).await.unwrap().unwrap());
    }
    let origin = store.log("acme").await.unwrap().origin;
    let signer = vargate_proof::NoteSigner::from_seed(&origin, [42u8; 32]).unwrap();
    for session in ["s0", "s3", "rare", "busy"] {
        let stored = store.session_proof("acme", session).await.unwrap();
        let in_memory = vargate_proof::session_proof::build_from_leaves(&leaves, "acme", session, &signer).unwrap();
        assert_eq!(stored, in_memory, "{session}");
    }
}

#[tokio::test]
async fn timeline_filters_and_pages_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    for i in 0..30u64 {
        let mut r = record(if i % 2 == 0 { "a" } else { "b" }, i);
        if i % 3 == 0 {
            r.kind = "vargate.decision".into();
            r.decision = "deny".into();
        }
        store.append("acme", r).await.unwrap();
    }
    let all = store.timeline("acme", "a", &vargate_store::TimelineFilter::default()).await.unwrap();
    assert_eq!(all.len(), 15);
    assert!(all.windows(2).all(|w| w[0].record.seq + 1 == w[1].record.seq && w[0].index < w[1].index));
    let page = vargate_store::TimelineFilter { after_seq: Some(4), limit: 3, ..Default::default() };
    let got: Vec<u64> = store.timeline("acme", "a", &page).await.unwrap().iter().map(|e| e.record.seq).collect();
    assert_eq!(got, vec![5, 6, 7]);
    let denies = vargate_store::TimelineFilter { decisions: vec!["deny".into()], ..Default::default() };
    let got = store.timeline("acme", "a", &denies).await.unwrap();
    assert_eq!(got.len(), 5);
    assert!(got.iter().all(|e| e.record.kind == "vargate.decision"));
    let by_type = vargate_store::TimelineFilter { types: vec!["agent.tool_use".into()], ..Default::default() };
    assert_eq!(store.timeline("acme", "a", &by_type).await.unwrap().len(), 10);
    assert!(store.timeline("acme", "nobody", &vargate_store::TimelineFilter::default()).await.unwrap().is_empty());
    assert_eq!(store.sessions("acme").await.unwrap(), vec![("b".to_owned(), 15), ("a".to_owned(), 15)]);
}

#[tokio::test]
async fn checkpoints_commit_to_every_sessions_head_and_the_check_recomputes_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    for i in 0..40 {
        store.append("acme", record(&format!("s{}", i % 7), i)).await.unwrap();
        if i % 9 == 0 {
            store.checkpoint("acme").await.unwrap();
        }
    }
    let (cp, head) = store.checkpoint_with_head("acme", Some("s3")).await.unwrap();
    let head = head.unwrap();
    assert_eq!(head.length, 6);
    vargate_proof::heads::verify(&cp.heads_root.unwrap(), "s3", head.length, &head.head, &head.proof).unwrap();
    // A checkpoint of an unchanged log is the same checkpoint, heads included.
    assert_eq!(store.checkpoint("acme").await.unwrap(), cp);
    assert!(matches!(store.checkpoint_with_head("acme", Some("s99")).await, Err(StoreError::UnknownSession { .. })));
    let report = store.check_integrity("acme").await.unwrap();
    assert_eq!((report.sessions, report.checkpoints), (7, 6));
    // Sessions are listed from their heads, most recently active first.
    let sessions = store.sessions("acme").await.unwrap();
    assert_eq!(sessions.first(), Some(&("s4".to_owned(), 6)));
    assert_eq!(sessions.len(), 7);
}

#[tokio::test]
async fn only_appends_create_a_log() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    assert!(matches!(store.checkpoint("nobody").await, Err(StoreError::UnknownTenant(_))));
    assert!(matches!(store.session_proof("nobody", "s").await, Err(StoreError::UnknownTenant(_))));
    assert!(store.logs().await.unwrap().is_empty());
    assert!(matches!(store.checkpoint("").await, Err(StoreError::InvalidTenant(_))));
}

/// A log written by the previous version (before session heads; `tests/fixtures/v1-log`, made by that
/// version's `vargate log import` and `vargate checkpoint`) is upgraded in place: its checkpoints and proofs
/// still verify, the heads are rebuilt, and new checkpoints commit to them.
#[tokio::test]
async fn a_log_of_the_previous_version_is_upgraded_in_place() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1-log");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture.join("vargate.db"), dir.path().join("vargate.db")).unwrap();
    let keys = vargate_store::Keychain::open(vargate_store::KeystoreKind::InsecureFile(fixture.join("keys"))).unwrap();
    let store = vargate_store::Store::open(
        &dir.path().join("vargate.db"),
        std::sync::Arc::new(keys),
        vargate_store::StoreOptions::default(),
    )
    .await
    .unwrap();
    let before = store.latest_checkpoint("acme").await.unwrap().unwrap();
    assert!(before.heads_root.is_none(), "the old checkpoint has no heads");
    let report = store.check_integrity("acme").await.unwrap();
    assert_eq!((report.size, report.sessions, report.checkpoints), (60, 4, 2));
    // The first proof after the upgrade signs a new checkpoint of the same size, with heads.
    let file = store.session_proof("acme", "sess-1").await.unwrap();
    let key = NoteVerifier::parse(&store.log("acme").await.unwrap().vkey).unwrap();
    let verdict = verify_proof_file(&serde_json::to_vec(&file).unwrap(), Some(&key)).unwrap();
    assert!(verdict.passed() && verdict.origin_verified, "{verdict:#?}");
    let after = store.latest_checkpoint("acme").await.unwrap().unwrap();
    assert_eq!((after.size, after.root), (before.size, before.root));
    assert!(after.heads_root.is_some());
    // Appends continue the old chains.
    let next = store.append("acme", record("sess-1", 99)).await.unwrap();
    assert_eq!((next.index, next.seq), (60, 15));
    assert_eq!(store.check_integrity("acme").await.unwrap().checkpoints, 3);
}
