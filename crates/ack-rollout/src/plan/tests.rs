use super::*;
use ack_domain::fleet::{Counts, GateCounts, RolloutRecord, WaveRecord};
use ack_domain::rollout::{RolloutSpec, Selector};
use ack_domain::{RolloutId, TaskId};
use serde_json::json;

fn strategy(v: serde_json::Value) -> Strategy {
    RolloutSpec::parse(&json!({"addon": "coredns", "version": "v1", "strategy": v}))
        .unwrap()
        .strategy
}

fn cid(i: usize) -> ClusterId {
    ClusterId::parse(&format!("c{i:03}")).unwrap()
}

fn view(s: Strategy, waves: usize) -> View {
    View {
        rollout: RolloutRecord {
            id: RolloutId::parse("R-1").unwrap(),
            account: "a".into(),
            addon: "coredns".into(),
            version: "v1".into(),
            config: None,
            selector: Selector::default(),
            strategy: s,
            state: RolloutState::Running,
            canceling: false,
            tripped: false,
            current_wave: 0,
            wave_count: waves,
            created_ms: 0,
            updated_ms: 0,
            finished_ms: None,
            error_code: String::new(),
            error_message: String::new(),
        },
        current: (waves > 0).then(|| wave(0, WaveState::Pending, None)),
        previous: None,
        counts: GateCounts::default(),
        wave_counts: Counts::default(),
        pending_in_wave: (0..10).map(cid).collect(),
        rollback_candidates: Vec::new(),
        rollbacks_live: 0,
        cancelable: Vec::new(),
    }
}

fn wave(index: usize, state: WaveState, finished_ms: Option<i64>) -> WaveRecord {
    WaveRecord {
        index,
        size: 10,
        state,
        started_ms: None,
        finished_ms,
    }
}

#[test]
fn waves_are_cut_canary_first_and_add_up() {
    assert_eq!(
        cut_waves(47, &strategy(json!({"canary": 1, "wave_size": 10}))),
        vec![1, 10, 10, 10, 10, 6]
    );
    assert_eq!(
        cut_waves(7, &strategy(json!({"wave_percent": 30}))),
        vec![3, 3, 1]
    );
    assert_eq!(cut_waves(2, &strategy(json!({"canary": 5}))), vec![2]);
    assert!(cut_waves(0, &strategy(json!({"canary": 1}))).is_empty());
}

#[test]
fn members_skip_what_is_at_the_version_or_unsuited_and_take_waves_in_id_order() {
    let catalog = Catalog::builtin();
    let c = |i: usize, kube: &str, v: &str| Candidate {
        cluster_id: cid(i),
        kubernetes_version: kube.into(),
        state: "running".into(),
        version: v.into(),
        others: Vec::new(),
    };
    let to = "v1.11.3.2-f57ea7ed6-aliyun";
    let old = "v1.8.4.5-2ce07fd1-aliyun";
    let cands = vec![
        c(3, "1.31.1-aliyun.1", old),
        c(1, "1.31.1-aliyun.1", to),
        c(2, "1.20.4-aliyun.1", old),
        c(0, "1.31.1-aliyun.1", old),
    ];
    let (m, waves) = members(
        &catalog,
        "coredns",
        to,
        &strategy(json!({"canary": 1})),
        cands,
    )
    .unwrap();
    assert_eq!(waves, vec![1, 1]);
    let got: Vec<(String, Option<usize>, MemberState)> = m
        .iter()
        .map(|m| (m.cluster_id.to_string(), m.wave, m.state))
        .collect();
    assert_eq!(
        got,
        vec![
            ("c000".into(), Some(0), MemberState::Pending),
            ("c001".into(), None, MemberState::Skipped),
            ("c002".into(), None, MemberState::Skipped),
            ("c003".into(), Some(1), MemberState::Pending),
        ]
    );
    assert!(m[1].message.contains("already"));
    assert!(m[2].message.contains("Kubernetes"), "{}", m[2].message);
    let e = members(&catalog, "coredns", to, &strategy(json!({})), Vec::new()).unwrap_err();
    assert!(e.to_string().starts_with("selector is invalid"));
}

