//! Opening the pool: each back end's connection settings, in the one place both the store and
//! the raw commit measure take them from.

use super::Backend;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

/// The pool every store (and the raw commit measure) opens: the back end's settings in one place.
pub(crate) async fn open(url: &str) -> Result<(Backend, AnyPool), String> {
    sqlx::any::install_default_drivers();
    let (backend, conn_url) = if url.starts_with("sqlite:") {
        // Create the file if missing.
        let u = if url.contains('?') {
            url.to_string()
        } else {
            format!("{url}?mode=rwc")
        };
        (Backend::Sqlite, u)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        (Backend::Postgres, url.to_string())
    } else {
        return Err(format!(
            "unsupported database URL {url:?}: use sqlite://PATH or postgres://…"
        ));
    };
    let pool = AnyPoolOptions::new()
        .max_connections(if backend == Backend::Sqlite { 4 } else { 16 })
        // Fail fast while the database is away: callers answer 503 and retry.
        .acquire_timeout(Duration::from_secs(3))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL with synchronous=FULL: a commit returns once the log is on disk, as
                    // PostgreSQL's does, so an acknowledged write survives a power loss and not
                    // only a process crash; the engine's group commit shares that fsync among
                    // many tasks. busy_timeout makes writers queue instead of failing.
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;")
                        .await?;
                }
                Ok(())
            })
        })
        .connect(&conn_url)
        .await
        .map_err(|e| format!("opening {url}: {e}"))?;
    Ok((backend, pool))
}

#[cfg(test)]
mod tests {
    /// Every pooled SQLite connection logs ahead and syncs the log at each commit
    /// (`synchronous` 2 is FULL), the durability the raw commit measure is taken at.
    #[tokio::test]
    async fn sqlite_connections_commit_durably() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("p.db").display());
        let (_, pool) = super::open(&url).await.unwrap();
        let mut conns = Vec::new();
        for _ in 0..2 {
            let mut c = pool.acquire().await.unwrap();
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *c)
                .await
                .unwrap();
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *c)
                .await
                .unwrap();
            assert_eq!((sync, mode.as_str()), (2, "wal"));
            conns.push(c);
        }
        drop(conns);
        pool.close().await;
    }
}
