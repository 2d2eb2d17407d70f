//! Tasks: the durable record of every change. A task runs the stages precheck → apply → verify
//! over the add-ons it touches; pause and cancel are requests it honours between stages.

use crate::{AddonName, ClusterId, TaskId};
use serde::{Deserialize, Serialize};

mod outcome;
mod upgrade_status;
pub use outcome::Outcome;
pub use upgrade_status::{AddonTaskStatus, UpgradeStatus};

pub const STAGES: [&str; 3] = ["precheck", "apply", "verify"];

/// The stage that undoes a failed or canceled change once its apply stage has started.
pub const ROLLBACK_STAGE: &str = "rollback";

/// The error code of a task whose rollback failed: its add-ons are left broken (`unhealthy`).
pub const ROLLBACK_FAILED: &str = "RollbackFailed";

/// The task type of a rollout's return of a cluster to the version it had: an upgrade that
/// may go down.
pub const ROLLBACK_TASK_TYPE: &str = "addon_rollback";

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

/// A pause or cancel asked for and not yet carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    None,
    Pause,
    Cancel,
}

impl Control {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Pause => "pause",
            Self::Cancel => "cancel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::None, Self::Pause, Self::Cancel]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// What a task does to one add-on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Install,
    Upgrade,
    Uninstall,
    Modify,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Upgrade => "upgrade",
            Self::Uninstall => "uninstall",
            Self::Modify => "modify",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Install, Self::Upgrade, Self::Uninstall, Self::Modify]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// The upgrade-status word while it runs: `Running` installs (and removes), `Upgrading` changes.
    pub fn in_flight_status(self) -> UpgradeStatus {
        match self {
            Self::Install | Self::Uninstall => UpgradeStatus::Running,
            Self::Upgrade | Self::Modify => UpgradeStatus::Upgrading,
        }
    }
}

/// One add-on of a task: from which version to which, and the config to apply (None: keep).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskAddon {
    pub component: AddonName,
    pub operation: Operation,
    pub from_version: String,
    pub to_version: String,
    pub config: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub name: String,
    /// running, success, failed, canceled
    pub state: String,
    pub message: String,
    pub start_time: i64,
    pub end_time: Option<i64>,
}

impl Stage {
    /// A stage that ran from `start_time` to `end_time` and succeeded (the runner marks it
    /// otherwise when it did not).
    pub fn succeeded(name: &str, start_time: i64, end_time: i64) -> Self {
        Self {
            name: name.into(),
            state: "success".into(),
            message: String::new(),
            start_time,
            end_time: Some(end_time),
        }
    }
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

impl Event {
    pub fn new(action: &str, reason: &str, message: impl Into<String>, now: i64) -> Self {
        Self {
            action: action.into(),
            level: "Normal".into(),
            message: message.into(),
            reason: reason.into(),
            source: "ack-addons".into(),
            timestamp: now,
        }
    }

    pub fn warning(mut self) -> Self {
        self.level = "Warning".into();
        self
    }
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
    /// `cluster_create`, `cluster_delete`, `addon_install`, `addon_upgrade`, `addon_uninstall`,
    /// `addon_modify`.
    pub task_type: String,
    pub state: TaskState,
    /// How many of `STAGES` have completed.
    pub next_stage: usize,
    pub control: Control,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
    pub error: Option<TaskFailure>,
    pub stages: Vec<Stage>,
    pub events: Vec<Event>,
    pub addons: Vec<TaskAddon>,
    /// Set once the task is rolling back: how it ends when the rollback is done.
    pub rollback: Option<Outcome>,
}

impl Task {
    /// A new task, running from its first stage.
    pub fn new(
        account: &str,
        cluster_id: &ClusterId,
        task_type: &str,
        now: i64,
        addons: Vec<TaskAddon>,
    ) -> Self {
        Self {
            id: TaskId::generate(),
            account: account.to_string(),
            cluster_id: cluster_id.clone(),
            task_type: task_type.to_string(),
            state: TaskState::Running,
            next_stage: 0,
            control: Control::None,
            created_at: now,
            updated_at: now,
            finished_at: None,
            error: None,
            stages: Vec::new(),
            events: vec![Event::new(
                "TaskCreated",
                "Created",
                format!("{task_type} created"),
                now,
            )],
            addons,
            rollback: None,
        }
    }

    /// The stage running now, or the last one once the task ended.
    pub fn current_stage(&self) -> &'static str {
        if self.rollback.is_some() {
            return ROLLBACK_STAGE;
        }
        STAGES[self.next_stage.min(STAGES.len() - 1)]
    }

    /// Whether ending now, with stage `stage` (an index of `STAGES`) the last one started, must
    /// first undo the change (see `rollback_due`).
    pub fn rollback_due(&self, stage: usize) -> bool {
        rollback_due(&self.task_type, &self.addons, stage)
    }

    /// What the rollback stage does to each add-on: the change reversed, back to the version and
    /// config each had (`previous_config` reads the instance's config, which a change only
    /// replaces when it succeeds; an install had none).
    pub fn rollback_addons(
        &self,
        previous_config: impl Fn(&str) -> Option<String>,
    ) -> Vec<TaskAddon> {
        self.addons
            .iter()
            .filter(|a| a.operation != Operation::Uninstall)
            .map(|a| TaskAddon {
                component: a.component.clone(),
                operation: a.operation,
                from_version: a.to_version.clone(),
                to_version: a.from_version.clone(),
                config: match a.operation {
                    Operation::Install => None,
                    _ => previous_config(a.component.as_str()),
                },
            })
            .collect()
    }
}

/// Whether a task that ends after starting stage `stage` (an index of `STAGES`) must first undo
/// its change: only add-on installs, upgrades and config changes are undone, and only once their
/// apply stage has started (a precheck changes nothing).
pub fn rollback_due(task_type: &str, addons: &[TaskAddon], stage: usize) -> bool {
    matches!(
        task_type,
        "addon_install" | "addon_upgrade" | "addon_modify"
    ) && stage >= 1
        && addons.iter().any(|a| a.operation != Operation::Uninstall)
}

/// An injected fault: the next stage of a matching task fails with this code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub cluster_id: ClusterId,
    /// Empty matches any add-on.
    pub component: String,
    pub operation: Operation,
    pub stage: String,
    pub error_code: String,
    pub message: String,
}

/// A summary line of DescribeClusterTasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSummary {
    pub id: TaskId,
    pub task_type: String,
    pub state: TaskState,
    pub created_at: i64,
    pub updated_at: i64,
    pub error: Option<TaskFailure>,
}
