use serde::Serialize;
use std::collections::BTreeMap;

/// DescribeClusterAddonsUpgradeStatus / DescribeClusterAddonUpgradeStatus: keyed by add-on name.
/// Borrowed from the snapshot it renders, so a poll copies no names or versions.
pub type UpgradeStatusMap<'a> = BTreeMap<&'a str, UpgradeStatusEntry<'a>>;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct UpgradeStatusEntry<'a> {
    pub tasks: UpgradeStatusTask<'a>,
    pub addon_info: UpgradeStatusAddonInfo<'a>,
    /// Not in the docs, but Terraform asserts it is a boolean on every entry.
    pub can_upgrade: bool,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct UpgradeStatusTask<'a> {
    pub created_at: String,
    pub finished_at: String,
    pub is_canceled: bool,
    pub status: &'static str,
    /// Terraform reads it as a string when present; never null.
    pub message: &'a str,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct UpgradeStatusAddonInfo<'a> {
    pub component_name: &'a str,
    pub version: &'a str,
    /// A string, "true" or "false", as documented.
    pub ready_to_upgrade: &'static str,
}

/// DescribeClusterAddonsVersion: keyed by add-on name; booleans are real booleans because
/// Terraform decodes them into typed fields (ack-addon-api.md §3.3).
pub type AddonsVersionMap = BTreeMap<String, AddonVersionEntry>;

#[derive(Debug, Serialize, schemars::JsonSchema)]
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
