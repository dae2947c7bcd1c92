//! The writer's key work: tenants' data keys from the keychain, per-session keys wrapped by them in
//! `session_keys`, and crypto-shredding. Run by the single writer, so that a key is stored before any record
//! sealed with it is appended.

use super::Writer;
use crate::error::StoreError;
use crate::keychain::DataKey;
use crate::seal::Shredded;
use crate::store::LogInfo;

impl Writer {
    /// The tenant's data key from the keychain (cached), created when `create`.
    pub(super) async fn data_key(&mut self, info: &LogInfo, create: bool) -> Result<Option<DataKey>, StoreError> {
        if let Some(k) = self.data_keys.get(&info.origin) {
            return Ok(Some(*k));
        }
        let origin = info.origin.clone();
        let key = self.keychain(move |keys| keys.data_key(&origin, create)).await?;
        if let Some(k) = key {
            self.data_keys.insert(info.origin.clone(), k);
        }
        Ok(key)
    }

    pub(super) async fn session_key(
        &mut self,
        tenant: &str,
        session: &str,
        create: bool,
    ) -> Result<Option<DataKey>, StoreError> {
        self.load_log(tenant, create).await?;
        let info = self
            .logs
            .get(tenant)
            .map(|s| s.info.clone())
            .ok_or_else(|| StoreError::UnknownTenant(tenant.to_owned()))?;
        let shredded = || StoreError::Shredded { tenant: tenant.to_owned(), session: session.to_owned() };
        let aad = crate::seal::wrap_aad(&info.origin, session);
        let wrapped: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT wrapped FROM session_keys WHERE log_id = ? AND session_id = ?")
                .bind(info.id)
                .bind(session)
                .fetch_optional(&mut self.conn)
                .await?;
        if let Some(wrapped) = wrapped {
            let master = self.data_key(&info, false).await?.ok_or_else(shredded)?;
            let (nonce, ciphertext) =
                wrapped.split_at_checked(12).ok_or_else(|| StoreError::Corrupt("wrapped key too short".into()))?;
            let key = crate::seal::decrypt(&master, nonce, ciphertext, &aad).ok_or_else(shredded)?;
            return DataKey::try_from(key)
                .map(Some)
                .map_err(|_| StoreError::Corrupt("session key is not 32 bytes".into()));
        }
        if !create {
            return Ok(None);
        }
        let master = self.data_key(&info, true).await?.ok_or_else(shredded)?;
        let mut key: DataKey = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
        let (ciphertext, nonce) = crate::seal::encrypt(&master, &key, &aad)?;
        let mut wrapped = nonce.to_vec();
        wrapped.extend_from_slice(&ciphertext);
        sqlx::query("INSERT INTO session_keys (log_id, session_id, wrapped) VALUES (?, ?, ?)")
            .bind(info.id)
            .bind(session)
            .bind(wrapped)
            .execute(&mut self.conn)
            .await?;
        Ok(Some(key))
    }

    pub(super) async fn shred(&mut self, tenant: &str, session: Option<&str>) -> Result<Shredded, StoreError> {
        self.load_log(tenant, false).await?;
        let info = self
            .logs
            .get(tenant)
            .map(|s| s.info.clone())
            .ok_or_else(|| StoreError::UnknownTenant(tenant.to_owned()))?;
        let deleted = match session {
            Some(s) => {
                sqlx::query("DELETE FROM session_keys WHERE log_id = ? AND session_id = ?").bind(info.id).bind(s)
            }
            None => sqlx::query("DELETE FROM session_keys WHERE log_id = ?").bind(info.id),
        }
        .execute(&mut self.conn)
        .await?
        .rows_affected();
        let data_key = match session {
            Some(_) => false,
            None => {
                self.data_keys.remove(&info.origin);
                let origin = info.origin.clone();
                self.keychain(move |keys| keys.destroy_data_key(&origin)).await?
            }
        };
        // Move the deleted pages out of the WAL too.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut self.conn).await?;
        Ok(Shredded { session_keys: deleted, data_key })
    }
}
