//! What `/metrics` reads from the store when scraped: counts by state, durable across restarts
//! and the same on every replica (ended tasks only grow, so they are counters).

use super::{Res, Store};
use crate::unavailable;
use std::sync::atomic::{AtomicU64, Ordering};

static STORE_ERRORS: AtomicU64 = AtomicU64::new(0);
static CACHE_HITS: AtomicU64 = AtomicU64::new(0);
static CACHE_MISSES: AtomicU64 = AtomicU64::new(0);

/// Counts a status call answered from the status cache (`hit`) or read from the database.
pub(crate) fn count_cache(hit: bool) {
    let c = if hit { &CACHE_HITS } else { &CACHE_MISSES };
    c.fetch_add(1, Ordering::Relaxed);
}

/// Status-cache hits and misses of this process so far.
pub fn cache_hits_misses() -> (u64, u64) {
    (
        CACHE_HITS.load(Ordering::Relaxed),
        CACHE_MISSES.load(Ordering::Relaxed),
    )
}

/// Counts a store failure (the database away, a broken statement).
pub(crate) fn count_error() {
    STORE_ERRORS.fetch_add(1, Ordering::Relaxed);
}

/// Store failures of this process so far.
pub fn store_errors() -> u64 {
    STORE_ERRORS.load(Ordering::Relaxed)
}

#[derive(Debug, Default)]
pub struct StoreCounts {
    /// (task type, state, tasks)
    pub tasks: Vec<(String, String, i64)>,
    /// (state, rollouts)
    pub rollouts: Vec<(String, i64)>,
    /// (state, member clusters of live rollouts)
    pub rollout_clusters: Vec<(String, i64)>,
    /// (state, webhook deliveries)
    pub deliveries: Vec<(String, i64)>,
}

impl Store {
    pub async fn counts(&self) -> Res<StoreCounts> {
        let pairs = |sql: &'static str| async move {
            sqlx::query_as::<_, (String, i64)>(sql)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)
        };
        Ok(StoreCounts {
            tasks: sqlx::query_as("SELECT task_type, state, COUNT(*) FROM tasks GROUP BY task_type, state")
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?,
            rollouts: pairs("SELECT state, COUNT(*) FROM rollouts GROUP BY state").await?,
            rollout_clusters: pairs(
                "SELECT rc.state, COUNT(*) FROM rollout_clusters rc JOIN rollouts r ON r.rollout_id = rc.rollout_id
                 WHERE r.live = 1 GROUP BY rc.state",
            )
            .await?,
            deliveries: pairs("SELECT state, COUNT(*) FROM webhook_deliveries GROUP BY state").await?,
        })
    }
}
