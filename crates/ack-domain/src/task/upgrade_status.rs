//! What DescribeClusterAddonsUpgradeStatus says of an add-on's latest task.

use crate::{AddonName, ClusterId, TaskId};

/// The upgrade-status `tasks.status` vocabulary (ack-addon-api.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpgradeStatus {
    /// Installing (or removing).
    Running,
    /// Upgrading or changing config.
    Upgrading,
    Paused,
    Success,
    Failed,
    Canceled,
}

impl UpgradeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "Running",
            Self::Upgrading => "Upgrading",
            Self::Paused => "Paused",
            Self::Success => "Success",
            Self::Failed => "Failed",
            Self::Canceled => "Canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Running,
            Self::Upgrading,
            Self::Paused,
            Self::Success,
            Self::Failed,
            Self::Canceled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    pub fn in_flight(self) -> bool {
        matches!(self, Self::Running | Self::Upgrading | Self::Paused)
    }
}

/// The latest task that touched one add-on of one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddonTaskStatus {
    pub cluster_id: ClusterId,
    pub component: AddonName,
    pub task_id: TaskId,
    pub status: UpgradeStatus,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub is_canceled: bool,
    pub message: String,
}
