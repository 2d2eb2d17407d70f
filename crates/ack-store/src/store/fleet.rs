//! DescribeFleetAddons' read: the account's add-ons counted in SQL, grouped by (add-on, version,
//! cluster Kubernetes version), so that a fleet of 100,000 clusters × 25 add-ons comes back as a
//! few hundred groups and the catalog rule runs once per group, not once per add-on row.

use super::{Res, Store};
use crate::unavailable;
use ack_domain::Tag;
use sqlx::AssertSqlSafe;

/// Which of the account's clusters count; `None` and empty match every cluster.
#[derive(Debug, Clone, Default)]
pub struct FleetFilter {
    pub region_id: Option<String>,
    /// Every one must be on the cluster.
    pub tags: Vec<Tag>,
    /// A prefix of the cluster's Kubernetes version (`1.30` matches `1.30.1-aliyun.1`).
    pub kubernetes_version: Option<String>,
}

/// Installed copies of one add-on at one version on clusters of one Kubernetes version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetGroup {
    pub name: String,
    pub version: String,
    pub kubernetes_version: String,
    pub clusters: u64,
    /// Of those, how many have a live task on this add-on.
    pub busy: u64,
}

/// Everything DescribeFleetAddons counts over the filtered clusters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetCounts {
    pub groups: Vec<FleetGroup>,
    /// Live tasks per add-on (installs in flight included), by name.
    pub running: Vec<(String, u64)>,
}

/// `c.account = $1 AND …` for the filter, with its values in order.
fn cluster_filter(account: &str, f: &FleetFilter) -> (String, Vec<String>) {
    let mut sql = "c.account = $1".to_string();
    let mut binds = vec![account.to_string()];
    if let Some(r) = &f.region_id {
        binds.push(r.clone());
        sql.push_str(&format!(" AND c.region_id = ${}", binds.len()));
    }
    if let Some(k) = &f.kubernetes_version {
        binds.push(k.clone());
        let n = binds.len();
        // substr rather than LIKE: no wildcards to escape, and case-sensitive on both back ends.
        sql.push_str(&format!(
            " AND substr(c.kubernetes_version, 1, length(${n})) = ${n}"
        ));
    }
    for t in &f.tags {
        binds.push(t.key.clone());
        binds.push(t.value.clone());
        let n = binds.len();
        // Driven by cluster_tags_by_kv: the tag picks the clusters, not a probe per cluster.
        sql.push_str(&format!(
            " AND c.cluster_id IN (SELECT cluster_id FROM cluster_tags WHERE tag_key = ${} AND tag_value = ${n})",
            n - 1
        ));
    }
    (sql, binds)
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Store {
    pub async fn fleet_addons(&self, account: &str, f: &FleetFilter) -> Res<FleetCounts> {
        let (where_sql, binds) = cluster_filter(account, f);
        let installed = format!(
            "SELECT i.name, i.version, c.kubernetes_version, COUNT(*)
             FROM clusters c JOIN addon_instances i ON i.cluster_id = c.cluster_id
             WHERE {where_sql} GROUP BY i.name, i.version, c.kubernetes_version"
        );
        // Live tasks are few (one per add-on in flight): read them apart, with the installed
        // version when there is one, rather than probing task_addons for every instance.
        let live = format!(
            "SELECT ta.component, i.version, c.kubernetes_version, COUNT(*)
             FROM task_addons ta JOIN clusters c ON c.cluster_id = ta.cluster_id
             LEFT JOIN addon_instances i ON i.cluster_id = ta.cluster_id AND i.name = ta.component
             WHERE ta.live = 1 AND {where_sql}
             GROUP BY ta.component, i.version, c.kubernetes_version"
        );
        let mut q = sqlx::query_as::<_, (String, String, String, i64)>(AssertSqlSafe(installed));
        for b in &binds {
            q = q.bind(b.clone());
        }
        let mut groups: Vec<FleetGroup> = q
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?
            .into_iter()
            .map(|(name, version, kubernetes_version, n)| FleetGroup {
                name,
                version,
                kubernetes_version,
                clusters: count(n),
                busy: 0,
            })
            .collect();
        let mut q = sqlx::query_as::<_, (String, Option<String>, String, i64)>(AssertSqlSafe(live));
        for b in &binds {
            q = q.bind(b.clone());
        }
        let mut running: Vec<(String, u64)> = Vec::new();
        for (name, version, kube, n) in q.fetch_all(&self.pool).await.map_err(unavailable)? {
            match running.iter_mut().find(|(r, _)| *r == name) {
                Some((_, total)) => *total += count(n),
                None => running.push((name.clone(), count(n))),
            }
            let Some(version) = version else { continue };
            if let Some(g) = groups
                .iter_mut()
                .find(|g| g.name == name && g.version == version && g.kubernetes_version == kube)
            {
                g.busy += count(n);
            }
        }
        groups.sort_by(|a, b| {
            (&a.name, &a.version, &a.kubernetes_version).cmp(&(
                &b.name,
                &b.version,
                &b.kubernetes_version,
            ))
        });
        running.sort();
        Ok(FleetCounts { groups, running })
    }
}
