//! Fleet rollouts: the vocabulary (states of a rollout, a wave and a member cluster) and the
//! request, parsed once at the edge into a selector and a strategy with every default filled in.
//! What a rollout does next is decided in the `ack-rollout` crate.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

mod parse;
pub use parse::parse_soak;

macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|x| x.as_str() == s)
            }
        }
    };
}

words!(
    /// A rollout's state.
    RolloutState { Running => "running", Paused => "paused", Success => "success", Fail => "fail", Canceled => "canceled" }
);
words!(
    /// A wave's state.
    WaveState { Pending => "pending", Running => "running", Success => "success", Fail => "fail", Canceled => "canceled" }
);
words!(
    /// A member cluster's state.
    MemberState {
        Pending => "pending", Running => "running", Success => "success", Fail => "fail",
        Skipped => "skipped", Canceled => "canceled", RolledBack => "rolled_back",
    }
);

impl RolloutState {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Success | Self::Fail | Self::Canceled)
    }
}

/// The error code of a rollout stopped by its failure gate.
pub const FAILURE_THRESHOLD: &str = "RolloutFailureThreshold";

/// Which clusters a rollout takes: every field ANDed, any value within a field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Selector {
    pub cluster_ids: Vec<String>,
    pub region_ids: Vec<String>,
    pub tags: BTreeMap<String, String>,
    /// Prefixes of the cluster's Kubernetes version.
    pub kubernetes_versions: Vec<String>,
    /// The add-on's installed versions.
    pub versions: Vec<String>,
}

/// How a rollout moves, with every default filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Strategy {
    pub canary: u32,
    pub wave_size: u32,
    pub wave_percent: u32,
    pub max_parallel: u32,
    pub max_failures: u32,
    /// As given (`30s`, `500ms`); `soak_ms` is what the driver uses.
    pub soak: String,
    #[serde(skip_serializing, default)]
    pub soak_ms: u64,
    pub rollback_on_failure: bool,
    pub pause_after_canary: bool,
}

impl Strategy {
    /// The size of a regular wave for `to_change` clusters: `wave_percent` of them (rounded
    /// up) when set, else `wave_size`; never zero.
    pub fn wave_len(&self, to_change: usize) -> usize {
        let n = if self.wave_percent > 0 {
            (to_change * self.wave_percent as usize).div_ceil(100)
        } else {
            self.wave_size as usize
        };
        n.max(1)
    }
}

/// A CreateAddonRollout body, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutSpec {
    pub addon: String,
    pub version: String,
    pub config: Option<String>,
    pub selector: Selector,
    pub strategy: Strategy,
    /// Whether `max_parallel` was given (else it follows the wave size, known once members are).
    pub max_parallel_given: bool,
    /// Answer the plan (members, skipped, waves) and create nothing: the console's preview.
    pub dry_run: bool,
}
