//! The catalog calls: DescribeAddons, ListAddons, DescribeAddon, DescribeClusterAddonMetadata.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_domain::catalog::{CatalogAddon, CatalogVersion};
use ack_domain::{ClusterId, DomainError};
use ack_wire::dto::{
    AddonItem, AddonMetadata, ComponentGroup, ComponentGroupItem, DescribeAddonResponse,
    DescribeAddonsResponse, ListAddonsResponse, NewerVersion, StandardComponent,
};
use std::collections::BTreeMap;

fn item(a: &CatalogAddon, v: &CatalogVersion) -> AddonItem {
    AddonItem {
        name: a.name.clone(),
        version: v.version.clone(),
        category: a.category.clone(),
        config_schema: a.config_schema.to_string(),
        install_by_default: a.install_by_default,
        managed: a.managed,
        supported_actions: a.supported_actions.clone(),
        architecture: a.architecture.clone(),
    }
}

/// The Kubernetes version to judge versions by: the cluster's when `cluster_id` is given,
/// else `cluster_version` if given, else none (every version counts).
async fn kube_version(st: &AppState, ctx: &Ctx) -> Result<Option<String>, ApiError> {
    if let Some(id) = ctx.query("cluster_id") {
        let c = st
            .store
            .cluster(&ctx.account, &ClusterId::parse(id)?)
            .await?;
        return Ok(Some(c.kubernetes_version));
    }
    Ok(ctx.query("cluster_version").map(str::to_string))
}

/// The catalog entry of the `version` query parameter; `None` when it is empty or absent.
fn requested_version<'a>(
    addon: &'a CatalogAddon,
    ctx: &Ctx,
) -> Result<Option<&'a CatalogVersion>, ApiError> {
    match ctx.query("version") {
        None => Ok(None),
        Some(v) => addon.version(v).map(Some).ok_or_else(|| {
            DomainError::AddonNotFound {
                name: addon.name.clone(),
                version: Some(v.to_string()),
            }
            .into()
        }),
    }
}

fn newest<'a>(a: &'a CatalogAddon, kube: Option<&str>) -> Option<&'a CatalogVersion> {
    match kube {
        Some(k) => a.latest_for(k),
        None => Some(a.latest()),
    }
}

pub async fn list(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let kube = kube_version(st, ctx).await?;
    let addons = st
        .catalog
        .addons
        .iter()
        .filter_map(|a| newest(a, kube.as_deref()).map(|v| item(a, v)))
        .collect();
    Reply::json(&ListAddonsResponse { addons })
}

pub async fn describe(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let name = ctx.addon_name()?;
    let kube = kube_version(st, ctx).await?;
    let addon = st.catalog.require(name.as_str())?;
    let v = match requested_version(addon, ctx)? {
        Some(v) => v,
        None => newest(addon, kube.as_deref()).ok_or_else(|| {
            ApiError::from(DomainError::invalid(
                "cluster_version",
                format!("no version of {name} runs on it"),
            ))
        })?,
    };
    let newer_versions = addon
        .newer_than(&v.version)
        .map(|n| NewerVersion {
            version: n.version.clone(),
            upgradable: kube.as_deref().is_none_or(|k| n.suits(k)),
            minimum_cluster_version: n.minimum_cluster_version.clone(),
        })
        .collect();
    Reply::json(&DescribeAddonResponse {
        addon: item(addon, v),
        newer_versions,
    })
}

pub fn describe_addons(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    if ctx.query("region").is_none() {
        return Err(ApiError::invalid("region", "it is required"));
    }
    let kube = ctx.query("cluster_version");
    let mut groups: Vec<ComponentGroup> = Vec::new();
    let mut standard = BTreeMap::new();
    for a in &st.catalog.addons {
        let Some(v) = newest(a, kube) else { continue };
        let group_name = if a.category.is_empty() {
            "other".to_string()
        } else {
            a.category.clone()
        };
        let item = ComponentGroupItem {
            name: a.name.clone(),
        };
        match groups.iter_mut().find(|g| g.group_name == group_name) {
            Some(g) => g.items.push(item),
            None => groups.push(ComponentGroup {
                group_name,
                items: vec![item],
            }),
        }
        standard.insert(
            a.name.clone(),
            StandardComponent {
                name: a.name.clone(),
                version: v.version.clone(),
                description: a.description.clone(),
                required: if a.install_by_default {
                    "true"
                } else {
                    "false"
                },
                disabled: false,
            },
        );
    }
    Reply::json(&DescribeAddonsResponse {
        component_groups: groups,
        standard_components: standard,
    })
}

pub async fn cluster_metadata(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let cluster = st.store.cluster(&ctx.account, &ctx.cluster_id()?).await?;
    let name = ctx.addon_name()?;
    let addon = st.catalog.require(name.as_str())?;
    let v = match requested_version(addon, ctx)? {
        Some(v) => v,
        None => addon
            .latest_for(&cluster.kubernetes_version)
            .unwrap_or_else(|| addon.latest()),
    };
    Reply::json(&AddonMetadata {
        name: addon.name.clone(),
        version: v.version.clone(),
        config_schema: addon.config_schema.to_string(),
    })
}
