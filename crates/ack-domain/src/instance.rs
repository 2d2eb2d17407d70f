//! Installed add-ons ("instances") and their states (ack-addon-api.md §4).

use crate::{AddonName, ClusterId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceState {
    /// Being installed.
    Initial,
    Active,
    Unhealthy,
    /// Version change in progress.
    Upgrading,
    /// Config change in progress.
    Updating,
    Deleting,
}

impl InstanceState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::Active => "active",
            Self::Unhealthy => "unhealthy",
            Self::Upgrading => "upgrading",
            Self::Updating => "updating",
            Self::Deleting => "deleting",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Initial,
            Self::Active,
            Self::Unhealthy,
            Self::Upgrading,
            Self::Updating,
            Self::Deleting,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddonInstance {
    pub cluster_id: ClusterId,
    pub name: AddonName,
    pub version: String,
    /// A JSON object, kept as the string the API shows.
    pub config: String,
    pub state: InstanceState,
    pub created_at: i64,
    pub updated_at: i64,
}
