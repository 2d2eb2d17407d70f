//! How a task ended, and what that means for its state, its add-ons' upgrade status and its
//! message.

use super::{ROLLBACK_FAILED, TaskFailure, TaskState, UpgradeStatus};

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failed(TaskFailure),
    Canceled(String),
}

impl Outcome {
    pub fn task_state(&self) -> TaskState {
        match self {
            Self::Success => TaskState::Success,
            Self::Failed(_) => TaskState::Fail,
            Self::Canceled(_) => TaskState::Canceled,
        }
    }

    pub fn upgrade_status(&self) -> UpgradeStatus {
        match self {
            Self::Success => UpgradeStatus::Success,
            Self::Failed(_) => UpgradeStatus::Failed,
            Self::Canceled(_) => UpgradeStatus::Canceled,
        }
    }

    /// A failed rollback leaves the add-ons in no known state.
    pub fn leaves_broken(&self) -> bool {
        matches!(self, Self::Failed(f) if f.code == ROLLBACK_FAILED)
    }

    pub fn message(&self) -> String {
        match self {
            Self::Success => String::new(),
            Self::Failed(f) => format!("{}: {}", f.code, f.message),
            Self::Canceled(reason) => reason.clone(),
        }
    }
}
