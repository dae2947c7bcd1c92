//! The checkpoint signing key in a real OS keychain. `scripts/test` runs this inside a private D-Bus with
//! gnome-keyring's Secret Service and sets VARGATE_KEYSTORE; under CI a missing keychain is a failure.

use std::sync::Arc;
use vargate_store::{KeySource, Keychain, KeystoreKind, Store, StoreOptions};

fn keystore() -> Option<KeystoreKind> {
    match std::env::var("VARGATE_KEYSTORE") {
        Ok(k) => Some(k.parse().expect("VARGATE_KEYSTORE")),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI must run the keychain test against a real keychain")
        }
        Err(_) => {
            eprintln!("skipped: set VARGATE_KEYSTORE (scripts/test does) to test against a real keychain");
            None
        }
    }
}

#[test]
fn signing_key_is_created_once_and_found_again() {
    let Some(kind) = keystore() else { return };
    let origin = format!("vargate-keychain-test-{}/acme", std::process::id());
    let keychain = Keychain::open(kind.clone()).unwrap();
    // Looking a key up never creates one.
    assert!(keychain.find(&origin).unwrap().is_none());
    assert!(keychain.find(&origin).unwrap().is_none());
    let first = keychain.create(&origin).unwrap();
    // A new client (as after a restart), connecting lazily, finds the same key; creating again returns it.
    let lazy = Keychain::lazy(kind);
    let again = lazy.find(&origin).unwrap().unwrap();
    assert_eq!(first.verifier(), again.verifier());
    assert_eq!(lazy.create(&origin).unwrap().verifier(), first.verifier());
    assert_eq!(first.verifier().name, origin);
}

#[tokio::test]
async fn store_signs_checkpoints_with_the_keychain_key_and_drops_cleanly() {
    let Some(kind) = keystore() else { return };
    let dir = tempfile::tempdir().unwrap();
    let keychain = tokio::task::spawn_blocking(move || Keychain::open(kind)).await.unwrap().unwrap();
    let store = Store::open(&dir.path().join("log.db"), Arc::new(keychain), StoreOptions::default()).await.unwrap();
    store
        .append(
            "acme",
            vargate_store::NewRecord {
                session_id: "s".into(),
                ts: "2026-11-25T10:00:00Z".into(),
                kind: "agent.message".into(),
                source: "test".into(),
                decision: "observed".into(),
                payload: serde_json::json!({}),
            },
        )
        .await
        .unwrap();
    let cp = store.checkpoint("acme").await.unwrap();
    let key = vargate_proof::NoteVerifier::parse(&store.log("acme").await.unwrap().vkey).unwrap();
    assert_eq!(vargate_proof::Checkpoint::open(&cp.note, &[key]).unwrap().size, 1);
    // Dropping the store (and with it the keychain client) inside the runtime must not panic.
    store.close().await;
}

#[test]
fn unknown_keystore_names_are_rejected_clearly() {
    let err = "keepass".parse::<KeystoreKind>().unwrap_err();
    assert!(err.contains("secret-service"), "{err}");
    let err = "insecure-file:".parse::<KeystoreKind>().unwrap_err();
    assert!(err.contains("needs a folder"), "{err}");
}

#[test]
fn data_keys_are_created_found_and_destroyed() {
    let Some(kind) = keystore() else { return };
    let origin = format!("vargate-keychain-test-{}/data", std::process::id());
    let keychain = Keychain::open(kind.clone()).unwrap();
    assert_eq!(keychain.data_key(&origin, false).unwrap(), None);
    let key = keychain.data_key(&origin, true).unwrap().unwrap();
    assert_eq!(Keychain::lazy(kind).data_key(&origin, false).unwrap(), Some(key));
    assert!(keychain.destroy_data_key(&origin).unwrap());
    assert_eq!(keychain.data_key(&origin, false).unwrap(), None);
    assert!(!keychain.destroy_data_key(&origin).unwrap());
}

#[test]
fn a_credential_is_stored_replaced_found_after_a_restart_and_deleted() {
    let Some(kind) = keystore() else { return };
    let name = format!("vargate-keychain-test-{}/api-key", std::process::id());
    let keychain = Keychain::open(kind.clone()).unwrap();
    assert_eq!(keychain.credential(&name).unwrap(), None);
    keychain.set_credential(&name, "sk-first").unwrap();
    keychain.set_credential(&name, "sk-second").unwrap();
    // Another client, as after a restart, reads what the first stored; credentials are not signing keys.
    let lazy = Keychain::lazy(kind);
    assert_eq!(lazy.credential(&name).unwrap().as_deref(), Some("sk-second"));
    assert!(lazy.find(&name).unwrap().is_none());
    assert!(lazy.delete_credential(&name).unwrap());
    assert!(!lazy.delete_credential(&name).unwrap());
    assert_eq!(keychain.credential(&name).unwrap(), None);
}
