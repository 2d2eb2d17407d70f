//! Fills the status cache from the database in pages, after the server is listening, so that
//! the first poll of each cluster does not pay for a database read.
//!
//! A page is read the way each back end does fastest (fleets of 25 add-ons a cluster): SQLite
//! builds one JSON row per cluster (the read path's own statement) in less than half the time
//! its two range scans took, as each row it returns costs more than the JSON (a million
//! clusters in 51 s against 117 s); PostgreSQL's JSON building costs more than its rows, so it
//! returns the page's add-on rows from two range scans (10,000 clusters in 0.6 s against 4 s).

use super::cluster_reads::{addons_columns, cluster_addons_of};
use super::{Backend, Res, Store};
use crate::cache::{StatusCache, Tickets};
use crate::{rows, unavailable};
use ack_domain::status::{AddonsSnapshot, Installed, LatestTask};
use ack_domain::task::UpgradeStatus;
use sqlx::{AnyConnection, AssertSqlSafe};
use std::collections::HashMap;

const PAGE: i64 = 500;

type InstanceRow = (String, String, String, String);
type StatusRow = (String, String, String, i64, Option<i64>, i64, String);

impl Store {
    /// Loads every cluster into the status cache until it is full; returns how many it holds.
    /// Clusters that a write touched meanwhile are left for their first call to load.
    pub async fn warm_status_cache(&self) -> Res<usize> {
        let Some(cache) = self
            .status_cache
            .clone()
            .filter(|_| self.cache_link.usable())
        else {
            return Ok(0);
        };
        // One connection of its own, closed at the end: the scan fills its page cache, which
        // would otherwise stay with a pooled connection for the life of the process.
        let mut conn = self.pool.acquire().await.map_err(unavailable)?.detach();
        let mut after = String::new();
        while !cache.is_full() {
            // Before any read, so that a write committed during the page refuses its clusters.
            let tickets = cache.tickets();
            let last = match self.backend {
                Backend::Sqlite => json_page(&mut conn, &cache, &tickets, &after).await?,
                Backend::Postgres => rows_page(&mut conn, &cache, &tickets, &after).await?,
            };
            let Some(last) = last else {
                break;
            };
            after = last;
            tokio::task::yield_now().await;
        }
        let _ = sqlx::Connection::close(conn).await;
        Ok(cache.len())
    }
}

/// Caches the page of clusters after `after` from one JSON row each; returns the page's last
/// cluster, or `None` past the end.
async fn json_page(
    conn: &mut AnyConnection,
    cache: &StatusCache,
    tickets: &Tickets,
    after: &str,
) -> Res<Option<String>> {
    let sql = format!(
        "SELECT c.*, {} FROM clusters c WHERE c.cluster_id > $1 ORDER BY c.cluster_id LIMIT $2",
        addons_columns(Backend::Sqlite, false)
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(after)
        .bind(PAGE)
        .fetch_all(&mut *conn)
        .await
        .map_err(unavailable)?;
    let Some(last) = rows.last() else {
        return Ok(None);
    };
    let last: String = rows::get(last, "cluster_id")?;
    for row in &rows {
        // A row this version cannot read (a status word it does not know) is left to the
        // database path, which reports it as corrupt.
        let Ok(ca) = cluster_addons_of(row) else {
            continue;
        };
        let id = ca.cluster.id.as_str();
        let ticket = cache.ticket_in(tickets, id);
        cache.store(ticket, id, &ca.cluster.account, &ca.snapshot());
    }
    Ok(Some(last))
}

/// [`json_page`] from the page's clusters and two range scans of their add-on rows.
async fn rows_page(
    conn: &mut AnyConnection,
    cache: &StatusCache,
    tickets: &Tickets,
    after: &str,
) -> Res<Option<String>> {
    let clusters: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT cluster_id, account, kubernetes_version FROM clusters
         WHERE cluster_id > $1 ORDER BY cluster_id LIMIT $2",
    )
    .bind(after)
    .bind(PAGE)
    .fetch_all(&mut *conn)
    .await
    .map_err(unavailable)?;
    let (Some(first), Some(last)) = (clusters.first(), clusters.last()) else {
        return Ok(None);
    };
    let (first, last) = (first.0.clone(), last.0.clone());
    let instances: Vec<InstanceRow> = sqlx::query_as(
        "SELECT cluster_id, name, version, config FROM addon_instances
         WHERE cluster_id >= $1 AND cluster_id <= $2",
    )
    .bind(&first)
    .bind(&last)
    .fetch_all(&mut *conn)
    .await
    .map_err(unavailable)?;
    let statuses: Vec<StatusRow> = sqlx::query_as(
        "SELECT cluster_id, component, status, created_at, finished_at, is_canceled, message
         FROM addon_status WHERE cluster_id >= $1 AND cluster_id <= $2",
    )
    .bind(&first)
    .bind(&last)
    .fetch_all(&mut *conn)
    .await
    .map_err(unavailable)?;
    let mut by_cluster: HashMap<&str, (Vec<&InstanceRow>, Vec<&StatusRow>)> = HashMap::new();
    for i in &instances {
        by_cluster.entry(&i.0).or_default().0.push(i);
    }
    for s in &statuses {
        by_cluster.entry(&s.0).or_default().1.push(s);
    }
    for (id, account, kube) in &clusters {
        let (inst, stat) = by_cluster.remove(id.as_str()).unwrap_or_default();
        // As in `json_page`: a status word this version does not know is the database path's.
        if stat.iter().any(|s| UpgradeStatus::parse(&s.2).is_none()) {
            continue;
        }
        let snap = AddonsSnapshot::merge(
            kube,
            inst.into_iter()
                .map(|(_, name, version, config)| (name.as_str(), Installed { version, config })),
            stat.into_iter()
                .filter_map(|(_, name, status, c, f, x, m)| {
                    Some((
                        name.as_str(),
                        LatestTask {
                            status: UpgradeStatus::parse(status)?,
                            created_at: *c,
                            finished_at: *f,
                            is_canceled: *x != 0,
                            message: m,
                        },
                    ))
                }),
        );
        cache.store(cache.ticket_in(tickets, id), id, account, &snap);
    }
    Ok(Some(last))
}
