//! What the crate's unit tests share.

use crate::{FixedKey, Store, StoreOptions};

/// A store in a fresh directory (kept while the returned guard lives).
pub(crate) async fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let keys = std::sync::Arc::new(FixedKey([7; 32]));
    let store = Store::open(&dir.path().join("log.db"), keys, StoreOptions::default()).await.unwrap();
    (dir, store)
}

/// The lines of SQLite's plan for `sql` on the store's read connections.
pub(crate) async fn query_plan(store: &Store, sql: &str) -> Vec<String> {
    let rows: Vec<(i64, i64, i64, String)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}"))).fetch_all(&store.read).await.unwrap();
    rows.into_iter().map(|r| r.3).collect()
}
