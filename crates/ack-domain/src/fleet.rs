//! A rollout as stored and as the driver sees it: the records the store reads and writes, the
//! view one step of the driver decides on, and the step it decides. No I/O here; the deciding
//! itself is `ack_rollout::plan`.

use crate::rollout::{MemberState, RolloutState, Selector, Strategy, WaveState};
use crate::{ClusterId, RolloutId, TaskId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutRecord {
    pub id: RolloutId,
    pub account: String,
    pub addon: String,
    pub version: String,
    pub config: Option<String>,
    pub selector: Selector,
    pub strategy: Strategy,
    pub state: RolloutState,
    /// A cancel was asked for and is being carried out.
    pub canceling: bool,
    /// The failure gate tripped: no new forward task starts.
    pub tripped: bool,
    pub current_wave: usize,
    pub wave_count: usize,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub finished_ms: Option<i64>,
    pub error_code: String,
    pub error_message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveRecord {
    pub index: usize,
    pub size: usize,
    pub state: WaveState,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
}

/// One member cluster; `wave` is None for a skipped one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub cluster_id: ClusterId,
    pub wave: Option<usize>,
    pub state: MemberState,
    pub from_version: String,
    pub to_version: String,
    pub task_id: Option<TaskId>,
    pub message: String,
}

/// What the failure gate and a cancel's wait need of the whole rollout: its members running and
/// failed. Only those two: counting every member's state at every step cost the driver a read of
/// the whole rollout each time, so a step grew with the rollout's size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GateCounts {
    pub running: u64,
    pub fail: u64,
}

/// Members by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub pending: u64,
    pub running: u64,
    pub success: u64,
    pub fail: u64,
    pub skipped: u64,
    pub canceled: u64,
    pub rolled_back: u64,
}

impl Counts {
    pub fn add(&mut self, state: MemberState, n: u64) {
        let slot = match state {
            MemberState::Pending => &mut self.pending,
            MemberState::Running => &mut self.running,
            MemberState::Success => &mut self.success,
            MemberState::Fail => &mut self.fail,
            MemberState::Skipped => &mut self.skipped,
            MemberState::Canceled => &mut self.canceled,
            MemberState::RolledBack => &mut self.rolled_back,
        };
        *slot += n;
    }

    pub fn total(&self) -> u64 {
        self.pending
            + self.running
            + self.success
            + self.fail
            + self.skipped
            + self.canceled
            + self.rolled_back
    }
}

/// What one step of the driver decides on, read fresh for that step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub rollout: RolloutRecord,
    /// The current wave and the one before it (for the soak), when they exist.
    pub current: Option<WaveRecord>,
    pub previous: Option<WaveRecord>,
    pub counts: GateCounts,
    /// Counts of the current wave.
    pub wave_counts: Counts,
    /// Pending members of the current wave, in cluster-id order, as many as may start.
    pub pending_in_wave: Vec<ClusterId>,
    /// Members moved to the new version and not yet returned, with the version each had (read
    /// once the gate tripped).
    pub rollback_candidates: Vec<(ClusterId, String)>,
    /// Rollback tasks still running.
    pub rollbacks_live: u64,
    /// Running members' tasks not yet asked to cancel (read while canceling).
    pub cancelable: Vec<TaskId>,
}

/// A wave's new state, with its start or end time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveChange {
    pub index: usize,
    pub state: WaveState,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
}

/// How the rollout ends: its state, and the error shown (empty strings for none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub state: RolloutState,
    pub error_code: String,
    pub error_message: String,
}

/// What one step does. Applying it is one guarded transaction; the task starts and cancels it
/// names follow, each in its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    pub trip: bool,
    pub waves: Vec<WaveChange>,
    pub current_wave: Option<usize>,
    /// Paused after the canary wave.
    pub pause: bool,
    pub end: Option<Ending>,
    pub start: Vec<ClusterId>,
    /// Members to return, with the version each had.
    pub start_rollback: Vec<(ClusterId, String)>,
    pub cancel: Vec<TaskId>,
}

impl Step {
    /// Whether applying it changes the rollout's own rows (then the next step may do more
    /// at once, e.g. start the wave whose predecessor just ended).
    pub fn changes_rollout(&self) -> bool {
        self.trip
            || !self.waves.is_empty()
            || self.current_wave.is_some()
            || self.pause
            || self.end.is_some()
    }
}
