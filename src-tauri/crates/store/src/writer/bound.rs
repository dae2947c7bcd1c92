//! Multi-row statements bound ahead of their turn. SQLite runs one statement at a time on sqlx's worker
//! thread; whatever the writer binds while SQLite waits is time the log is not writing, so the writer binds
//! the next statement while SQLite runs the last (and the batch's node, index and head rows beside its last
//! records).

use crate::error::StoreError;
use sqlx::error::BoxDynError;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments as _, AssertSqlSafe, SqliteConnection};

/// SQLite allows 32766 bound parameters per statement.
const MAX_PARAMETERS: usize = 32766;

/// A statement and its arguments.
pub(super) struct Bound {
    sql: String,
    args: SqliteArguments,
}

/// How one table's rows are written: `{prefix} VALUES (?, …), (?, …) {suffix}`.
pub(super) struct MultiRow {
    pub prefix: &'static str,
    pub columns: usize,
    pub suffix: &'static str,
}

impl MultiRow {
    /// The text for `rows` rows. Full batches use the same few counts, so sqlx's statement cache keeps their
    /// prepared statements.
    fn sql(&self, rows: usize) -> String {
        let row = format!("({})", vec!["?"; self.columns].join(","));
        let mut sql = String::with_capacity(self.prefix.len() + self.suffix.len() + rows * (row.len() + 1) + 8);
        sql.push_str(self.prefix);
        sql.push_str(" VALUES ");
        for i in 0..rows {
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&row);
        }
        sql.push_str(self.suffix);
        sql
    }

    /// `rows` as statements of at most `max_rows` rows (and within SQLite's parameter limit), each row's
    /// values added by `add` — which may move them out of the row, so that nothing is copied.
    pub(super) fn bind<T>(
        &self,
        rows: impl IntoIterator<Item = T>,
        max_rows: usize,
        mut add: impl FnMut(&mut SqliteArguments, T) -> Result<(), BoxDynError>,
    ) -> Result<Vec<Bound>, StoreError> {
        let per_statement = max_rows.min(MAX_PARAMETERS / self.columns).max(1);
        let mut out = Vec::new();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let mut args = SqliteArguments::default();
            args.reserve(per_statement * self.columns, 0);
            let mut n = 0;
            for row in rows.by_ref().take(per_statement) {
                add(&mut args, row)
                    .map_err(|e| StoreError::Corrupt(format!("binding a row of \"{}\": {e}", self.prefix)))?;
                n += 1;
            }
            out.push(Bound { sql: self.sql(n), args });
        }
        Ok(out)
    }
}

impl Bound {
    /// Runs the statement and returns the rows it gives back (its `RETURNING` clause).
    pub(super) async fn fetch_all<T>(self, conn: &mut SqliteConnection) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
    {
        Ok(sqlx::query_as_with(AssertSqlSafe(self.sql), self.args).fetch_all(conn).await?)
    }
}

/// Runs statements in order.
pub(super) async fn run(conn: &mut SqliteConnection, statements: Vec<Bound>) -> Result<(), StoreError> {
    for Bound { sql, args } in statements {
        sqlx::query_with(AssertSqlSafe(sql), args).execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_stay_within_sqlites_parameter_limit() {
        let heads = MultiRow { prefix: "INSERT INTO t (a, b, c, d, e)", columns: 5, suffix: " ON CONFLICT DO NOTHING" };
        let bound = heads.bind(0..10_000i64, usize::MAX, |args, i| args.add(i)).unwrap();
        let rows: Vec<usize> = bound.iter().map(|b| b.sql.matches('(').count() - 1).collect();
        assert_eq!(rows, vec![6553, 3447]);
        assert!(bound.iter().all(|b| b.sql.matches('?').count() == 5 * (b.sql.matches('(').count() - 1)));
        assert!(bound[0].sql.starts_with("INSERT INTO t (a, b, c, d, e) VALUES (?,?,?,?,?),(?"));
        assert!(bound[1].sql.ends_with("(?,?,?,?,?) ON CONFLICT DO NOTHING"));

        let small = heads.bind(0..10i64, 4, |args, i| args.add(i)).unwrap();
        assert_eq!(small.len(), 3);
        assert!(heads.bind(std::iter::empty::<i64>(), 4, |args, i| args.add(i)).unwrap().is_empty());
    }
}
