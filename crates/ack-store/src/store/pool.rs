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
                    // WAL with synchronous=NORMAL keeps every committed transaction through a
                    // process crash; busy_timeout makes writers queue instead of failing.
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;")
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
