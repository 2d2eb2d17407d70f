//! Fleet rollouts (our own API beside ACK's, in its style): CreateAddonRollout,
//! DescribeAddonRollout, ListAddonRollouts and DescribeAddonRolloutClusters.

use super::PageInfo;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RolloutCreated {
    pub rollout_id: String,
    pub request_id: String,
    /// Member clusters, skipped ones included.
    pub total: u64,
}

/// CreateAddonRollout with `dry_run`: what would be made, nothing made.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RolloutPlan {
    pub dry_run: bool,
    pub request_id: String,
    /// Member clusters, skipped ones included.
    pub total: u64,
    pub skipped: u64,
    /// Clusters per wave, the canary first when there is one.
    pub waves: Vec<u64>,
    /// Why clusters would be skipped, with how many each time, most first.
    pub skip_reasons: Vec<SkipReason>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SkipReason {
    pub reason: String,
    pub clusters: u64,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RolloutInfo {
    pub rollout_id: String,
    pub addon: String,
    pub version: String,
    /// The config given to every cluster's upgrade; "" keeps each cluster's own.
    pub config: String,
    pub state: String,
    pub created: String,
    pub updated: String,
    /// The Go zero time until it ends.
    pub finished: String,
    pub selector: Value,
    pub strategy: Value,
    pub current_wave: i64,
    /// Left out of ListAddonRollouts' entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waves: Option<Vec<RolloutWave>>,
    pub counts: RolloutCounts,
    pub error: RolloutError,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RolloutWave {
    pub index: i64,
    pub size: i64,
    pub state: String,
    pub started: String,
    pub finished: String,
}

/// Members by state; they always add up to `total`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RolloutCounts {
    pub total: u64,
    pub pending: u64,
    pub running: u64,
    pub success: u64,
    pub fail: u64,
    pub skipped: u64,
    pub canceled: u64,
    pub rolled_back: u64,
}

/// Empty strings while there is none.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RolloutError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RolloutsPage {
    pub rollouts: Vec<RolloutInfo>,
    pub page_info: PageInfo,
    pub request_id: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RolloutMember {
    pub cluster_id: String,
    /// -1 for a skipped cluster.
    pub wave: i64,
    pub state: String,
    pub from_version: String,
    pub to_version: String,
    /// "" until its task starts.
    pub task_id: String,
    pub message: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RolloutMembersPage {
    pub clusters: Vec<RolloutMember>,
    pub page_info: PageInfo,
    pub request_id: String,
}
