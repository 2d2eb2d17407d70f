use serde::Serialize;
use std::collections::BTreeMap;

/// DescribeClusterAddonsUpgradeStatus / DescribeClusterAddonUpgradeStatus: keyed by add-on name.
pub type UpgradeStatusMap = BTreeMap<String, UpgradeStatusEntry>;

#[derive(Debug, Serialize)]
pub struct UpgradeStatusEntry {
    pub tasks: UpgradeStatusTask,
    pub addon_info: UpgradeStatusAddonInfo,
    /// Not in the docs, but Terraform asserts it is a boolean on every entry.
    pub can_upgrade: bool,
}

#[derive(Debug, Serialize)]
pub struct UpgradeStatusTask {
    pub created_at: String,
    pub finished_at: String,
    pub is_canceled: bool,
    pub status: String,
    /// Terraform reads it as a string when present; never null.
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct UpgradeStatusAddonInfo {
    pub component_name: String,
    pub version: String,
    /// A string, "true" or "false", as documented.
    pub ready_to_upgrade: &'static str,
}

/// DescribeClusterAddonsVersion: keyed by add-on name; booleans are real booleans because
/// Terraform decodes them into typed fields (ack-addon-api.md §3.3).
pub type AddonsVersionMap = BTreeMap<String, AddonVersionEntry>;

#[derive(Debug, Serialize)]
pub struct AddonVersionEntry {
    pub component_name: String,
    pub version: String,
    pub next_version: String,
    pub can_upgrade: bool,
    pub required: bool,
    pub exist: bool,
    pub changed: &'static str,
    pub policy: &'static str,
    pub ready_to_upgrade: &'static str,
    pub message: String,
    pub value: String,
    pub config: String,
    pub supported_actions: Vec<String>,
}
