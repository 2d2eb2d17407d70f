//! Schema migrations, embedded in the binary, one set per back end with the same numbering,
//! applied in order, each in its own transaction.

use crate::store::Backend;
use sqlx::{AnyPool, AssertSqlSafe};

const SQLITE: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../migrations/sqlite/0002_cluster_tags.sql"),
    ),
    (
        3,
        include_str!("../migrations/sqlite/0003_rollback_rollouts.sql"),
    ),
    (4, include_str!("../migrations/sqlite/0004_events.sql")),
    (5, include_str!("../migrations/sqlite/0005_webhooks.sql")),
    (6, include_str!("../migrations/sqlite/0006_console.sql")),
    (
        7,
        include_str!("../migrations/sqlite/0007_webhook_outbox.sql"),
    ),
    (
        8,
        include_str!("../migrations/sqlite/0008_nonce_hashes.sql"),
    ),
    (9, include_str!("../migrations/sqlite/0009_claim_order.sql")),
    (
        10,
        include_str!("../migrations/sqlite/0010_rollback_members.sql"),
    ),
];
const POSTGRES: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../migrations/postgres/0002_cluster_tags.sql"),
    ),
    (
        3,
        include_str!("../migrations/postgres/0003_rollback_rollouts.sql"),
    ),
    (4, include_str!("../migrations/postgres/0004_events.sql")),
    (5, include_str!("../migrations/postgres/0005_webhooks.sql")),
    (6, include_str!("../migrations/postgres/0006_console.sql")),
    (
        7,
        include_str!("../migrations/postgres/0007_webhook_outbox.sql"),
    ),
    (
        8,
        include_str!("../migrations/postgres/0008_nonce_hashes.sql"),
    ),
    (
        9,
        include_str!("../migrations/postgres/0009_claim_order.sql"),
    ),
    (
        10,
        include_str!("../migrations/postgres/0010_rollback_members.sql"),
    ),
];

/// The newest migration of this build: a database at another version is not ready for it.
pub fn latest(backend: Backend) -> i64 {
    let set = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    set.iter().map(|(v, _)| *v).max().unwrap_or(0)
}

pub async fn run(pool: &AnyPool, backend: Backend) -> Result<(), sqlx::Error> {
    let (set, begin) = match backend {
        Backend::Sqlite => (SQLITE, "BEGIN IMMEDIATE"),
        // Replicas starting together: one migrates, the others wait on the lock, then skip.
        Backend::Postgres => (POSTGRES, "BEGIN"),
    };
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .execute(pool)
        .await?;
    for (version, sql) in set {
        let mut tx = pool.begin_with(begin).await?;
        if backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(72217)")
                .execute(&mut *tx)
                .await?;
        }
        let done: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
        if done.is_none() {
            sqlx::raw_sql(AssertSqlSafe(*sql)).execute(&mut *tx).await?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(version)
                .bind(i64::try_from(now).unwrap_or(0))
                .execute(&mut *tx)
                .await?;
            tracing::info!(version, "applied migration");
        }
        tx.commit().await?;
    }
    Ok(())
}
