//! Sealing: PII originals encrypted with AES-256-GCM under a per-session key. Session keys are random, kept in
//! `session_keys` wrapped by the tenant's data key, which lives in the OS keychain. Shredding a session
//! deletes its wrapped key; shredding a tenant destroys the data key in the keychain and every wrapped key.
//! Either way the sealed bytes in the log stay (they are part of what the proofs cover) and can never be
//! opened again.

use crate::error::StoreError;
use crate::keychain::DataKey;
use crate::store::Store;
use crate::writer::Command;
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

/// Sealed bytes as they are recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    /// Always `A256GCM`.
    pub alg: String,
    /// Standard base64 of the 12-byte nonce.
    pub nonce: String,
    /// Standard base64 of ciphertext and tag.
    pub ciphertext: String,
}

pub(crate) const ALG: &str = "A256GCM";

/// What a shred destroyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shredded {
    /// Session keys deleted.
    pub session_keys: u64,
    /// Whether the tenant's data key was destroyed in the keychain.
    pub data_key: bool,
}

pub(crate) fn encrypt(key: &DataKey, plaintext: &[u8], aad: &[u8]) -> Result<(Vec<u8>, [u8; 12]), StoreError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| StoreError::Seal("bad key length".into()))?;
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(&nonce.into(), Payload { msg: plaintext, aad })
        .map_err(|_| StoreError::Seal("encryption failed".into()))?;
    Ok((ciphertext, nonce))
}

pub(crate) fn decrypt(key: &DataKey, nonce: &[u8], ciphertext: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    cipher.decrypt(&nonce.into(), Payload { msg: ciphertext, aad }).ok()
}

/// What binds a wrapped session key to its log and session.
pub(crate) fn wrap_aad(origin: &str, session: &str) -> Vec<u8> {
    format!("vargate session key\n{origin}\n{session}").into_bytes()
}

impl Store {
    async fn session_key(&self, tenant: &str, session: &str, create: bool) -> Result<Option<DataKey>, StoreError> {
        let cache_key = (tenant.to_owned(), session.to_owned());
        if let Some(key) = self.session_keys.lock().ok().and_then(|c| c.get(&cache_key).copied()) {
            return Ok(Some(key));
        }
        let (tenant_owned, session_owned) = cache_key.clone();
        let key = self
            .ask(|reply| Command::SessionKey { tenant: tenant_owned, session: session_owned, create, reply })
            .await?;
        if let (Some(k), Ok(mut cache)) = (key, self.session_keys.lock()) {
            cache.insert(cache_key, k);
        }
        Ok(key)
    }

    /// Encrypts `plaintext` under the session's key (created, with the tenant's log and data key, if need
    /// be). `aad` binds the ciphertext to its context (e.g. the event id); the same `aad` opens it.
    pub async fn seal(&self, tenant: &str, session: &str, plaintext: &[u8], aad: &[u8]) -> Result<Sealed, StoreError> {
        let key = self.session_key(tenant, session, true).await?.ok_or(StoreError::Seal("no session key".into()))?;
        let (ciphertext, nonce) = encrypt(&key, plaintext, aad)?;
        Ok(Sealed { alg: ALG.into(), nonce: B64.encode(nonce), ciphertext: B64.encode(ciphertext) })
    }

    /// Decrypts sealed bytes; [`StoreError::Shredded`] when the session's key is gone (also when another
    /// process shredded it after this one sealed with it).
    pub async fn unseal(
        &self,
        tenant: &str,
        session: &str,
        sealed: &Sealed,
        aad: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        if sealed.alg != ALG {
            return Err(StoreError::Seal(format!("unknown sealing algorithm {}", sealed.alg)));
        }
        let shredded = || StoreError::Shredded { tenant: tenant.to_owned(), session: session.to_owned() };
        // Never from this handle's cache: a shred by another process (`vargate tenant shred`) deletes the
        // wrapped key in the database, and what it erased must not open here afterwards. Unsealing is rare (a
        // reviewer's reveal, an approved call), so asking the writer each time costs nothing that matters.
        let (tenant_owned, session_owned) = (tenant.to_owned(), session.to_owned());
        let key = self
            .ask(|reply| Command::SessionKey { tenant: tenant_owned, session: session_owned, create: false, reply })
            .await?
            .ok_or_else(shredded)?;
        let nonce = B64.decode(&sealed.nonce).map_err(|_| StoreError::Seal("nonce is not base64".into()))?;
        let ciphertext =
            B64.decode(&sealed.ciphertext).map_err(|_| StoreError::Seal("ciphertext is not base64".into()))?;
        decrypt(&key, &nonce, &ciphertext, aad).ok_or_else(|| StoreError::Seal("the sealed data does not open".into()))
    }

    /// Crypto-shreds one session (its key) or, with `session` `None`, the whole tenant (its data key in the
    /// keychain and every session key). Records and proofs are untouched.
    pub async fn shred(&self, tenant: &str, session: Option<&str>) -> Result<Shredded, StoreError> {
        let session_owned = session.map(str::to_owned);
        let tenant_owned = tenant.to_owned();
        let result = self.ask(|reply| Command::Shred { tenant: tenant_owned, session: session_owned, reply }).await;
        if let Ok(mut cache) = self.session_keys.lock() {
            cache.retain(|(t, s), _| t != tenant || session.is_some_and(|only| only != s));
        }
        result
    }
}
