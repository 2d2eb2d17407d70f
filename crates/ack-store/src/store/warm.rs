//! Fills the status cache from the database in pages, after the server is listening, so that
//! the first poll of each cluster does not pay for a database read.

use super::{Res, Store};
use crate::unavailable;
use ack_domain::status::{AddonsSnapshot, Installed, LatestTask};
use ack_domain::task::UpgradeStatus;
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
            let clusters: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT cluster_id, account, kubernetes_version FROM clusters
                 WHERE cluster_id > $1 ORDER BY cluster_id LIMIT $2",
            )
            .bind(&after)
            .bind(PAGE)
            .fetch_all(&mut conn)
            .await
            .map_err(unavailable)?;
            let (Some(first), Some(last)) = (clusters.first(), clusters.last()) else {
                break;
            };
            let (first, last) = (first.0.clone(), last.0.clone());
            let instances: Vec<InstanceRow> = sqlx::query_as(
                "SELECT cluster_id, name, version, config FROM addon_instances
                 WHERE cluster_id >= $1 AND cluster_id <= $2",
            )
            .bind(&first)
            .bind(&last)
            .fetch_all(&mut conn)
            .await
            .map_err(unavailable)?;
            let statuses: Vec<StatusRow> = sqlx::query_as(
                "SELECT cluster_id, component, status, created_at, finished_at, is_canceled, message
                 FROM addon_status WHERE cluster_id >= $1 AND cluster_id <= $2",
            )
            .bind(&first)
            .bind(&last)
            .fetch_all(&mut conn)
            .await
            .map_err(unavailable)?;
            let mut by_cluster: HashMap<&str, (Vec<&InstanceRow>, Vec<&StatusRow>)> =
                HashMap::new();
            for i in &instances {
                by_cluster.entry(&i.0).or_default().0.push(i);
            }
            for s in &statuses {
                by_cluster.entry(&s.0).or_default().1.push(s);
            }
            for (id, account, kube) in &clusters {
                let (inst, stat) = by_cluster.remove(id.as_str()).unwrap_or_default();
                // A word this version does not know is left to the database path, which
                // reports it as corrupt.
                if stat.iter().any(|s| UpgradeStatus::parse(&s.2).is_none()) {
                    continue;
                }
                let snap = AddonsSnapshot::merge(
                    kube,
                    inst.into_iter().map(|(_, name, version, config)| {
                        (name.as_str(), Installed { version, config })
                    }),
                    stat.into_iter()
                        .filter_map(|(_, name, status, c, f, x, m)| {
                            let status = UpgradeStatus::parse(status)?;
                            Some((
                                name.as_str(),
                                LatestTask {
                                    status,
                                    created_at: *c,
                                    finished_at: *f,
                                    is_canceled: *x != 0,
                                    message: m,
                                },
                            ))
                        }),
                );
                cache.store(cache.ticket_in(&tickets, id), id, account, &snap);
            }
            after = last;
            tokio::task::yield_now().await;
        }
        let _ = sqlx::Connection::close(conn).await;
        Ok(cache.len())
    }
}
