//! DescribeClusterAddonsUpgradeStatus (the heart of the product), its singular form, and
//! DescribeClusterAddonsVersion.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_domain::DomainError;
use ack_domain::status::{AddonStatusView, view};
use ack_store::ClusterAddons;
use ack_wire::dto::{
    AddonVersionEntry, AddonsVersionMap, UpgradeStatusAddonInfo, UpgradeStatusEntry,
    UpgradeStatusMap, UpgradeStatusTask,
};
use ack_wire::time::{ZERO_TIME, rfc3339, rfc3339_or_zero};

fn view_of<'a>(st: &'a AppState, ca: &'a ClusterAddons, name: &'a str) -> AddonStatusView<'a> {
    let instance = ca.instances.iter().find(|i| i.name.as_str() == name);
    let latest = ca.statuses.iter().find(|s| s.component.as_str() == name);
    view(
        name,
        st.catalog.get(name),
        &ca.cluster.kubernetes_version,
        instance,
        latest,
    )
}

fn entry(v: &AddonStatusView<'_>) -> UpgradeStatusEntry {
    let tasks = match v.latest_task {
        Some(t) => UpgradeStatusTask {
            created_at: rfc3339(t.created_at),
            finished_at: rfc3339_or_zero(t.finished_at),
            is_canceled: t.is_canceled,
            status: t.status.as_str().into(),
            message: t.message.clone(),
        },
        None => UpgradeStatusTask {
            created_at: ZERO_TIME.into(),
            finished_at: ZERO_TIME.into(),
            is_canceled: false,
            status: String::new(),
            message: String::new(),
        },
    };
    UpgradeStatusEntry {
        tasks,
        addon_info: UpgradeStatusAddonInfo {
            component_name: v.name.to_string(),
            version: v.version.to_string(),
            ready_to_upgrade: if v.can_upgrade { "true" } else { "false" },
        },
        can_upgrade: v.can_upgrade,
    }
}

/// A name is shown when the cluster has it installed or the catalog knows it.
fn known(st: &AppState, ca: &ClusterAddons, name: &str) -> bool {
    st.catalog.get(name).is_some() || ca.instances.iter().any(|i| i.name.as_str() == name)
}

pub async fn many(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let id = ctx.cluster_id()?;
    let wanted = ctx.query_json_strings("componentIds")?;
    let ca = st.store.cluster_addons(&ctx.account, &id).await?;
    let mut out = UpgradeStatusMap::new();
    match wanted {
        // Names the catalog does not know are left out, as ACK does.
        Some(names) => {
            for name in names.iter().filter(|n| known(st, &ca, n)) {
                out.insert(name.clone(), entry(&view_of(st, &ca, name)));
            }
        }
        None => {
            for i in &ca.instances {
                out.insert(
                    i.name.to_string(),
                    entry(&view_of(st, &ca, i.name.as_str())),
                );
            }
        }
    }
    Reply::json(&out)
}

pub async fn one(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let id = ctx.cluster_id()?;
    let name = ctx.addon_name()?;
    let ca = st.store.cluster_addons(&ctx.account, &id).await?;
    if !known(st, &ca, name.as_str()) {
        return Err(DomainError::addon_not_found(name.as_str()).into());
    }
    let mut out = UpgradeStatusMap::new();
    out.insert(name.to_string(), entry(&view_of(st, &ca, name.as_str())));
    Reply::json(&out)
}

pub async fn versions(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let ca = st
        .store
        .cluster_addons(&ctx.account, &ctx.cluster_id()?)
        .await?;
    let names = st.catalog.addons.iter().map(|a| a.name.as_str()).chain(
        ca.instances
            .iter()
            .map(|i| i.name.as_str())
            .filter(|n| st.catalog.get(n).is_none()),
    );
    let mut out = AddonsVersionMap::new();
    for name in names {
        let v = view_of(st, &ca, name);
        let instance = ca.instances.iter().find(|i| i.name.as_str() == name);
        let addon = st.catalog.get(name);
        out.insert(
            name.to_string(),
            AddonVersionEntry {
                component_name: name.to_string(),
                version: v.version.to_string(),
                next_version: v.next_version.unwrap_or_default().to_string(),
                can_upgrade: v.can_upgrade,
                required: addon.is_some_and(|a| a.install_by_default),
                exist: instance.is_some(),
                changed: "false",
                policy: "overwrite",
                ready_to_upgrade: if v.can_upgrade { "true" } else { "false" },
                message: String::new(),
                value: String::new(),
                config: instance.map(|i| i.config.clone()).unwrap_or_default(),
                supported_actions: addon
                    .map(|a| a.supported_actions.clone())
                    .unwrap_or_default(),
            },
        );
    }
    Reply::json(&out)
}
