//! Fills the status cache from the database in pages, after the server is listening, so that
//! the first poll of each cluster does not pay for a database read.

use super::cluster_reads::{addons_columns, cluster_addons_of};
use super::{Res, Store};
use crate::{rows, unavailable};
use sqlx::AssertSqlSafe;

const PAGE: i64 = 500;

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
        let sql = format!(
            "SELECT c.*, {} FROM clusters c WHERE c.cluster_id > $1 ORDER BY c.cluster_id LIMIT $2",
            addons_columns(self.backend, false)
        );
        let mut after = String::new();
        while !cache.is_full() {
            // Before any read, so that a write committed during the page refuses its clusters.
            let tickets = cache.tickets();
            let rows = sqlx::query(AssertSqlSafe(sql.clone()))
                .bind(&after)
                .bind(PAGE)
                .fetch_all(&mut conn)
                .await
                .map_err(unavailable)?;
            let Some(last) = rows.last() else {
                break;
            };
            let last: String = rows::get(last, "cluster_id")?;
            for row in &rows {
                // A row this version cannot read (a status word it does not know) is left to
                // the database path, which reports it as corrupt.
                let Ok(ca) = cluster_addons_of(row) else {
                    continue;
                };
                let id = ca.cluster.id.as_str();
                cache.store(
                    cache.ticket_in(&tickets, id),
                    id,
                    &ca.cluster.account,
                    &ca.snapshot(),
                );
            }
            after = last;
            tokio::task::yield_now().await;
        }
        let _ = sqlx::Connection::close(conn).await;
        Ok(cache.len())
    }
}
