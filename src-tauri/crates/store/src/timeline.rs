//! A session's records in chain order, filtered and paginated: what the UI's timeline and `vargate timeline`
//! show. Fields are read from the canonical leaf itself, the source of truth.

use crate::error::StoreError;
use crate::sessions::{self, Filters};
use crate::store::Store;
use vargate_proof::AuditRecord;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimelineFilter {
    /// Only these record types (empty: all).
    pub types: Vec<String>,
    /// Only these decisions (empty: all).
    pub decisions: Vec<String>,
    /// Records after this sequence number (pagination); `None` starts at the beginning.
    pub after_seq: Option<u64>,
    /// At most this many records (0 means 100).
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    /// Leaf index in the tenant's log.
    pub index: u64,
    pub record: AuditRecord,
}

impl Store {
    pub async fn timeline(
        &self,
        tenant: &str,
        session_id: &str,
        filter: &TimelineFilter,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        let log = self.log(tenant).await?;
        let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        let limit = if filter.limit == 0 { 100 } else { filter.limit.min(10_000) };
        let mut conn = self.read.acquire().await?;
        let Some(head) = sessions::head(&mut conn, log.id, session_id).await? else { return Ok(Vec::new()) };
        let (types, decisions) = (json(&filter.types), json(&filter.decisions));
        let filters = Filters { types: &types, decisions: &decisions };
        // Unfiltered, a page is exactly its seqs; filtered, windows of seqs grow until the page is full.
        let filtered = types != "[]" || decisions != "[]";
        let mut window = if filtered { u64::from(limit).max(256) } else { u64::from(limit) };
        let mut from = filter.after_seq.map_or(0, |s| s.saturating_add(1));
        let mut rows = Vec::new();
        while rows.len() < limit as usize && from < head.len() {
            let to = from.saturating_add(window).min(head.len());
            let idxs = sessions::indices(&mut conn, log.id, &head, from..to).await?;
            let wanted = i64::from(limit) - rows.len() as i64;
            rows.extend(sessions::fetch(&mut conn, log.id, &head, from, &idxs, &filters, wanted).await?);
            from = to;
            window = (window * 2).min(1 << 16);
        }
        entries(rows)
    }

    /// The sessions of a tenant's log with their record counts, most recently active first.
    pub async fn sessions(&self, tenant: &str) -> Result<Vec<(String, u64)>, StoreError> {
        let log = self.log(tenant).await?;
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT s.name, h.seq + 1 FROM sessions s JOIN session_heads h ON h.session = s.id \
              WHERE s.log_id = ? ORDER BY h.idx DESC",
        )
        .bind(log.id)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(|(s, n)| (s, n as u64)).collect())
    }

    /// The session's length and its last record; [`StoreError::UnknownSession`] if the log has no record of it.
    pub async fn session_tail(&self, tenant: &str, session_id: &str) -> Result<(u64, TimelineEntry), StoreError> {
        let log = self.log(tenant).await?;
        let row: Option<(i64, i64, Vec<u8>)> = sqlx::query_as(
            "SELECT h.seq, h.idx, r.leaf FROM sessions s JOIN session_heads h ON h.session = s.id \
               JOIN records r ON r.log_id = s.log_id AND r.idx = h.idx WHERE s.log_id = ? AND s.name = ?",
        )
        .bind(log.id)
        .bind(session_id)
        .fetch_optional(&self.read)
        .await?;
        let (seq, idx, leaf) = row
            .ok_or_else(|| StoreError::UnknownSession { tenant: tenant.to_owned(), session: session_id.to_owned() })?;
        let record = AuditRecord::from_leaf(&leaf).map_err(|e| StoreError::Corrupt(format!("leaf {idx}: {e}")))?;
        Ok((seq as u64 + 1, TimelineEntry { index: idx as u64, record }))
    }

    /// The record types and decisions a session has, with how many records of each: what a timeline filter
    /// can match. One pass over the session's records.
    pub async fn session_facets(&self, tenant: &str, session_id: &str) -> Result<SessionFacets, StoreError> {
        let log = self.log(tenant).await?;
        let mut conn = self.read.acquire().await?;
        let mut facets = SessionFacets::default();
        let Some(head) = sessions::head(&mut conn, log.id, session_id).await? else { return Ok(facets) };
        let idxs = sessions::indices(&mut conn, log.id, &head, 0..head.len()).await?;
        let mut seen = 0;
        for part in idxs.chunks(1 << 16) {
            let rows: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT json_extract(r.leaf, '$.type'), json_extract(r.leaf, '$.decision'), COUNT(*) \
                   FROM json_each(?2) AS j CROSS JOIN records AS r \
                  WHERE r.log_id = ?1 AND r.idx = j.value AND r.session = ?3 GROUP BY 1, 2",
            )
            .bind(log.id)
            .bind(serde_json::to_string(part).map_err(|e| StoreError::Corrupt(e.to_string()))?)
            .bind(head.id)
            .fetch_all(&mut *conn)
            .await?;
            for (kind, decision, n) in rows {
                *facets.types.entry(kind).or_default() += n as u64;
                *facets.decisions.entry(decision).or_default() += n as u64;
                seen += n as usize;
            }
        }
        if seen != idxs.len() {
            return Err(StoreError::Corrupt(format!("session {session_id}: its index names other records")));
        }
        Ok(facets)
    }
}

