//! Reading clusters: one by id, one's add-on snapshot (through the status cache), and the
//! filtered, paged listing every listing call shares.

use super::{Res, Store, metrics};
use crate::cache::Lookup;
use crate::{ClusterFilter, rows, unavailable};
use ack_domain::cluster::Cluster;
use ack_domain::{ClusterId, DomainError};
use sqlx::AssertSqlSafe;

impl Store {
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
