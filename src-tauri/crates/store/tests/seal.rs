//! Sealing and crypto-shredding with a real key store (key files here; the Secret Service in keychain.rs):
//! sealed data opens after a restart; a shredded session's data never opens again, its wrapped key is gone
//! from the database file, and every proof still verifies.

mod common;

use common::record;
use std::sync::Arc;
use vargate_proof::{NoteVerifier, verify_proof_file};
use vargate_store::{Keychain, KeystoreKind, Store, StoreError, StoreOptions};

async fn open(dir: &std::path::Path) -> Store {
    let keys = Keychain::open(KeystoreKind::InsecureFile(dir.join("keys"))).unwrap();
    Store::open(&dir.join("log.db"), Arc::new(keys), StoreOptions::default()).await.unwrap()
}

fn db_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(dir.join("log.db")).unwrap();
    bytes.extend(std::fs::read(dir.join("log.db-wal")).unwrap_or_default());
    bytes
}

#[tokio::test]
async fn sealed_data_opens_until_shredded_and_proofs_outlive_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path()).await;
    // Sealing may come first: it creates the log and the keys.
    let s1 = store.seal("acme", "s1", b"card 4111 1111 1111 1111", b"evt_1").await.unwrap();
    let s2 = store.seal("acme", "s2", b"ssn 078-05-1120", b"evt_2").await.unwrap();
    assert_eq!(store.unseal("acme", "s1", &s1, b"evt_1").await.unwrap(), b"card 4111 1111 1111 1111");
    // The context is bound: another aad does not open it.
    assert!(matches!(store.unseal("acme", "s1", &s1, b"evt_9").await, Err(StoreError::Seal(_))));
    for i in 0..10 {
        store.append("acme", record(if i % 2 == 0 { "s1" } else { "s2" }, i)).await.unwrap();
    }
    store.close().await;

    let store = open(dir.path()).await;
    assert_eq!(store.unseal("acme", "s2", &s2, b"evt_2").await.unwrap(), b"ssn 078-05-1120");
    let wrapped: Vec<u8> = {
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
            "sqlite://{}",
            dir.path().join("log.db").display()
        ))
        .await
        .unwrap();
        sqlx::query_scalar("SELECT wrapped FROM session_keys WHERE session_id = 's1'")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    };
    assert!(db_bytes(dir.path()).windows(wrapped.len()).any(|w| w == wrapped));

    let shredded = store.shred("acme", Some("s1")).await.unwrap();
    assert_eq!((shredded.session_keys, shredded.data_key), (1, false));
    assert!(matches!(store.unseal("acme", "s1", &s1, b"evt_1").await, Err(StoreError::Shredded { .. })));
    assert_eq!(store.unseal("acme", "s2", &s2, b"evt_2").await.unwrap(), b"ssn 078-05-1120");
    assert!(!db_bytes(dir.path()).windows(wrapped.len()).any(|w| w == wrapped), "the wrapped key is still in the file");

    // Every record and proof is untouched.
    let key = NoteVerifier::parse(&store.log("acme").await.unwrap().vkey).unwrap();
    let proof = store.session_proof("acme", "s1").await.unwrap();
    assert!(verify_proof_file(&serde_json::to_vec(&proof).unwrap(), Some(&key)).unwrap().passed());
    assert_eq!(store.check_integrity("acme").await.unwrap().size, 10);

    // Shredding the tenant destroys its data key: nothing sealed before opens, new data gets new keys.
    let shredded = store.shred("acme", None).await.unwrap();
    assert!(shredded.data_key);
    assert!(
        !dir.path().join("keys").read_dir().unwrap().any(|e| e
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "dkey"))
    );
    assert!(matches!(store.unseal("acme", "s2", &s2, b"evt_2").await, Err(StoreError::Shredded { .. })));
    store.close().await;
    let store = open(dir.path()).await;
    assert!(matches!(store.unseal("acme", "s2", &s2, b"evt_2").await, Err(StoreError::Shredded { .. })));
    let fresh = store.seal("acme", "s2", b"new", b"evt_3").await.unwrap();
    assert_eq!(store.unseal("acme", "s2", &fresh, b"evt_3").await.unwrap(), b"new");
    let proof = store.session_proof("acme", "s2").await.unwrap();
    assert!(verify_proof_file(&serde_json::to_vec(&proof).unwrap(), Some(&key)).unwrap().passed());
}
