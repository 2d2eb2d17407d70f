//! `DomainError` says what went wrong in our terms; the server maps each variant to an ACK code
//! and HTTP status in one exhaustive match.

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DomainError {
    #[error("cluster ({0}) not found in our records")]
    ClusterNotFound(String),
    #[error("addon {name} not found{}", version_suffix(.version))]
    AddonNotFound {
        name: String,
        version: Option<String>,
    },
    #[error("task {0} not found")]
    TaskNotFound(String),
    #[error("{name} is invalid: {reason}")]
    InvalidParameter { name: String, reason: String },
    #[error("cluster {cluster} is {state}: {reason}")]
    ClusterState {
        cluster: String,
        state: String,
        reason: String,
    },
    #[error("addon {0} is already installed")]
    AddonAlreadyInstalled(String),
    #[error("addon {name} has a task in flight ({task}); wait for it, or pause or cancel it")]
    AddonBusy { name: String, task: String },
    #[error("task {task} is {state}: it cannot be {action}")]
    TaskState {
        task: String,
        state: String,
        action: String,
    },
    #[error("webhook {0} not found")]
    WebhookNotFound(String),
    #[error("rollout {0} not found")]
    RolloutNotFound(String),
    #[error("rollout {rollout} is {state}: it cannot be {action}")]
    RolloutState {
        rollout: String,
        state: String,
        action: String,
    },
    #[error("rollout {rollout} of {addon} is still in progress; wait for it, or cancel it")]
    RolloutBusy { addon: String, rollout: String },
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

fn version_suffix(version: &Option<String>) -> String {
    version
        .as_ref()
        .map(|v| format!(" at version {v}"))
        .unwrap_or_default()
}

impl DomainError {
    pub fn invalid(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidParameter {
            name: name.into(),
            reason: reason.into(),
        }
    }

    pub fn addon_not_found(name: impl Into<String>) -> Self {
        Self::AddonNotFound {
            name: name.into(),
            version: None,
        }
    }
}