impl Store {
    /// Records of type `kind` whose payload member `field` (a plain member name) equals `value`, oldest
    /// first, at most `limit`. A scan of the tenant's log: for rare look-ups such as `vargate replay`.
    pub async fn find_records(
        &self,
        tenant: &str,
        kind: &str,
        field: &str,
        value: &str,
        limit: u32,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        if field.is_empty() || !field.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StoreError::InvalidRecord(format!("{field} is not a plain member name")));
        }
        let log = self.log(tenant).await?;
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT idx, leaf FROM records WHERE log_id = ? AND json_extract(leaf, '$.type') = ? \
               AND json_extract(leaf, '$.payload.' || ?) = ? ORDER BY idx LIMIT ?",
        )
        .bind(log.id)
        .bind(kind)
        .bind(field)
        .bind(value)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        entries(rows.into_iter().map(|(idx, leaf)| (idx as u64, leaf)).collect())
    }
}

/// The record type of Vargate's decisions on tool calls: the records [`Store::recent_decisions`] reads through
/// their own index (migration 0006).
pub const DECISION_KIND: &str = "vargate.decision";

impl Store {
    /// Of the tenant's decision records ([`DECISION_KIND`]) whose time is at or after `since` (seconds since
    /// the epoch), the newest `limit`, oldest first, each as the values at `paths` (SQLite JSON paths into the
    /// record, such as `$.payload.agent`; `null` where a record has none). It reads the decisions index and
    /// those records alone, however long the log: what rebuilding a policy's history after a restart needs.
    /// An unknown tenant has none.
    pub async fn recent_decisions(
        &self,
        tenant: &str,
        since: i64,
        paths: &[&str],
        limit: u32,
    ) -> Result<Vec<Vec<serde_json::Value>>, StoreError> {
        let log = match self.log(tenant).await {
            Ok(log) => log,
            Err(StoreError::UnknownTenant(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let paths = serde_json::to_string(paths).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let rows: Vec<String> = sqlx::query_scalar(RECENT_DECISIONS)
            .bind(paths)
            .bind(log.id)
            .bind(since)
            .bind(i64::from(limit))
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .rev()
            .map(|row| match serde_json::from_str(row) {
                Ok(serde_json::Value::Array(values)) => Ok(values),
                _ => Err(StoreError::Corrupt(format!("a decision record's fields read back as {row}"))),
            })
            .collect()
    }
}

/// The statement of [`Store::recent_decisions`]: one fixed statement (the paths come as a JSON array), whose
/// conditions are the decisions index's own expressions, so that SQLite reads through it.
const RECENT_DECISIONS: &str = "\
    SELECT (SELECT json_group_array(json_extract(r.leaf, p.value) ORDER BY p.key) FROM json_each(?1) AS p) \
      FROM records AS r \
     WHERE r.log_id = ?2 AND substr(r.leaf, -32) = CAST('\"type\":\"vargate.decision\",\"v\":1}' AS BLOB) \
       AND unixepoch(json_extract(r.leaf, '$.ts')) >= ?3 \
     ORDER BY unixepoch(json_extract(r.leaf, '$.ts')) DESC, r.idx DESC LIMIT ?4";

/// `(idx, leaf)` rows as timeline entries, each leaf checked to be a canonical record.
fn entries(rows: Vec<(u64, Vec<u8>)>) -> Result<Vec<TimelineEntry>, StoreError> {
    rows.into_iter()
        .map(|(idx, leaf)| {
            let record = AuditRecord::from_leaf(&leaf).map_err(|e| StoreError::Corrupt(format!("leaf {idx}: {e}")))?;
            Ok(TimelineEntry { index: idx, record })
        })
        .collect()
}

/// What a session's records are, by type and by decision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFacets {
    pub types: std::collections::BTreeMap<String, u64>,
    pub decisions: std::collections::BTreeMap<String, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewRecord;
    use serde_json::json;

    fn record(kind: &str, ts: &str, n: u64) -> NewRecord {
        NewRecord {
            session_id: format!("s{}", n % 3),
            ts: ts.to_owned(),
            kind: kind.to_owned(),
            source: "test".into(),
            decision: "allow".into(),
            payload: json!({"n": n, "agent": "a", "policy": {"violations": ["x.y"]}}),
        }
    }

    /// Decisions are read by time through their own index, whatever else the log holds, and with times in
    /// any RFC 3339 form (offsets and fractions compare as instants).
    #[tokio::test]
    async fn recent_decisions_are_read_by_time_through_their_index() {
        let (_dir, store) = crate::test_support::temp_store().await;
        let records = vec![
            record(DECISION_KIND, "2026-11-24T09:59:59Z", 0),    // before the window
            record("agent.tool_use", "2026-11-25T10:00:00Z", 1), // not a decision
            record(DECISION_KIND, "2026-11-25T11:30:00+01:00", 2), // 10:30 UTC
            record(DECISION_KIND, "2026-11-25T10:00:00.250Z", 3),
            record("vargate.decisions", "2026-11-25T10:00:00Z", 4), // a type that only starts alike
            record(DECISION_KIND, "2026-11-25T05:00:00-05:00", 5),  // 10:00 UTC
        ];
        store.append_batch("acme", records).await.unwrap();
        let since = 1_795_600_800 - 24 * 3600; // 2026-11-25T10:00:00Z less a day
        let paths = ["$.payload.n", "$.payload.policy.violations", "$.payload.absent"];
        let rows = store.recent_decisions("acme", since, &paths, 100).await.unwrap();
        let ns: Vec<u64> = rows.iter().map(|r| r[0].as_u64().unwrap()).collect();
        assert_eq!(ns, [3, 5, 2], "oldest first, by time (to the second) then position");
        assert_eq!((&rows[0][1], &rows[0][2]), (&json!(["x.y"]), &serde_json::Value::Null));
        let newest = store.recent_decisions("acme", since, &paths, 1).await.unwrap();
        assert_eq!(newest[0][0], 2, "a limit keeps the newest");
        assert!(store.recent_decisions("nobody", since, &paths, 10).await.unwrap().is_empty());
        assert!(RECENT_DECISIONS.contains(&format!("\"type\":\"{DECISION_KIND}\"")));
        let plan = crate::test_support::query_plan(&store, RECENT_DECISIONS).await;
        assert!(plan.iter().any(|p| p.contains("USING INDEX records_decisions_by_time")), "{plan:?}");
        assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE FOR ORDER BY")), "no sort of the records: {plan:?}");
    }
}
