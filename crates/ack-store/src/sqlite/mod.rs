//! The SQLite store: one file, WAL journal, foreign keys on.

pub mod control;
pub mod tasks;

use crate::{ClusterAddons, ClusterFilter, StoredKey, migrate, rows, unavailable};
use ack_domain::cluster::Cluster;
use ack_domain::instance::AddonInstance;
use ack_domain::{ClusterId, DomainError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: SqlitePool,
}

pub(crate) type Res<T> = Result<T, DomainError>;

impl Store {
    /// Opens (creating if missing) and migrates the database at `url` (`sqlite://path`).
    pub async fn connect(url: &str) -> Result<Self, String> {
        if !url.starts_with("sqlite:") {
            return Err(format!(
                "unsupported database URL {url:?}: this build serves sqlite://PATH"
            ));
        }
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| format!("database URL {url:?}: {e}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL with NORMAL survives a process crash with every committed transaction intact.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await
            .map_err(|e| format!("opening {url}: {e}"))?;
        migrate::sqlite(&pool)
            .await
            .map_err(|e| format!("migrating {url}: {e}"))?;
        Ok(Self { pool })
    }

    /// A transaction that writes: it takes SQLite's write lock up front, so it waits its turn
    /// (busy_timeout) instead of failing when a read turns into a write after another commit.
    pub(crate) async fn write_tx(&self) -> Res<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(unavailable)
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
            "INSERT INTO access_keys (access_key_id, secret, account, created_at) VALUES (?, ?, ?, ?)
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

    /// The cluster with its instances and latest add-on tasks, read in one snapshot.
    pub async fn cluster_addons(&self, account: &str, id: &ClusterId) -> Res<ClusterAddons> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let cluster = fetch_cluster(&mut tx, account, id).await?;
        let instances =
            sqlx::query("SELECT * FROM addon_instances WHERE cluster_id = ? ORDER BY name")
                .bind(id.as_str())
                .fetch_all(&mut *tx)
                .await
                .map_err(unavailable)?
                .iter()
                .map(rows::instance)
                .collect::<Res<Vec<_>>>()?;
        let statuses =
            sqlx::query("SELECT * FROM addon_status WHERE cluster_id = ? ORDER BY component")
                .bind(id.as_str())
                .fetch_all(&mut *tx)
                .await
                .map_err(unavailable)?
                .iter()
                .map(rows::addon_status)
                .collect::<Res<Vec<_>>>()?;
        tx.commit().await.map_err(unavailable)?;
        Ok(ClusterAddons {
            cluster,
            instances,
            statuses,
        })
    }

    /// One page of the account's clusters, oldest first, and the total that match.
    pub async fn list_clusters(
        &self,
        account: &str,
        f: &ClusterFilter,
        page_number: u32,
        page_size: u32,
    ) -> Res<(Vec<Cluster>, u64)> {
        let total: i64 = filtered("SELECT COUNT(*)", account, f)
            .build_query_scalar()
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        let mut page = filtered("SELECT *", account, f);
        page.push(" ORDER BY created_at, cluster_id LIMIT ")
            .push_bind(i64::from(page_size))
            .push(" OFFSET ")
            .push_bind(i64::from(page_number.saturating_sub(1)) * i64::from(page_size));
        let clusters = page
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?
            .iter()
            .map(rows::cluster)
            .collect::<Res<Vec<_>>>()?;
        Ok((clusters, u64::try_from(total).unwrap_or(0)))
    }

    /// Bulk load for `ack-addons import`: everything added to the returned session lands at
    /// `commit`, or nothing does.
    pub async fn begin_import(&self) -> Res<ImportSession> {
        Ok(ImportSession(self.write_tx().await?))
    }

    /// One batch in its own transaction (tests and small loads).
    pub async fn import(&self, batch: &[(Cluster, Vec<AddonInstance>)]) -> Res<()> {
        let mut s = self.begin_import().await?;
        s.add(batch).await?;
        s.commit().await
    }
}

