//! The fleet file that `ack-addons import` loads: one cluster object per line (or a JSON array of
//! them) with its add-ons and their last task. Parsed here, pure, with the same rules as the API
//! (ACK's cluster names, Kubernetes version form, the catalog's names, versions and schemas,
//! bounded tags), so that an import cannot store what CreateCluster would refuse.

use crate::cluster::{CLUSTER_TYPES, Cluster, DEFAULT_KUBERNETES_VERSION};
use crate::instance::{AddonInstance, InstanceState};
use crate::name::{ClusterName, check_text};
use crate::task::{AddonTaskStatus, UpgradeStatus};
use crate::{AddonName, Catalog, ClusterId, TaskId, version};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetCluster {
    cluster_id: Option<String>,
    #[serde(default = "default_account")]
    account: String,
    name: String,
    #[serde(default = "default_region")]
    region_id: String,
    #[serde(default)]
    cluster_type: Option<String>,
    #[serde(default)]
    kubernetes_version: Option<String>,
    #[serde(default)]
    addons: Vec<FleetAddon>,
    #[serde(default)]
    tags: Vec<FleetTag>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetTag {
    key: Option<String>,
    #[serde(default)]
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetAddon {
    name: String,
    version: String,
    #[serde(default)]
    config: Option<String>,
    /// The add-on's latest finished task, for upgrade-status history.
    #[serde(default)]
    last_task: Option<FleetTask>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetTask {
    /// Success, Failed or Canceled.
    status: String,
    created_at: i64,
    finished_at: i64,
    #[serde(default)]
    message: String,
}

fn default_account() -> String {
    "default".into()
}

fn default_region() -> String {
    "cn-hangzhou".into()
}

/// One line of the JSON Lines form.
pub fn parse_line(
    catalog: &Catalog,
    line: &str,
    now: i64,
    history: &mut Vec<AddonTaskStatus>,
) -> Result<(Cluster, Vec<AddonInstance>), String> {
    let fc: FleetCluster = serde_json::from_str(line).map_err(|e| e.to_string())?;
    convert(catalog, fc, now, history)
}

pub fn convert(
    catalog: &Catalog,
    fc: FleetCluster,
    now: i64,
    history: &mut Vec<AddonTaskStatus>,
) -> Result<(Cluster, Vec<AddonInstance>), String> {
    let id = match fc.cluster_id.as_deref() {
        Some(s) => ClusterId::parse(s).map_err(|e| e.to_string())?,
        None => ClusterId::generate(),
    };
    let name = ClusterName::parse("name", &fc.name).map_err(|e| e.to_string())?;
    check_text("account", &fc.account, 128).map_err(|e| e.to_string())?;
    check_text("region_id", &fc.region_id, 64).map_err(|e| e.to_string())?;
    let kube = fc
        .kubernetes_version
        .unwrap_or_else(|| DEFAULT_KUBERNETES_VERSION.into());
    version::check_kubernetes("kubernetes_version", &kube).map_err(|e| e.to_string())?;
    let cluster_type = fc.cluster_type.unwrap_or_else(|| CLUSTER_TYPES[0].into());
    if !CLUSTER_TYPES.contains(&cluster_type.as_str()) {
        return Err(format!(
            "cluster_type {cluster_type:?} is not one of {CLUSTER_TYPES:?}"
        ));
    }
    let tags = crate::tag::parse_list(
        "tags",
        fc.tags
            .iter()
            .map(|t| (t.key.as_deref(), t.value.as_deref())),
    )
    .map_err(|e| e.to_string())?;
    let mut instances = Vec::with_capacity(fc.addons.len());
    for a in fc.addons {
        let addon = catalog
            .get(&a.name)
            .ok_or_else(|| format!("add-on {} is not in the catalog", a.name))?;
        if addon.version(&a.version).is_none() {
            return Err(format!("add-on {} has no version {}", a.name, a.version));
        }
        let config = match a.config {
            Some(c) => addon
                .check_config("config", &c)
                .map_err(|e| e.to_string())
                .map(|m| serde_json::Value::Object(m).to_string())?,
            None => addon.default_config(),
        };
        if let Some(t) = a.last_task {
            let status = UpgradeStatus::parse(&t.status)
                .filter(|s| !s.in_flight())
                .ok_or_else(|| {
                    format!(
                        "last_task.status {:?} is not Success, Failed or Canceled",
                        t.status
                    )
                })?;
            history.push(AddonTaskStatus {
                cluster_id: id.clone(),
                component: AddonName::parse(&a.name).map_err(|e| e.to_string())?,
                task_id: TaskId::generate(),
                status,
                created_at: t.created_at,
                finished_at: Some(t.finished_at),
                is_canceled: status == UpgradeStatus::Canceled,
                message: t.message,
            });
        }
        instances.push(AddonInstance {
            cluster_id: id.clone(),
            name: AddonName::parse(&a.name).map_err(|e| e.to_string())?,
            version: a.version,
            config,
            state: InstanceState::Active,
            created_at: now,
            updated_at: now,
        });
    }
    let cluster = Cluster {
        id,
        account: fc.account,
        name: name.into_string(),
        region_id: fc.region_id.clone(),
        zone_id: format!("{}-a", fc.region_id),
        cluster_type,
        cluster_spec: "ack.pro.small".into(),
        profile: "Default".into(),
        kubernetes_version: kube.clone(),
        init_version: kube,
        state: "running".into(),
        vpc_id: String::new(),
        vswitch_ids: Vec::new(),
        created_at: now,
        updated_at: now,
        tags,
    };
    Ok((cluster, instances))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, kube: &str) -> String {
        serde_json::json!({"cluster_id": "cf1", "name": name, "kubernetes_version": kube,
            "addons": [{"name": "coredns", "version": "v1.8.4.5-2ce07fd1-aliyun"}]})
        .to_string()
    }

    #[test]
    fn an_import_line_follows_the_apis_rules() {
        let catalog = Catalog::builtin();
        let mut history = Vec::new();
        let (c, addons) = parse_line(
            &catalog,
            &line("prod-1", "1.31.1-aliyun.1"),
            5,
            &mut history,
        )
        .unwrap();
        assert_eq!(
            (c.name.as_str(), addons.len(), c.created_at),
            ("prod-1", 1, 5)
        );
        for (name, kube, field) in [
            ("../etc", "1.31.1-aliyun.1", "name"),
            ("-x", "1.31.1-aliyun.1", "name"),
            ("a\u{0}b", "1.31.1-aliyun.1", "name"),
            ("ok", "1.31.1-alibaba", "kubernetes_version"),
            ("ok", "latest", "kubernetes_version"),
        ] {
            let e = parse_line(&catalog, &line(name, kube), 5, &mut history).unwrap_err();
            assert!(e.starts_with(field), "{name:?} {kube:?}: {e}");
        }
    }
}
