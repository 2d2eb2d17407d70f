//! The store over one pool of either back end: an embedded SQLite file (WAL journal, foreign keys
//! on, one process) or a shared PostgreSQL (several replicas). The SQL is written once, with
//! `$n` placeholders both back ends accept; the few statements that differ say so.

mod batch;
mod changes;
mod claims;
mod cluster_reads;
mod clusters;
pub mod control;
pub mod drive;
mod drive_step;
mod ends;
pub mod events;
mod faults;
pub mod finish;
pub mod fleet;
mod import;
pub mod metrics;
mod nonces;
mod plain_starts;
mod pool;
pub mod raw_commits;
mod rollout_reads;
mod rollout_rows;
pub mod rollouts;
pub mod sessions;
mod sets;
mod sql;
pub mod stages;
mod start_rows;
pub mod starts;
mod tags;
mod task_info;
pub mod tasks;
mod together;
mod warm;
mod webhook_delivery;
mod webhook_outbox;
pub mod webhooks;

pub(crate) use clusters::fetch_cluster;
pub use import::ImportSession;
pub(crate) use import::insert_clusters;
pub(crate) use sql::{AnyQuery, MAX_ROWS_PER_INSERT, conflict_or, each_chunk, values_placeholders};

use crate::cache::StatusCache;
use crate::{StoredKey, migrate, unavailable};
use ack_domain::DomainError;
use sqlx::{Any, AnyPool, Transaction};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The back end a transaction runs on (for code handed only the transaction).
    pub(crate) fn of(tx: &mut Transaction<'_, Any>) -> Self {
        let conn: &mut sqlx::AnyConnection = tx;
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    url: String,
    /// SQLite only: whether any fault may be armed, so that stages skip the fault lookup (a
    /// write) when none is. This process is the only writer of its SQLite file.
    pub(crate) faults_armed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The status calls' in-memory copy: exact on SQLite (this process is the sole writer),
    /// kept in step by notices on PostgreSQL (`changes.rs`).
    pub(crate) status_cache: Option<Arc<StatusCache>>,
    /// DescribeTaskInfo's tasks in memory, kept in step the same way.
    pub(crate) task_cache: Option<Arc<crate::cache::tasks::TaskCache>>,
    /// Whether the caches may answer now (PostgreSQL: while their listener is live).
    cache_link: Arc<changes::CacheLink>,
    /// SQLite only: writers take turns here rather than in SQLite's busy handler, which sleeps
    /// a millisecond or more per retry while holding a pooled connection.
    write_turns: Option<Arc<tokio::sync::Mutex<()>>>,
    /// The writer of shared nonces, started by the first one.
    nonce_batcher: Arc<std::sync::OnceLock<nonces::Batcher>>,
    /// The engine's writes waiting to share a transaction (group commit).
    batcher: Arc<batch::Batcher>,
}

/// A writer's turn on SQLite (nothing on PostgreSQL, whose rows lock themselves); held until
/// the transaction ends.
pub(crate) type WriteTurn = Option<tokio::sync::OwnedMutexGuard<()>>;

pub(crate) type Res<T> = Result<T, DomainError>;

