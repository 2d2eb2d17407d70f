//! DescribeFleetAddons: `GET /fleet/addons` (`region_id`, `tag=key:value` repeatable and ANDed,
//! `kubernetes_version` prefix). The store counts in SQL by (add-on, version, Kubernetes
//! version); the catalog's upgrade rule runs here once per such group.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_domain::{Tag, version};
use ack_store::{FleetCounts, FleetFilter};
use ack_wire::dto::{FleetAddon, FleetAddonsResponse, FleetVersion};
use std::collections::BTreeMap;

pub async fn describe(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let tags = ctx
        .query
        .iter()
        .filter(|(k, _)| k == "tag")
        .map(|(_, v)| Tag::parse_filter("tag", v))
        .collect::<Result<Vec<_>, _>>()?;
    let filter = FleetFilter {
        region_id: ctx.query("region_id").map(str::to_string),
        tags,
        kubernetes_version: ctx.query("kubernetes_version").map(str::to_string),
    };
    let counts = st.store.fleet_addons(&ctx.account, &filter).await?;
    Reply::json(&summarize(&st.catalog, counts))
}

fn entry<'a>(by_name: &'a mut BTreeMap<String, FleetAddon>, name: &str) -> &'a mut FleetAddon {
    by_name
        .entry(name.to_string())
        .or_insert_with(|| FleetAddon {
            name: name.to_string(),
            installed: 0,
            upgradable: 0,
            running_tasks: 0,
            versions: Vec::new(),
        })
}

/// Folds the groups into one entry per add-on, sorted by name, versions newest first.
fn summarize(catalog: &ack_domain::Catalog, counts: FleetCounts) -> FleetAddonsResponse {
    let mut by_name: BTreeMap<String, FleetAddon> = BTreeMap::new();
    for g in counts.groups {
        let a = entry(&mut by_name, &g.name);
        a.installed += g.clusters;
        // The upgrade-status rule (`status::view`'s can_upgrade): a newer catalog version that
        // suits the cluster's Kubernetes version, and no task in flight.
        let has_target = catalog
            .get(&g.name)
            .and_then(|c| c.upgrade_target(&g.version, &g.kubernetes_version))
            .is_some();
        if has_target {
            a.upgradable += g.clusters.saturating_sub(g.busy);
        }
        match a.versions.iter_mut().find(|v| v.version == g.version) {
            Some(v) => v.clusters += g.clusters,
            None => a.versions.push(FleetVersion {
                version: g.version,
                clusters: g.clusters,
            }),
        }
    }
    for (name, n) in counts.running {
        entry(&mut by_name, &name).running_tasks = n;
    }
    let addons = by_name
        .into_values()
        .map(|mut a| {
            // Newest first; versions that compare equal keep a stable, readable order.
            a.versions.sort_by(|x, y| {
                version::compare(&y.version, &x.version).then_with(|| x.version.cmp(&y.version))
            });
            a
        })
        .collect();
    FleetAddonsResponse { addons }
}