pub struct ImportSession(Transaction<'static, Sqlite>);

impl ImportSession {
    /// Multi-row inserts of a batch of clusters with their instances.
    pub async fn add(&mut self, batch: &[(Cluster, Vec<AddonInstance>)]) -> Res<()> {
        let clusters: Vec<Cluster> = batch.iter().map(|(c, _)| c.clone()).collect();
        insert_clusters(&mut self.0, &clusters).await?;
        let instances: Vec<AddonInstance> =
            batch.iter().flat_map(|(_, i)| i.iter().cloned()).collect();
        insert_instances(&mut self.0, &instances).await
    }

    pub async fn commit(self) -> Res<()> {
        self.0.commit().await.map_err(unavailable)
    }
}

pub(crate) async fn fetch_cluster(
    conn: &mut sqlx::SqliteConnection,
    account: &str,
    id: &ClusterId,
) -> Res<Cluster> {
    let row = sqlx::query("SELECT * FROM clusters WHERE cluster_id = ? AND account = ?")
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

/// `SELECT … FROM clusters WHERE` the account and every filter that is set.
fn filtered(select: &str, account: &str, f: &ClusterFilter) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::new(select);
    q.push(" FROM clusters WHERE account = ")
        .push_bind(account.to_string());
    for (col, v) in [
        (" AND name = ", &f.name),
        (" AND cluster_type = ", &f.cluster_type),
        (" AND cluster_spec = ", &f.cluster_spec),
        (" AND profile = ", &f.profile),
        (" AND region_id = ", &f.region_id),
        (" AND cluster_id = ", &f.cluster_id),
    ] {
        if let Some(v) = v {
            q.push(col).push_bind(v.clone());
        }
    }
    q
}

/// SQLite allows 32766 bound parameters per statement.
const MAX_ROWS_PER_INSERT: usize = 2000;

pub(crate) async fn insert_clusters(
    tx: &mut Transaction<'_, Sqlite>,
    clusters: &[Cluster],
) -> Res<()> {
    for chunk in clusters.chunks(MAX_ROWS_PER_INSERT) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO clusters (cluster_id, account, name, region_id, zone_id, cluster_type, cluster_spec, profile,
             kubernetes_version, init_version, state, vpc_id, vswitch_ids, created_at, updated_at) ",
        );
        q.push_values(chunk, |mut b, c| {
            b.push_bind(c.id.as_str())
                .push_bind(&c.account)
                .push_bind(&c.name)
                .push_bind(&c.region_id)
                .push_bind(&c.zone_id)
                .push_bind(&c.cluster_type)
                .push_bind(&c.cluster_spec)
                .push_bind(&c.profile)
                .push_bind(&c.kubernetes_version)
                .push_bind(&c.init_version)
                .push_bind(&c.state)
                .push_bind(&c.vpc_id)
                .push_bind(serde_json::to_string(&c.vswitch_ids).unwrap_or_else(|_| "[]".into()))
                .push_bind(c.created_at)
                .push_bind(c.updated_at);
        });
        q.build()
            .execute(&mut **tx)
            .await
            .map_err(|e| conflict_or(e, "ClusterId", "a cluster with this id exists"))?;
    }
    Ok(())
}

pub(crate) async fn insert_instances(
    tx: &mut Transaction<'_, Sqlite>,
    instances: &[AddonInstance],
) -> Res<()> {
    for chunk in instances.chunks(MAX_ROWS_PER_INSERT) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO addon_instances (cluster_id, name, version, config, state, created_at, updated_at) ",
        );
        q.push_values(chunk, |mut b, i| {
            b.push_bind(i.cluster_id.as_str())
                .push_bind(i.name.as_str())
                .push_bind(&i.version)
                .push_bind(&i.config)
                .push_bind(i.state.as_str())
                .push_bind(i.created_at)
                .push_bind(i.updated_at);
        });
        q.build()
            .execute(&mut **tx)
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
