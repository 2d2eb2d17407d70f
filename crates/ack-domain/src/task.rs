//! Tasks: the durable record of every change, and the per-add-on view of the latest one.

use crate::{AddonName, ClusterId, TaskId};
use serde::{Deserialize, Serialize};

/// DescribeTaskInfo's `state` vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    Running,
    Paused,
    Success,
    Fail,
    Canceled,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Success => "success",
            Self::Fail => "fail",
            Self::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Running,
            Self::Paused,
            Self::Success,
            Self::Fail,
            Self::Canceled,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Success | Self::Fail | Self::Canceled)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub name: String,
    pub state: String,
    pub message: String,
    pub start_time: i64,
    pub end_time: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub action: String,
    pub level: String,
    pub message: String,
    pub reason: String,
    pub source: String,
    pub timestamp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: TaskId,
    pub account: String,
    pub cluster_id: ClusterId,
    /// `cluster_create`, `cluster_delete`, `addon_install`, …
    pub task_type: String,
    pub state: TaskState,
    pub current_stage: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub error: Option<TaskFailure>,
    pub stages: Vec<Stage>,
    pub events: Vec<Event>,
}

impl Task {
    /// A task that completed as it was recorded (the read side's cluster create and delete).
    pub fn finished(
        account: &str,
        cluster_id: &ClusterId,
        task_type: &str,
        now: i64,
        events: Vec<Event>,
    ) -> Self {
        Self {
            id: TaskId::generate(),
            account: account.to_string(),
            cluster_id: cluster_id.clone(),
            task_type: task_type.to_string(),
            state: TaskState::Success,
            current_stage: String::new(),
            created_at: now,
            updated_at: now,
            error: None,
            stages: vec![Stage {
                name: task_type.to_string(),
                state: "success".into(),
                message: String::new(),
                start_time: now,
                end_time: Some(now),
            }],
            events,
        }
    }
}

/// The upgrade-status `tasks.status` vocabulary (ack-addon-api.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpgradeStatus {
    /// Installing.
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
