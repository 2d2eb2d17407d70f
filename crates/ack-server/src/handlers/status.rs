//! DescribeClusterAddonsUpgradeStatus (the heart of the product), its singular form, and
//! DescribeClusterAddonsVersion.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_domain::DomainError;
use ack_domain::status::{AddonStatusView, AddonsSnapshot, view};
use ack_wire::dto::{
    AddonVersionEntry, AddonsVersionMap, UpgradeStatusAddonInfo, UpgradeStatusEntry,
    UpgradeStatusMap, UpgradeStatusTask,
};
use ack_wire::time::{ZERO_TIME, rfc3339, rfc3339_or_zero};

fn view_of<'a>(st: &'a AppState, snap: &AddonsSnapshot<'a>, name: &'a str) -> AddonStatusView<'a> {
    view(
        name,
        st.catalog.get(name),
        snap.kubernetes_version,
        snap.get(name),
    )
}

fn entry<'a>(v: &AddonStatusView<'a>) -> UpgradeStatusEntry<'a> {
    let tasks = match v.latest_task {
        Some(t) => UpgradeStatusTask {
            created_at: rfc3339(t.created_at),
            finished_at: rfc3339_or_zero(t.finished_at),
            is_canceled: t.is_canceled,
            status: t.status.as_str(),
            message: t.message,
        },
        None => UpgradeStatusTask {
            created_at: ZERO_TIME.into(),
            finished_at: ZERO_TIME.into(),
            is_canceled: false,
            status: "",
            message: "",
        },
    };
    UpgradeStatusEntry {
        tasks,
        addon_info: UpgradeStatusAddonInfo {
            component_name: v.name,
            version: v.version,
            ready_to_upgrade: if v.can_upgrade { "true" } else { "false" },
        },
        can_upgrade: v.can_upgrade,
    }
}

/// A name is shown when the cluster has it installed or the catalog knows it.
fn known(st: &AppState, snap: &AddonsSnapshot<'_>, name: &str) -> bool {
    st.catalog.get(name).is_some() || snap.get(name).is_some_and(|a| a.installed.is_some())
}

pub async fn many(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let id = ctx.cluster_id()?;
    let wanted = ctx.query_json_strings("componentIds")?;
    let render = |snap: &AddonsSnapshot<'_>| {
        let mut out = UpgradeStatusMap::new();
        match &wanted {
            // Names the catalog does not know are left out, as ACK does.
            Some(names) => {
                for name in names.iter().filter(|n| known(st, snap, n)) {
                    out.insert(name.as_str(), entry(&view_of(st, snap, name)));
                }
            }
            None => {
                for a in snap.installed() {
                    out.insert(a.name, entry(&view_of(st, snap, a.name)));
                }
            }
        }
        Reply::json(&out)
    };
    let only: Option<Vec<&str>> = wanted
        .as_ref()
        .map(|names| names.iter().map(String::as_str).collect());
    st.store
        .with_addons(&ctx.account, &id, only.as_deref(), render)
        .await?
}

pub async fn one(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let id = ctx.cluster_id()?;
    let name = ctx.addon_name()?;
    let render = |snap: &AddonsSnapshot<'_>| {
        if !known(st, snap, name.as_str()) {
            return Err(DomainError::addon_not_found(name.as_str()).into());
        }
        let mut out = UpgradeStatusMap::new();
        out.insert(name.as_str(), entry(&view_of(st, snap, name.as_str())));
        Reply::json(&out)
    };
    st.store
        .with_addons(&ctx.account, &id, Some(&[name.as_str()]), render)
        .await?
}

pub async fn versions(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let render = |snap: &AddonsSnapshot<'_>| {
        let names = st.catalog.addons.iter().map(|a| a.name.as_str()).chain(
            snap.installed()
                .map(|a| a.name)
                .filter(|n| st.catalog.get(n).is_none()),
        );
        let mut out = AddonsVersionMap::new();
        for name in names {
            let v = view_of(st, snap, name);
            let installed = snap.get(name).and_then(|a| a.installed);
            let addon = st.catalog.get(name);
            out.insert(
                name.to_string(),
                AddonVersionEntry {
                    component_name: name.to_string(),
                    version: v.version.to_string(),
                    next_version: v.next_version.unwrap_or_default().to_string(),
                    can_upgrade: v.can_upgrade,
                    required: addon.is_some_and(|a| a.install_by_default),
                    exist: installed.is_some(),
                    changed: "false",
                    policy: "overwrite",
                    ready_to_upgrade: if v.can_upgrade { "true" } else { "false" },
                    message: String::new(),
                    value: String::new(),
                    config: installed.map(|i| i.config.to_string()).unwrap_or_default(),
                    supported_actions: addon
                        .map(|a| a.supported_actions.clone())
                        .unwrap_or_default(),
                },
            );
        }
        Reply::json(&out)
    };
    st.store
        .with_addons(&ctx.account, &ctx.cluster_id()?, None, render)
        .await?
}
