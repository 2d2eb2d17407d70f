//! The physical limit the engine is judged against: how many single-row write transactions one
//! connection commits per second on a database opened exactly as the store opens its own (same
//! pool settings and pragmas, same `BEGIN` as a store write). A task that needs fewer commits
//! than that rate allows is doing its stages in shared transactions.

use super::{Backend, pool};
use std::time::{Duration, Instant};

/// What the loop measured.
#[derive(Debug, Clone, Copy)]
pub struct RawCommits {
    pub commits: u64,
    pub seconds: f64,
}

impl RawCommits {
    pub fn per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.commits as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Commits one-row inserts, one per transaction and one after another, for about `length`, in
/// a table of its own (made and dropped here, so point it at a scratch database).
pub async fn measure(url: &str, length: Duration) -> Result<RawCommits, String> {
    let (backend, pool) = pool::open(url).await?;
    let e = |e: sqlx::Error| e.to_string();
    sqlx::query("DROP TABLE IF EXISTS raw_commits")
        .execute(&pool)
        .await
        .map_err(e)?;
    sqlx::query("CREATE TABLE raw_commits (n BIGINT PRIMARY KEY, payload TEXT NOT NULL)")
        .execute(&pool)
        .await
        .map_err(e)?;
    let started = Instant::now();
    let mut n: u64 = 0;
    while started.elapsed() < length {
        let mut tx = match backend {
            // As `Store::write_tx` takes a write: the lock up front.
            Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await.map_err(e)?,
            Backend::Postgres => pool.begin().await.map_err(e)?,
        };
        sqlx::query("INSERT INTO raw_commits (n, payload) VALUES ($1, $2)")
            .bind(i64::try_from(n).unwrap_or(i64::MAX))
            .bind("a row about as long as a task's stage update")
            .execute(&mut *tx)
            .await
            .map_err(e)?;
        tx.commit().await.map_err(e)?;
        n += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    sqlx::query("DROP TABLE raw_commits")
        .execute(&pool)
        .await
        .map_err(e)?;
    pool.close().await;
    Ok(RawCommits {
        commits: n,
        seconds,
    })
}
