//! Set statements: a `VALUES` list of many rows, bound and run in chunks both back ends take.

use super::{Backend, Res};
use crate::unavailable;
use ack_domain::DomainError;
use sqlx::{Any, AssertSqlSafe, Transaction};

/// `($1, …, $cols), ($cols+1, …)` for `rows` rows on PostgreSQL; plain `?` on SQLite, whose
/// parser looks every named parameter up in a list (thousands of `$n` in one bulk insert made
/// the import a hundred times slower).
pub(crate) fn values_placeholders(backend: Backend, rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=cols)
                .map(|c| match backend {
                    Backend::Postgres => format!("${}", r * cols + c),
                    Backend::Sqlite => "?".to_string(),
                })
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) type AnyQuery = sqlx::query::Query<'static, Any, sqlx::any::AnyArguments>;

/// `sql` with its `{}` (the `VALUES` list) filled for each chunk of `rows`, bound.
fn chunk_queries<T>(
    backend: Backend,
    sql: &str,
    cols: usize,
    rows: &[T],
    bind: impl Fn(AnyQuery, &T) -> AnyQuery,
) -> Vec<AnyQuery> {
    rows.chunks(MAX_ROWS_PER_INSERT)
        .map(|chunk| {
            let text = sql.replace("{}", &values_placeholders(backend, chunk.len(), cols));
            chunk.iter().fold(sqlx::query(AssertSqlSafe(text)), &bind)
        })
        .collect()
}

/// Binds rows of values into `sql`'s `{}` (the `VALUES` list) and runs it, in chunks: the rows
/// it returns (a `SELECT` or `RETURNING`), none for a plain write.
pub(crate) async fn each_chunk<T>(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    sql: &str,
    cols: usize,
    rows: &[T],
    bind: impl Fn(AnyQuery, &T) -> AnyQuery,
) -> Res<Vec<sqlx::any::AnyRow>> {
    let mut out = Vec::new();
    for q in chunk_queries(backend, sql, cols, rows, bind) {
        out.extend(q.fetch_all(&mut **tx).await.map_err(unavailable)?);
    }
    Ok(out)
}

/// Like `each_chunk`, for a write whose errors `refusal` turns into the domain's (a unique-key
/// violation, say, is the client's doing).
pub(crate) async fn write_chunks<T>(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    (sql, cols): (&str, usize),
    rows: &[T],
    bind: impl Fn(AnyQuery, &T) -> AnyQuery,
    refusal: impl Fn(sqlx::Error) -> DomainError,
) -> Res<()> {
    for q in chunk_queries(backend, sql, cols, rows, bind) {
        q.execute(&mut **tx).await.map_err(&refusal)?;
    }
    Ok(())
}

/// Column `i` of a row read back, as text.
pub(crate) fn text(row: &sqlx::any::AnyRow, i: usize) -> Res<String> {
    use sqlx::Row;
    row.try_get::<String, _>(i).map_err(unavailable)
}

/// Both back ends take this many rows of up to 15 values in one statement (SQLite allows 32766
/// bound values, PostgreSQL 65535).
pub(crate) const MAX_ROWS_PER_INSERT: usize = 2000;

/// A unique-key violation is the client's doing (an id used twice); anything else is ours.
pub(crate) fn conflict_or(e: sqlx::Error, param: &str, reason: &str) -> DomainError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => DomainError::invalid(param, reason),
        _ => unavailable(e),
    }
}
