//! The rollout planner: pure functions of what the store read, so every rule is unit-tested
//! without a database or a server.

use ack_domain::catalog::Catalog;
use ack_domain::fleet::{Ending, MemberRecord, Step, View, WaveChange};
use ack_domain::instance::{AddonInstance, InstanceState};
use ack_domain::lifecycle::precheck;
use ack_domain::rollout::{FAILURE_THRESHOLD, MemberState, RolloutState, Strategy, WaveState};
use ack_domain::task::{Operation, TaskAddon};
use ack_domain::{AddonName, ClusterId, DomainError};

/// A cluster the selector matched, with the add-on installed.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub cluster_id: ClusterId,
    pub kubernetes_version: String,
    /// The cluster's state (`running` when it can change).
    pub state: String,
    /// The add-on's installed version.
    pub version: String,
    /// The installed versions of the add-ons the target version requires.
    pub others: Vec<(String, String)>,
}

/// Wave sizes for `to_change` clusters: the canary first (when there is one), then waves of the
/// strategy's wave length; they add up to `to_change`.
pub fn cut_waves(to_change: usize, s: &Strategy) -> Vec<usize> {
    let mut waves = Vec::new();
    let canary = (s.canary as usize).min(to_change);
    if canary > 0 {
        waves.push(canary);
    }
    let len = s.wave_len(to_change);
    let mut left = to_change - canary;
    while left > 0 {
        let n = left.min(len);
        waves.push(n);
        left -= n;
    }
    waves
}

/// Why a candidate is skipped, if it is: it is at the version already, or the version does not
/// suit it (its Kubernetes version, a required add-on, a downgrade), as the precheck would say.
pub fn skip_reason(catalog: &Catalog, addon: &str, version: &str, c: &Candidate) -> Option<String> {
    if c.version == version {
        return Some(format!("{addon} is at {version} already"));
    }
    if c.state != "running" {
        return Some(format!("the cluster is {}, not running", c.state));
    }
    let name = AddonName::parse(addon).ok()?;
    let instance = |name: &str, version: &str| {
        Some(AddonInstance {
            cluster_id: c.cluster_id.clone(),
            name: AddonName::parse(name).ok()?,
            version: version.to_string(),
            config: String::new(),
            state: InstanceState::Active,
            created_at: 0,
            updated_at: 0,
        })
    };
    let mut have: Vec<AddonInstance> = c
        .others
        .iter()
        .filter_map(|(n, v)| instance(n, v))
        .collect();
    have.extend(instance(addon, &c.version));
    let change = TaskAddon {
        component: name,
        operation: Operation::Upgrade,
        from_version: c.version.clone(),
        to_version: version.to_string(),
        config: None,
    };
    precheck(catalog, &c.kubernetes_version, &have, &[change]).err()
}

/// The members of a new rollout, in cluster-id order, with their waves, and the wave sizes.
/// Refuses a selector that matched nothing.
pub fn members(
    catalog: &Catalog,
    addon: &str,
    version: &str,
    strategy: &Strategy,
    mut candidates: Vec<Candidate>,
) -> Result<(Vec<MemberRecord>, Vec<usize>), DomainError> {
    if candidates.is_empty() {
        return Err(DomainError::invalid(
            "selector",
            format!("it matches no cluster of this account with {addon} installed"),
        ));
    }
    candidates.sort_by(|a, b| a.cluster_id.cmp(&b.cluster_id));
    let reasons: Vec<Option<String>> = candidates
        .iter()
        .map(|c| skip_reason(catalog, addon, version, c))
        .collect();
    let to_change = reasons.iter().filter(|r| r.is_none()).count();
    let waves = cut_waves(to_change, strategy);
    // Wave of the k-th cluster to change.
    let mut wave_of = waves
        .iter()
        .enumerate()
        .flat_map(|(i, n)| std::iter::repeat_n(i, *n));
    let members = candidates
        .into_iter()
        .zip(reasons)
        .map(|(c, reason)| {
            let wave = if reason.is_none() {
                wave_of.next()
            } else {
                None
            };
            MemberRecord {
                cluster_id: c.cluster_id,
                wave,
                state: if wave.is_some() {
                    MemberState::Pending
                } else {
                    MemberState::Skipped
                },
                from_version: c.version,
                to_version: version.to_string(),
                task_id: None,
                message: reason.unwrap_or_default(),
            }
        })
        .collect();
    Ok((members, waves))
}

