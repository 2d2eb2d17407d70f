use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The fields of CreateCluster's body this server uses; all other fields are accepted and ignored.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct CreateClusterRequest {
    pub name: Option<String>,
    pub region_id: Option<String>,
    pub cluster_type: Option<String>,
    pub cluster_spec: Option<String>,
    pub profile: Option<String>,
    pub kubernetes_version: Option<String>,
    pub vpcid: Option<String>,
    pub vswitch_ids: Option<Vec<String>>,
    pub zone_id: Option<String>,
    pub addons: Option<Vec<CreateClusterAddon>>,
    pub tags: Option<Vec<TagRequest>>,
}

/// One `{key, value}` of CreateCluster's `tags` or of ModifyClusterTags' body.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct TagRequest {
    pub key: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct CreateClusterAddon {
    pub name: Option<String>,
    pub version: Option<String>,
    pub config: Option<String>,
    pub disabled: Option<bool>,
}

/// DescribeClusterDetail, and each item of DescribeClustersV1. Types matter: Go decodes it into
/// typed structs, and aliyungo decodes `created`/`updated` as RFC 3339 times.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ClusterDetail {
    pub cluster_id: String,
    pub name: String,
    pub region_id: String,
    pub zone_id: String,
    pub cluster_type: String,
    pub profile: String,
    pub cluster_spec: String,
    pub state: String,
    pub size: i64,
    pub current_version: String,
    pub init_version: String,
    pub next_version: String,
    pub vpc_id: String,
    pub vswitch_id: String,
    pub vswitch_ids: Vec<String>,
    pub security_group_id: String,
    pub container_cidr: String,
    pub service_cidr: String,
    pub proxy_mode: String,
    pub network_mode: String,
    pub meta_data: String,
    pub parameters: BTreeMap<String, String>,
    pub tags: Vec<Tag>,
    pub deletion_protection: bool,
    pub private_zone: bool,
    pub created: String,
    pub updated: String,
    pub resource_group_id: String,
    pub master_url: String,
    pub maintenance_window: MaintenanceWindow,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MaintenanceWindow {
    pub enable: bool,
    pub maintenance_time: String,
    pub duration: String,
    pub weekly_period: String,
    pub recurrence: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ClustersPage {
    pub clusters: Vec<ClusterDetail>,
    pub page_info: super::PageInfo,
}

/// One add-on of InstallClusterAddons / UnInstallClusterAddons (`name`) or UpgradeClusterAddons
/// (`component_name`, `next_version`); unknown fields such as `policy` are accepted and ignored.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct AddonChangeRequest {
    pub name: Option<String>,
    pub component_name: Option<String>,
    pub version: Option<String>,
    pub next_version: Option<String>,
    pub config: Option<String>,
    pub cleanup_cloud_resources: Option<bool>,
    /// UpgradeClusterAddons: `overwrite` or `canary` (ack-addon-api.md §2).
    pub policy: Option<String>,
}

/// ModifyClusterAddon: `config` is a JSON document inside a string.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct ModifyAddonRequest {
    pub config: Option<String>,
}

/// The emulator's fault body.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct FaultRequest {
    pub cluster_id: Option<String>,
    pub component: Option<String>,
    pub operation: Option<String>,
    pub stage: Option<String>,
    pub error_code: Option<String>,
    pub message: Option<String>,
}
