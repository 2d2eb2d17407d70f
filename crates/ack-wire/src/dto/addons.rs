use serde::Serialize;
use std::collections::BTreeMap;

/// One catalog entry as ListAddons and DescribeAddon show it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AddonItem {
    pub name: String,
    pub version: String,
    pub category: String,
    /// A JSON-schema document, serialized into a string.
    pub config_schema: String,
    pub install_by_default: bool,
    pub managed: bool,
    pub supported_actions: Vec<String>,
    pub architecture: Vec<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListAddonsResponse {
    pub addons: Vec<AddonItem>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DescribeAddonResponse {
    #[serde(flatten)]
    pub addon: AddonItem,
    pub newer_versions: Vec<NewerVersion>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NewerVersion {
    pub version: String,
    pub upgradable: bool,
    pub minimum_cluster_version: String,
}

/// DescribeAddons keeps ACK's PascalCase top-level keys.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DescribeAddonsResponse {
    #[serde(rename = "ComponentGroups")]
    pub component_groups: Vec<ComponentGroup>,
    #[serde(rename = "StandardComponents")]
    pub standard_components: BTreeMap<String, StandardComponent>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ComponentGroup {
    pub group_name: String,
    pub items: Vec<ComponentGroupItem>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ComponentGroupItem {
    pub name: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct StandardComponent {
    pub name: String,
    pub version: String,
    pub description: String,
    /// A string here, unlike `disabled` (consistent across docs and SDK).
    pub required: &'static str,
    pub disabled: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AddonMetadata {
    pub name: String,
    pub version: String,
    pub config_schema: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InstanceSummary {
    pub name: String,
    pub version: String,
    pub state: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ListInstancesResponse {
    pub addons: Vec<InstanceSummary>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InstanceDetail {
    pub name: String,
    pub version: String,
    pub state: String,
    pub config: String,
    pub logging: InstanceLogging,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InstanceLogging {
    pub capable: bool,
    pub enabled: bool,
    pub log_project: String,
    pub logstore: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InstanceDescribe {
    pub name: String,
    pub version: String,
    pub state: String,
    pub config: String,
}

/// ListClusterAddonInstanceResources.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct InstanceResources {
    pub helm_release: HelmRelease,
    pub kubernetes_objects: Vec<KubernetesObject>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HelmRelease {
    pub chart_name: String,
    pub chart_version: String,
    pub namespace: String,
    pub release_name: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct KubernetesObject {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}