impl Store {
    /// Opens (creating if missing) and migrates the database at `url`: `sqlite://PATH` or
    /// `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, String> {
        let (backend, pool) = pool::open(url).await?;
        migrate::run(&pool, backend)
            .await
            .map_err(|e| format!("migrating {url}: {e}"))?;
        let armed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM faults")
            .fetch_one(&pool)
            .await
            .map_err(|e| e.to_string())?;
        let faults_armed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(armed > 0));
        Ok(Self {
            pool,
            backend,
            url: url.to_string(),
            faults_armed,
            status_cache: Some(Arc::new(StatusCache::new(crate::cache::DEFAULT_CAPACITY))),
            task_cache: Some(Arc::new(crate::cache::tasks::TaskCache::new(
                crate::cache::tasks::DEFAULT_CAPACITY,
            ))),
            cache_link: Arc::new(changes::CacheLink::new(backend)),
            write_turns: (backend == Backend::Sqlite).then(Arc::default),
            nonce_batcher: Arc::default(),
            batcher: Arc::new(batch::Batcher::new(backend)),
        })
    }

    /// Sets how many clusters the status cache holds (0: none). On PostgreSQL it answers only
    /// while [`Store::follow_status_changes`] runs.
    pub fn with_status_cache(mut self, capacity: usize) -> Self {
        self.status_cache = (capacity > 0).then(|| Arc::new(StatusCache::new(capacity)));
        self
    }

    /// How many clusters the status cache holds now.
    pub fn status_cache_len(&self) -> usize {
        self.status_cache.as_ref().map_or(0, |c| c.len())
    }

    /// Forgets a cluster in the status cache; called after every commit that changes its status
    /// rows (clusters, addon_instances, addon_status).
    pub(crate) fn changed(&self, cluster: &str) {
        if let Some(c) = &self.status_cache {
            c.remove(cluster);
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL it was opened with (for a LISTEN connection of its own).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// This process's turn to write (SQLite); hold it for the whole write.
    pub(crate) async fn write_turn(&self) -> WriteTurn {
        match &self.write_turns {
            Some(m) => Some(Arc::clone(m).lock_owned().await),
            None => None,
        }
    }

    /// A transaction that writes, with the turn it holds. On SQLite it takes the write lock up
    /// front, so it cannot fail when a read turns into a write after another commit.
    pub(crate) async fn write_tx(&self) -> Res<(WriteTurn, Transaction<'static, Any>)> {
        let turn = self.write_turn().await;
        let tx = match self.backend {
            Backend::Sqlite => self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(unavailable)?,
            Backend::Postgres => self.pool.begin().await.map_err(unavailable)?,
        };
        Ok((turn, tx))
    }

    /// Tells every replica's engine (PostgreSQL) that a task became runnable.
    pub async fn notify_tasks(&self) {
        if self.backend == Backend::Postgres {
            let _ = sqlx::query("SELECT pg_notify('ack_addons_tasks', '')")
                .execute(&self.pool)
                .await;
        }
    }

    /// Tells every replica to interrupt the running stage of this task (PostgreSQL).
    pub async fn notify_cancel(&self, task: &str) {
        if self.backend == Backend::Postgres {
            let _ = sqlx::query("SELECT pg_notify('ack_addons_cancel', $1)")
                .bind(task)
                .execute(&self.pool)
                .await;
        }
    }

    /// Follows the PostgreSQL notifications of every replica until the process ends, calling
    /// `on_wake` for "a task became runnable" and `on_cancel(task_id)` for "interrupt it". Does
    /// nothing on SQLite, whose one process signals itself.
    pub async fn listen(
        &self,
        on_wake: impl Fn() + Send + 'static,
        on_cancel: impl Fn(&str) + Send + 'static,
    ) {
        if self.backend != Backend::Postgres {
            return;
        }
        loop {
            match sqlx::postgres::PgListener::connect(&self.url).await {
                Ok(mut l) => {
                    if let Err(e) = l
                        .listen_all(["ack_addons_tasks", "ack_addons_cancel"])
                        .await
                    {
                        tracing::warn!(error = %e, "LISTEN failed; polling meanwhile");
                    } else {
                        // A reconnect may have missed notifications: look for work at once.
                        on_wake();
                        loop {
                            match l.recv().await {
                                Ok(n) if n.channel() == "ack_addons_cancel" => {
                                    on_cancel(n.payload())
                                }
                                Ok(_) => on_wake(),
                                Err(e) => {
                                    tracing::warn!(error = %e, "notification connection lost; polling meanwhile");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot LISTEN; polling meanwhile"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Whether the database answers and carries this build's schema (`/readyz`); the reason if not.
    pub async fn ready(&self) -> Result<(), String> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| format!("the database does not answer: {e}"))?;
        let want = migrate::latest(self.backend);
        match v {
            Some(v) if v >= want => Ok(()),
            v => Err(format!(
                "the database is at schema version {} of {want}",
                v.unwrap_or(0)
            )),
        }
    }

    /// Closes every connection, so SQLite folds its WAL back into the database file.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn keys(&self) -> Res<Vec<StoredKey>> {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT access_key_id, secret, account FROM access_keys ORDER BY created_at, access_key_id")
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(|(access_key_id, secret, account)| StoredKey {
                access_key_id,
                secret,
                account,
            })
            .collect())
    }

    /// Stores a key, replacing the secret and account of one with the same id.
    pub async fn put_key(&self, key: &StoredKey, now: i64) -> Res<()> {
        sqlx::query(
            "INSERT INTO access_keys (access_key_id, secret, account, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (access_key_id) DO UPDATE SET secret = excluded.secret, account = excluded.account",
        )
        .bind(&key.access_key_id)
        .bind(&key.secret)
        .bind(&key.account)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }
}