#[test]
fn a_wave_starts_at_most_max_parallel_and_tops_up_as_tasks_end() {
    let mut v = view(strategy(json!({"wave_size": 10, "max_parallel": 3})), 2);
    let step = decide(&v, 1000);
    assert_eq!(step.start, vec![cid(0), cid(1), cid(2)]);
    assert_eq!(step.waves[0].state, WaveState::Running);
    v.current = Some(wave(0, WaveState::Running, None));
    v.wave_counts = Counts {
        running: 2,
        pending: 8,
        success: 0,
        ..Counts::default()
    };
    v.counts = GateCounts {
        running: 2,
        fail: 0,
    };
    assert_eq!(decide(&v, 1001).start.len(), 1);
    v.rollout.state = RolloutState::Paused;
    assert!(
        decide(&v, 1001).start.is_empty(),
        "a paused rollout starts nothing"
    );
}

#[test]
fn the_next_wave_waits_for_the_soak() {
    let mut v = view(strategy(json!({"soak": "2s"})), 2);
    v.current = Some(wave(1, WaveState::Pending, None));
    v.previous = Some(wave(0, WaveState::Success, Some(10_000)));
    assert!(decide(&v, 11_999).waves.is_empty());
    let step = decide(&v, 12_000);
    assert_eq!(
        (step.waves[0].index, step.waves[0].state),
        (1, WaveState::Running)
    );
}

#[test]
fn a_wave_ends_when_its_members_have_and_the_canary_can_pause() {
    let mut v = view(
        strategy(json!({"canary": 1, "pause_after_canary": true})),
        3,
    );
    v.current = Some(wave(0, WaveState::Running, None));
    v.wave_counts = Counts {
        success: 1,
        ..Counts::default()
    };
    let step = decide(&v, 5);
    assert_eq!(
        step.waves,
        vec![WaveChange {
            index: 0,
            state: WaveState::Success,
            started_ms: None,
            finished_ms: Some(5)
        }]
    );
    assert_eq!(step.current_wave, Some(1));
    assert!(step.pause);
    v.current = Some(wave(2, WaveState::Running, None));
    let last = decide(&v, 6);
    assert!(!last.pause);
    assert_eq!(last.end.unwrap().state, RolloutState::Success);
}

#[test]
fn the_gate_trips_lets_running_tasks_end_then_rolls_back_then_fails() {
    let mut v = view(strategy(json!({"max_failures": 1, "max_parallel": 10})), 3);
    v.current = Some(wave(1, WaveState::Running, None));
    v.counts = GateCounts {
        fail: 1,
        running: 2,
    };
    v.wave_counts = Counts {
        fail: 1,
        running: 2,
        pending: 5,
        success: 3,
        ..Counts::default()
    };
    let within = decide(&v, 1);
    assert!(
        !within.trip && within.start.len() == 8,
        "one failure is within max_failures 1"
    );
    v.counts.fail = 2;
    let step = decide(&v, 1);
    assert!(step.trip && step.start.is_empty() && step.end.is_none());
    v.rollout.tripped = true;
    v.counts.running = 0;
    v.rollback_candidates = vec![(cid(7), "v0".into()), (cid(8), "v0".into())];
    assert_eq!(decide(&v, 2).start_rollback, v.rollback_candidates);
    v.rollback_candidates.clear();
    v.rollbacks_live = 1;
    assert!(decide(&v, 3).end.is_none());
    v.rollbacks_live = 0;
    let end = decide(&v, 4);
    let e = end.end.unwrap();
    assert_eq!(
        (e.state, e.error_code.as_str()),
        (RolloutState::Fail, FAILURE_THRESHOLD)
    );
    assert_eq!(
        end.waves
            .iter()
            .map(|w| (w.index, w.state))
            .collect::<Vec<_>>(),
        vec![(1, WaveState::Fail), (2, WaveState::Canceled)]
    );
}

#[test]
fn cancel_cancels_running_tasks_and_ends_once_they_have() {
    let mut v = view(strategy(json!({})), 2);
    v.rollout.canceling = true;
    v.current = Some(wave(0, WaveState::Running, None));
    v.counts = GateCounts {
        running: 1,
        fail: 0,
    };
    v.cancelable = vec![TaskId::parse("T-1").unwrap()];
    let step = decide(&v, 1);
    assert_eq!(step.cancel.len(), 1);
    assert!(step.end.is_none() && step.start.is_empty());
    v.counts.running = 0;
    let end = decide(&v, 2);
    assert_eq!(end.end.unwrap().state, RolloutState::Canceled);
    assert_eq!(end.waves.len(), 2);
}

#[test]
fn everything_skipped_ends_at_once() {
    let v = view(strategy(json!({})), 0);
    assert_eq!(decide(&v, 1).end.unwrap().state, RolloutState::Success);
}