fn ending(state: RolloutState, code: &str, message: String) -> Ending {
    Ending {
        state,
        error_code: code.to_string(),
        error_message: message,
    }
}

/// Ends the current wave (when it runs) with `state`, and cancels every later one.
fn close_waves(v: &View, state: WaveState, now: i64, step: &mut Step) {
    let first_later = match &v.current {
        Some(w) if w.state == WaveState::Running => {
            step.waves.push(WaveChange {
                index: w.index,
                state,
                started_ms: None,
                finished_ms: Some(now),
            });
            w.index + 1
        }
        Some(w) if w.state == WaveState::Pending => w.index,
        Some(w) => w.index + 1,
        None => v.rollout.wave_count,
    };
    for index in first_later..v.rollout.wave_count {
        step.waves.push(WaveChange {
            index,
            state: WaveState::Canceled,
            started_ms: None,
            finished_ms: None,
        });
    }
}

/// The next step of a live rollout, from a fresh view, at `now` (Unix milliseconds).
pub fn decide(v: &View, now: i64) -> Step {
    let r = &v.rollout;
    let s = &r.strategy;
    let mut step = Step::default();
    if r.state.is_terminal() {
        return step;
    }
    let running = v.counts.running;
    if r.canceling {
        step.cancel = v.cancelable.clone();
        if running == 0 && v.rollbacks_live == 0 {
            close_waves(v, WaveState::Canceled, now, &mut step);
            step.end = Some(ending(RolloutState::Canceled, "", String::new()));
        }
        return step;
    }
    let tripped = r.tripped || v.counts.fail > u64::from(s.max_failures);
    step.trip = tripped && !r.tripped;
    if tripped {
        // Nothing new starts; what runs ends; then the moved clusters go back.
        if running > 0 {
            return step;
        }
        if s.rollback_on_failure && !v.rollback_candidates.is_empty() {
            step.start_rollback = v.rollback_candidates.clone();
            return step;
        }
        if v.rollbacks_live > 0 {
            return step;
        }
        close_waves(v, WaveState::Fail, now, &mut step);
        let message = format!(
            "{} clusters failed, more than max_failures {}{}",
            v.counts.fail,
            s.max_failures,
            if s.rollback_on_failure {
                "; the clusters already moved were rolled back"
            } else {
                ""
            }
        );
        step.end = Some(ending(RolloutState::Fail, FAILURE_THRESHOLD, message));
        return step;
    }
    let Some(wave) = &v.current else {
        // Every member was skipped: nothing to do.
        step.end = Some(ending(RolloutState::Success, "", String::new()));
        return step;
    };
    let free = |running_in_wave: u64| {
        usize::try_from(u64::from(s.max_parallel).saturating_sub(running_in_wave)).unwrap_or(0)
    };
    match wave.state {
        WaveState::Pending => {
            let soaked = match &v.previous {
                None => true,
                Some(p) => p
                    .finished_ms
                    .is_some_and(|f| now >= f + i64::try_from(s.soak_ms).unwrap_or(i64::MAX)),
            };
            if r.state == RolloutState::Running && soaked {
                step.waves.push(WaveChange {
                    index: wave.index,
                    state: WaveState::Running,
                    started_ms: Some(now),
                    finished_ms: None,
                });
                step.start = v.pending_in_wave.iter().take(free(0)).cloned().collect();
            }
        }
        WaveState::Running if v.wave_counts.pending + v.wave_counts.running == 0 => {
            let state = if v.wave_counts.fail > 0 {
                WaveState::Fail
            } else {
                WaveState::Success
            };
            step.waves.push(WaveChange {
                index: wave.index,
                state,
                started_ms: None,
                finished_ms: Some(now),
            });
            if wave.index + 1 < r.wave_count {
                step.current_wave = Some(wave.index + 1);
                step.pause = s.pause_after_canary
                    && wave.index == 0
                    && s.canary > 0
                    && state == WaveState::Success;
            } else {
                step.end = Some(ending(RolloutState::Success, "", String::new()));
            }
        }
        WaveState::Running if r.state == RolloutState::Running => {
            step.start = v
                .pending_in_wave
                .iter()
                .take(free(v.wave_counts.running))
                .cloned()
                .collect();
        }
        _ => {}
    }
    step
}

#[cfg(test)]
mod tests;
