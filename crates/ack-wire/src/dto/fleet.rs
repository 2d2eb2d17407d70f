//! DescribeFleetAddons (our own action, in ACK's snake_case style): per add-on, how the caller's
//! fleet runs it.

use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FleetAddonsResponse {
    pub addons: Vec<FleetAddon>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FleetAddon {
    pub name: String,
    /// Clusters with the add-on installed; `versions` adds up to it.
    pub installed: u64,
    /// Installed clusters where a newer catalog version suits and no task is in flight.
    pub upgradable: u64,
    /// Live tasks on this add-on.
    pub running_tasks: u64,
    /// Newest first.
    pub versions: Vec<FleetVersion>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FleetVersion {
    pub version: String,
    pub clusters: u64,
}
