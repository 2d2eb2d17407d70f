//! The store over one pool of either back end: an embedded SQLite file (WAL journal, foreign keys
//! on, one process) or a shared PostgreSQL (several replicas). The SQL is written once, with
//! `$n` placeholders both back ends accept; the few statements that differ say so.

mod batch;
mod changes;
mod claims;
mod cluster_reads;
pub mod control;
pub mod drive;
mod ends;
pub mod events;
mod faults;
pub mod finish;
pub mod fleet;
pub mod metrics;
mod nonces;
mod plain_starts;
mod pool;
pub mod raw_commits;
mod rollout_rows;
pub mod rollouts;
pub mod sessions;
mod sets;
pub mod stages;
pub mod starts;
mod tags;
mod task_info;
pub mod tasks;
mod together;
mod warm;
pub mod webhooks;

use crate::cache::{Lookup, StatusCache};
use crate::{ClusterFilter, StoredKey, migrate, rows, unavailable};
use ack_domain::cluster::Cluster;
use ack_domain::instance::AddonInstance;
use ack_domain::task::AddonTaskStatus;
use ack_domain::{ClusterId, DomainError};
use sqlx::{Any, AnyPool, AssertSqlSafe, Transaction};
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

    pub async fn cluster(&self, account: &str, id: &ClusterId) -> Res<Cluster> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        fetch_cluster(&mut conn, account, id).await
    }

    /// Renders a cluster's add-on snapshot with `f`: from the status cache when it holds the
    /// cluster, else from the database (keeping the result for the next call). With `only`, the
    /// snapshot needs to hold no more than those add-ons (it may hold all).
    pub async fn with_addons<R>(
        &self,
        account: &str,
        id: &ClusterId,
        only: Option<&[&str]>,
        f: impl FnOnce(&ack_domain::status::AddonsSnapshot<'_>) -> R,
    ) -> Res<R> {
        let Some(cache) = self
            .status_cache
            .as_ref()
            .filter(|_| self.cache_link.usable())
        else {
            let ca = self.cluster_addons(account, id).await?;
            return Ok(f(&ca.snapshot()));
        };
        let (ticket, f) = match cache.lookup(account, id.as_str(), only, f) {
            Lookup::Hit(Some(r)) => {
                metrics::count_cache(true);
                return Ok(r);
            }
            Lookup::Hit(None) => return Err(DomainError::ClusterNotFound(id.to_string())),
            Lookup::Miss(ticket, f) => (ticket, f),
        };
        metrics::count_cache(false);
        let ca = self.cluster_addons(account, id).await?;
        let snap = ca.snapshot();
        cache.store(ticket, id.as_str(), account, &snap);
        Ok(f(&snap))
    }

    /// One page of the account's clusters, oldest first, and the total that match.
    pub async fn list_clusters(
        &self,
        account: &str,
        f: &ClusterFilter,
        page_number: u32,
        page_size: u32,
    ) -> Res<(Vec<Cluster>, u64)> {
        let (where_sql, binds) = filtered(account, f);
        let (rows, total) = self
            .page_of(
                "clusters",
                &where_sql,
                binds,
                "created_at, cluster_id",
                page_number,
                page_size,
            )
            .await?;
        let clusters = rows.iter().map(rows::cluster).collect::<Res<Vec<_>>>()?;
        Ok((clusters, total))
    }

    /// One page of `table`'s rows that match `where_sql` (with `binds` as `$1…`), in `order`,
    /// and how many match in all: the shape of every listing call.
    pub(crate) async fn page_of(
        &self,
        table: &str,
        where_sql: &str,
        binds: Vec<String>,
        order: &str,
        page_number: u32,
        page_size: u32,
    ) -> Res<(Vec<sqlx::any::AnyRow>, u64)> {
        let mut count = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE {where_sql}"
        )));
        for b in &binds {
            count = count.bind(b.clone());
        }
        let total: i64 = count.fetch_one(&self.pool).await.map_err(unavailable)?;
        let n = binds.len();
        let mut page = sqlx::query(AssertSqlSafe(format!(
            "SELECT * FROM {table} WHERE {where_sql} ORDER BY {order} LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        )));
        for b in binds {
            page = page.bind(b);
        }
        let rows = page
            .bind(i64::from(page_size))
            .bind(i64::from(page_number.saturating_sub(1)) * i64::from(page_size))
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok((rows, u64::try_from(total).unwrap_or(0)))
    }

    /// Bulk load for `ack-addons import`: everything added to the returned session lands at
    /// `commit`, or nothing does.
    pub async fn begin_import(&self) -> Res<ImportSession> {
        let (turn, tx) = self.write_tx().await?;
        Ok(ImportSession {
            _turn: turn,
            tx,
            store: self.clone(),
            clusters: Vec::new(),
        })
    }

    /// One batch in its own transaction (tests and small loads).
    pub async fn import(&self, batch: &[(Cluster, Vec<AddonInstance>)]) -> Res<()> {
        let mut s = self.begin_import().await?;
        s.add(batch).await?;
        s.commit().await
    }
}

pub struct ImportSession {
    // Declared first so that the transaction ends before the turn is given back.
    tx: Transaction<'static, Any>,
    _turn: WriteTurn,
    store: Store,
    /// Forgotten by the status cache at commit.
    clusters: Vec<String>,
}

impl ImportSession {
    /// Multi-row inserts of a batch of clusters with their instances.
    pub async fn add(&mut self, batch: &[(Cluster, Vec<AddonInstance>)]) -> Res<()> {
        self.add_with_history(batch, &[]).await
    }

    /// Also records finished tasks as each add-on's latest (upgrade-status history).
    pub async fn add_with_history(
        &mut self,
        batch: &[(Cluster, Vec<AddonInstance>)],
        history: &[AddonTaskStatus],
    ) -> Res<()> {
        let clusters: Vec<Cluster> = batch.iter().map(|(c, _)| c.clone()).collect();
        insert_clusters(&mut self.tx, self.store.backend, &clusters).await?;
        self.clusters
            .extend(clusters.iter().map(|c| c.id.to_string()));
        let instances: Vec<AddonInstance> =
            batch.iter().flat_map(|(_, i)| i.iter().cloned()).collect();
        insert_instances(&mut self.tx, self.store.backend, &instances).await?;
        for chunk in history.chunks(MAX_ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO addon_status (cluster_id, component, task_id, status, created_at, finished_at, is_canceled, message) VALUES {}",
                values_placeholders(self.store.backend, chunk.len(), 8)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for h in chunk {
                q = q
                    .bind(h.cluster_id.to_string())
                    .bind(h.component.to_string())
                    .bind(h.task_id.to_string())
                    .bind(h.status.as_str())
                    .bind(h.created_at)
                    .bind(h.finished_at)
                    .bind(i64::from(h.is_canceled))
                    .bind(h.message.clone());
            }
            q.execute(&mut *self.tx)
                .await
                .map_err(|e| conflict_or(e, "addons", "an add-on is listed twice"))?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Res<()> {
        let clusters: Vec<&str> = self.clusters.iter().map(String::as_str).collect();
        self.store.commit_changed(self.tx, &clusters).await
    }
}

pub(crate) async fn fetch_cluster(
    conn: &mut sqlx::AnyConnection,
    account: &str,
    id: &ClusterId,
) -> Res<Cluster> {
    let row = sqlx::query("SELECT * FROM clusters WHERE cluster_id = $1 AND account = $2")
        .bind(id.as_str())
        .bind(account)
        .fetch_optional(conn)
        .await
        .map_err(unavailable)?;
    row.as_ref()
        .map(rows::cluster)
        .transpose()?
        .ok_or_else(|| DomainError::ClusterNotFound(id.to_string()))
}

/// The `WHERE` clause for the account and every filter that is set, with its values.
fn filtered(account: &str, f: &ClusterFilter) -> (String, Vec<String>) {
    let mut sql = "account = $1".to_string();
    let mut binds = vec![account.to_string()];
    for (col, v) in [
        ("name", &f.name),
        ("cluster_type", &f.cluster_type),
        ("cluster_spec", &f.cluster_spec),
        ("profile", &f.profile),
        ("region_id", &f.region_id),
        ("cluster_id", &f.cluster_id),
    ] {
        if let Some(v) = v {
            binds.push(v.clone());
            sql.push_str(&format!(" AND {col} = ${}", binds.len()));
        }
    }
    // Lower-cased on both sides, so that both back ends match alike (SQLite's LIKE ignores
    // ASCII case, PostgreSQL's does not).
    if let Some(q) = &f.search {
        let escaped: String = q
            .to_lowercase()
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        binds.push(format!("%{escaped}%"));
        binds.push(q.clone());
        sql.push_str(&format!(
            " AND (LOWER(name) LIKE ${} ESCAPE '\\' OR cluster_id = ${})",
            binds.len() - 1,
            binds.len()
        ));
    }
    for (k, v) in &f.tags {
        binds.push(k.clone());
        binds.push(v.clone());
        sql.push_str(&format!(
            " AND cluster_id IN (SELECT cluster_id FROM cluster_tags WHERE tag_key = ${} AND tag_value = ${})",
            binds.len() - 1,
            binds.len()
        ));
    }
    if let Some((addon, version)) = &f.addon {
        binds.push(addon.clone());
        let mut sub = format!("name = ${}", binds.len());
        if let Some(v) = version {
            binds.push(v.clone());
            sub.push_str(&format!(" AND version = ${}", binds.len()));
        }
        sql.push_str(&format!(
            " AND cluster_id IN (SELECT cluster_id FROM addon_instances WHERE {sub})"
        ));
    }
    (sql, binds)
}

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
pub(crate) fn chunk_queries<T>(
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

/// Binds rows of values into `sql`'s `{}` (the `VALUES` list) and runs it, in chunks.
pub(crate) async fn each_chunk<T>(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    sql: &str,
    cols: usize,
    rows: &[T],
    bind: impl Fn(AnyQuery, &T) -> AnyQuery,
) -> Res<()> {
    for q in chunk_queries(backend, sql, cols, rows, bind) {
        q.execute(&mut **tx).await.map_err(unavailable)?;
    }
    Ok(())
}

/// As [`each_chunk`], for a statement that returns rows (a `SELECT` or `RETURNING`): all of them.
pub(crate) async fn each_chunk_rows<T>(
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

/// Both back ends take this many rows of up to 15 values in one statement (SQLite allows 32766
/// bound values, PostgreSQL 65535).
pub(crate) const MAX_ROWS_PER_INSERT: usize = 2000;

pub(crate) async fn insert_clusters(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    clusters: &[Cluster],
) -> Res<()> {
    for chunk in clusters.chunks(MAX_ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO clusters (cluster_id, account, name, region_id, zone_id, cluster_type, cluster_spec, profile,
             kubernetes_version, init_version, state, vpc_id, vswitch_ids, created_at, updated_at) VALUES {}",
            values_placeholders(backend, chunk.len(), 15)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for c in chunk {
            q = q
                .bind(c.id.to_string())
                .bind(c.account.clone())
                .bind(c.name.clone())
                .bind(c.region_id.clone())
                .bind(c.zone_id.clone())
                .bind(c.cluster_type.clone())
                .bind(c.cluster_spec.clone())
                .bind(c.profile.clone())
                .bind(c.kubernetes_version.clone())
                .bind(c.init_version.clone())
                .bind(c.state.clone())
                .bind(c.vpc_id.clone())
                .bind(serde_json::to_string(&c.vswitch_ids).unwrap_or_else(|_| "[]".into()))
                .bind(c.created_at)
                .bind(c.updated_at);
        }
        q.execute(&mut **tx)
            .await
            .map_err(|e| conflict_or(e, "ClusterId", "a cluster with this id exists"))?;
    }
    tags::insert_tags(tx, backend, clusters).await
}

pub(crate) async fn insert_instances(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    instances: &[AddonInstance],
) -> Res<()> {
    for chunk in instances.chunks(MAX_ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO addon_instances (cluster_id, name, version, config, state, created_at, updated_at) VALUES {}",
            values_placeholders(backend, chunk.len(), 7)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for i in chunk {
            q = q
                .bind(i.cluster_id.to_string())
                .bind(i.name.to_string())
                .bind(i.version.clone())
                .bind(i.config.clone())
                .bind(i.state.as_str())
                .bind(i.created_at)
                .bind(i.updated_at);
        }
        q.execute(&mut **tx)
            .await
            .map_err(|e| conflict_or(e, "addons", "an add-on is listed twice"))?;
    }
    Ok(())
}

/// A unique-key violation is the client's doing (an id used twice); anything else is ours.
pub(crate) fn conflict_or(e: sqlx::Error, param: &str, reason: &str) -> DomainError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => DomainError::invalid(param, reason),
        _ => unavailable(e),
    }
}
