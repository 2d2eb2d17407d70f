//! Reading clusters with their add-ons: one cluster (the hot path of every status call), or
//! many in one statement (a rollout step's members).

use super::{Backend, Res, Store, values_placeholders};
use crate::cache::{Lookup, Ticket};
use crate::{ClusterAddons, rows, unavailable};
use ack_domain::task::Task;
use ack_domain::{ClusterId, DomainError};
use sqlx::AssertSqlSafe;
use std::collections::HashMap;

/// The add-on rows of cluster `c.cluster_id`, as JSON arrays both back ends can build; with
/// `only`, just those of the add-on named in CTE `k`.
pub(super) fn addons_columns(backend: Backend, only: bool) -> String {
    let (i, s) = if only {
        (
            " AND i.name IN (SELECT name FROM k)",
            " AND s.component IN (SELECT name FROM k)",
        )
    } else {
        ("", "")
    };
    match backend {
        Backend::Sqlite => format!(
            "(SELECT json_group_array(json_array(name, version, config, state, created_at, updated_at))
               FROM addon_instances i WHERE i.cluster_id = c.cluster_id{i}) AS instances_json,
             (SELECT json_group_array(json_array(component, task_id, status, created_at, finished_at, is_canceled, message))
               FROM addon_status s WHERE s.cluster_id = c.cluster_id{s}) AS statuses_json"
        ),
        Backend::Postgres => format!(
            "COALESCE((SELECT json_agg(json_build_array(name, version, config, state, created_at, updated_at))
               FROM addon_instances i WHERE i.cluster_id = c.cluster_id{i})::text, '[]') AS instances_json,
             COALESCE((SELECT json_agg(json_build_array(component, task_id, status, created_at, finished_at, is_canceled, message))
               FROM addon_status s WHERE s.cluster_id = c.cluster_id{s})::text, '[]') AS statuses_json"
        ),
    }
}

pub(super) fn cluster_addons_of(row: &sqlx::any::AnyRow) -> Res<ClusterAddons> {
    let cluster = rows::cluster(row)?;
    let (instances, statuses) = rows::addons_json(row, &cluster.id)?;
    Ok(ClusterAddons {
        cluster,
        instances,
        statuses,
    })
}

/// Clusters read at once by [`Store::clusters_addons`].
const CLUSTERS_PER_READ: usize = 500;

impl Store {
    /// The cluster with its instances and latest add-on tasks, in one statement: the hot path of
    /// every status call, where each round trip to the database costs more than the query (the
    /// add-on rows come back as JSON arrays, which both back ends can build).
    pub async fn cluster_addons(&self, account: &str, id: &ClusterId) -> Res<ClusterAddons> {
        self.cluster_addons_named(account, id, &[]).await
    }

    /// [`Store::cluster_addons`] with only the instances and statuses of the add-ons `names`
    /// (what a change of those add-ons is planned from), so that a cluster with many add-ons
    /// does not send all of them for a change of one. No names: the whole cluster.
    pub async fn cluster_addons_named(
        &self,
        account: &str,
        id: &ClusterId,
        names: &[&str],
    ) -> Res<ClusterAddons> {
        let n = names.len();
        let at = |k: usize| match self.backend {
            Backend::Postgres => format!("${k}"),
            Backend::Sqlite => "?".to_string(),
        };
        let k = if n == 0 {
            String::new()
        } else {
            format!(
                "WITH k (name) AS (VALUES {}) ",
                values_placeholders(self.backend, n, 1)
            )
        };
        let sql = format!(
            "{k}SELECT c.*, {} FROM clusters c WHERE c.cluster_id = {} AND c.account = {}",
            addons_columns(self.backend, n > 0),
            at(n + 1),
            at(n + 2)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for name in names {
            q = q.bind(*name);
        }
        let row = q
            .bind(id.as_str())
            .bind(account)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        let Some(row) = row else {
            return Err(DomainError::ClusterNotFound(id.to_string()));
        };
        cluster_addons_of(&row)
    }

    /// [`Store::cluster_addons`] of many clusters of the account in a few statements: those found,
    /// by id (a cluster missing from the answer is not the account's). With `only`, each holds
    /// just that add-on's instance and status (a rollout's members need no more).
    pub async fn clusters_addons(
        &self,
        account: &str,
        ids: &[ClusterId],
        only: Option<&str>,
    ) -> Res<HashMap<ClusterId, ClusterAddons>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(CLUSTERS_PER_READ) {
            // Numbered in the order they appear (SQLite's `?` are bound in that order).
            let at = |n: usize| match self.backend {
                Backend::Postgres => format!("${n}"),
                Backend::Sqlite => "?".to_string(),
            };
            let k = only.map_or_else(String::new, |_| {
                format!(", k (name) AS (VALUES ({}))", at(chunk.len() + 1))
            });
            let sql = format!(
                "WITH v (id) AS (VALUES {}){k} SELECT c.*, {} FROM clusters c
                 WHERE c.cluster_id IN (SELECT id FROM v) AND c.account = {}",
                values_placeholders(self.backend, chunk.len(), 1),
                addons_columns(self.backend, only.is_some()),
                at(chunk.len() + 1 + usize::from(only.is_some()))
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id.as_str());
            }
            if let Some(name) = only {
                q = q.bind(name);
            }
            let rows = q
                .bind(account)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
            for row in &rows {
                let ca = cluster_addons_of(row)?;
                out.insert(ca.cluster.id.clone(), ca);
            }
        }
        Ok(out)
    }

    /// Loads into the status cache, in one read, the clusters of `tasks` it does not hold, so
    /// that their prechecks (the first stage, which reads each task's cluster) find them there
    /// rather than making a round trip each. A failed read only leaves them to the prechecks.
    pub(crate) async fn prefetch_statuses(&self, tasks: &[Task]) {
        let Some(cache) = self
            .status_cache
            .as_ref()
            .filter(|_| self.cache_link.usable())
        else {
            return;
        };
        let mut missing: HashMap<&str, Vec<(ClusterId, Ticket)>> = HashMap::new();
        for t in tasks.iter().filter(|t| t.next_stage == 0) {
            if let Lookup::Miss(ticket, _) =
                cache.lookup(&t.account, t.cluster_id.as_str(), None, |_| ())
            {
                missing
                    .entry(t.account.as_str())
                    .or_default()
                    .push((t.cluster_id.clone(), ticket));
            }
        }
        for (account, clusters) in missing {
            let ids: Vec<ClusterId> = clusters.iter().map(|(id, _)| id.clone()).collect();
            let Ok(mut read) = self.clusters_addons(account, &ids, None).await else {
                return;
            };
            for (id, ticket) in clusters {
                if let Some(ca) = read.remove(&id) {
                    cache.store(ticket, id.as_str(), account, &ca.snapshot());
                }
            }
        }
    }
}
