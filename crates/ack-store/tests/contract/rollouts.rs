//! Rollbacks and rollouts, on a store the main suite is done with (account `ro`, so the other
//! accounts' counts stay as they were): the rollback phase of a task, and every table a rollout
//! uses, driven the way the API and the driver drive them.

use super::{change, cluster, instance};
use ack_domain::fleet::{Ending, MemberRecord, RolloutRecord, Step, WaveChange};
use ack_domain::instance::InstanceState;
use ack_domain::rollout::{MemberState, RolloutSpec, RolloutState, Selector, WaveState};
use ack_domain::task::{Operation, Outcome, ROLLBACK_FAILED, Stage, Task, TaskFailure, TaskState};
use ack_domain::{ClusterId, DomainError, RolloutId, Tag};
use ack_store::{ControlRequest, FinishGuard, MemberTask, Store, TaskStart};

const OLD: &str = "v1.8.4.5-2ce07fd1-aliyun";
const NEW: &str = "v1.11.3.2-f57ea7ed6-aliyun";

fn cid(s: &str) -> ClusterId {
    ClusterId::parse(s).unwrap()
}

async fn fleet(store: &Store) {
    let mut batch = Vec::new();
    for (i, (region, kube, env)) in [
        ("cn-hangzhou", "1.31.1-aliyun.1", "prod"),
        ("cn-hangzhou", "1.30.1-aliyun.1", "dev"),
        ("cn-beijing", "1.31.1-aliyun.1", "prod"),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("ro{i}");
        let mut c = cluster(&id, "ro", &id, 100);
        c.state = "running".into();
        c.region_id = region.into();
        c.kubernetes_version = kube.into();
        c.tags = vec![Tag {
            key: "env".into(),
            value: env.into(),
        }];
        batch.push((c, vec![instance(&id, "coredns", OLD)]));
    }
    store.import(&batch).await.unwrap();
}

async fn rollback_phase(store: &Store) {
    let task = Task::new(
        "ro",
        &cid("ro0"),
        "addon_upgrade",
        200,
        vec![change("coredns", Operation::Upgrade, OLD, NEW, None)],
    );
    store.start_task(&task, TaskStart::Addons).await.unwrap();
    assert!(
        store
            .claim("rb", 200, 260, 100)
            .await
            .unwrap()
            .contains(&task.id)
    );
    let failed = Outcome::Failed(TaskFailure {
        code: "HelmReleaseFailed".into(),
        message: "crash".into(),
    });
    let stages = vec![Stage {
        name: "apply".into(),
        state: "failed".into(),
        message: "crash".into(),
        start_time: 200,
        end_time: Some(201),
    }];
    assert!(
        !store
            .begin_rollback(&task.id, "someone-else", &failed, &stages, &[], 201)
            .await
            .unwrap(),
        "only the lease holder"
    );
    assert!(
        store
            .begin_rollback(&task.id, "rb", &failed, &stages, &[], 201)
            .await
            .unwrap()
    );
    assert!(
        !store
            .begin_rollback(&task.id, "rb", &failed, &stages, &[], 201)
            .await
            .unwrap(),
        "once"
    );
    super::info_matches(store, "ro", &task.id).await;
    // While it rolls back it is running, shows no error yet, and cannot be paused or canceled.
    let t = store.load_task(&task.id).await.unwrap();
    assert_eq!(
        (t.state, t.error.clone(), t.rollback.clone()),
        (TaskState::Running, None, Some(failed.clone()))
    );
    assert_eq!(t.current_stage(), "rollback");
    for req in [ControlRequest::Pause, ControlRequest::Cancel] {
        assert!(matches!(
            store.control("ro", &task.id, req, 202).await,
            Err(DomainError::TaskState { .. })
        ));
    }
    // The rollback itself fails: the add-on is broken, and an install may repair it.
    let broken = Outcome::Failed(TaskFailure {
        code: ROLLBACK_FAILED.into(),
        message: "no".into(),
    });
    assert!(
        store
            .finish(&t, FinishGuard::Lease("rb"), &broken, &stages, &[], 203)
            .await
            .unwrap()
    );
    let t = store.load_task(&task.id).await.unwrap();
    assert_eq!(
        (t.state, t.rollback, t.error.map(|e| e.code)),
        (TaskState::Fail, None, Some(ROLLBACK_FAILED.to_string()))
    );
    let ca = store.cluster_addons("ro", &cid("ro0")).await.unwrap();
    let inst = ca
        .instances
        .iter()
        .find(|i| i.name.as_str() == "coredns")
        .unwrap();
    assert_eq!(
        (inst.state, inst.version.as_str()),
        (InstanceState::Unhealthy, OLD)
    );
    let repair = Task::new(
        "ro",
        &cid("ro0"),
        "addon_install",
        204,
        vec![change("coredns", Operation::Install, "", OLD, Some("{}"))],
    );
    store.start_task(&repair, TaskStart::Addons).await.unwrap();
    let again = Task::new(
        "ro",
        &cid("ro0"),
        "addon_install",
        205,
        vec![change("coredns", Operation::Install, "", OLD, Some("{}"))],
    );
    assert!(matches!(
        store.start_task(&again, TaskStart::Addons).await,
        Err(DomainError::AddonBusy { .. })
    ));
    assert!(
        store
            .finish(
                &repair,
                FinishGuard::Lease("none"),
                &Outcome::Success,
                &[],
                &[],
                206
            )
            .await
            .is_ok_and(|ended| !ended)
    );
    store.claim("rb", 206, 300, 100).await.unwrap();
    assert!(
        store
            .finish(
                &repair,
                FinishGuard::Lease("rb"),
                &Outcome::Success,
                &[],
                &[],
                206
            )
            .await
            .unwrap()
    );
    let ca = store.cluster_addons("ro", &cid("ro0")).await.unwrap();
    assert_eq!(ca.instances[0].state, InstanceState::Active);
}

fn record(selector: Selector) -> RolloutRecord {
    let spec = RolloutSpec::parse(
        &serde_json::json!({"addon": "coredns", "version": NEW, "strategy": {"max_parallel": 5}}),
    )
    .unwrap();
    RolloutRecord {
        id: RolloutId::generate(),
        account: "ro".into(),
        addon: "coredns".into(),
        version: NEW.into(),
        config: None,
        selector,
        strategy: spec.strategy,
        state: RolloutState::Running,
        canceling: false,
        tripped: false,
        current_wave: 0,
        wave_count: 2,
        created_ms: 1_000,
        updated_ms: 1_000,
        finished_ms: None,
        error_code: String::new(),
        error_message: String::new(),
    }
}

async fn candidates(store: &Store, sel: Selector) -> Vec<String> {
    let (rows, _) = store
        .rollout_candidates("ro", "coredns", &sel, &[])
        .await
        .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

pub async fn suite(store: &Store) {
    fleet(store).await;
    rollback_phase(store).await;

    // Selectors: every field ANDed, any value within one.
    assert_eq!(
        candidates(store, Selector::default()).await,
        ["ro0", "ro1", "ro2"]
    );
    let tags = Selector {
        tags: [("env".to_string(), "prod".to_string())].into(),
        ..Selector::default()
    };
    assert_eq!(candidates(store, tags).await, ["ro0", "ro2"]);
    let kube = Selector {
        kubernetes_versions: vec!["1.30".into()],
        ..Selector::default()
    };
    assert_eq!(candidates(store, kube).await, ["ro1"]);
    let both = Selector {
        region_ids: vec!["cn-beijing".into(), "cn-hangzhou".into()],
        versions: vec![NEW.into()],
        ..Selector::default()
    };
    assert!(candidates(store, both).await.is_empty());
    assert!(
        store
            .rollout_candidates("other", "coredns", &Selector::default(), &[])
            .await
            .unwrap()
            .0
            .is_empty()
    );

    // Created whole, one live per add-on and account.
    let r = record(Selector::default());
    let member = |id: &str, wave: Option<usize>| MemberRecord {
        cluster_id: cid(id),
        wave,
        state: if wave.is_some() {
            MemberState::Pending
        } else {
            MemberState::Skipped
        },
        from_version: OLD.into(),
        to_version: NEW.into(),
        task_id: None,
        message: String::new(),
    };
    let members = vec![
        member("ro0", Some(0)),
        member("ro1", None),
        member("ro2", Some(1)),
    ];
    store.create_rollout(&r, &[1, 1], &members).await.unwrap();
    let second = record(Selector::default());
    assert!(
        matches!(store.create_rollout(&second, &[1], &members).await, Err(DomainError::RolloutBusy { rollout, .. }) if rollout == r.id.as_str())
    );
    let (got, waves, counts) = store.rollout("ro", &r.id).await.unwrap();
    assert_eq!(
        (got.strategy.max_parallel, got.wave_count, waves.len()),
        (5, 2, 2)
    );
    assert_eq!((counts.pending, counts.skipped, counts.total()), (2, 1, 3));
    assert!(matches!(
        store.rollout("other", &r.id).await,
        Err(DomainError::RolloutNotFound(_))
    ));
    let (page, total) = store
        .rollout_members("ro", &r.id, Some(MemberState::Pending), None, 1, 1)
        .await
        .unwrap();
    assert_eq!((total, page[0].cluster_id.as_str()), (2, "ro0"));
    let (page, _) = store
        .rollout_members("ro", &r.id, None, Some(-1), 1, 10)
        .await
        .unwrap();
    assert_eq!(
        page.iter()
            .map(|m| m.cluster_id.as_str())
            .collect::<Vec<_>>(),
        ["ro1"]
    );
    let (list, n) = store
        .list_rollouts("ro", Some("coredns"), Some(RolloutState::Running), 1, 10)
        .await
        .unwrap();
    assert_eq!((n, list[0].0.id.clone()), (1, r.id.clone()));

    // One driver at a time holds it.
    assert_eq!(
        store.claim_rollouts("d1", 2_000, 5_000).await.unwrap(),
        vec![r.id.clone()]
    );
    assert!(
        store
            .claim_rollouts("d2", 3_000, 6_000)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !store
            .apply_rollout_step(&r.id, "d2", &Step::default(), 3_000)
            .await
            .unwrap()
    );

    // A step starts wave 0 and its member's task, recorded together.
    let start = Step {
        waves: vec![WaveChange {
            index: 0,
            state: WaveState::Running,
            started_ms: Some(3_000),
            finished_ms: None,
        }],
        ..Step::default()
    };
    assert!(
        store
            .apply_rollout_step(&r.id, "d1", &start, 3_000)
            .await
            .unwrap()
    );
    let up = Task::new(
        "ro",
        &cid("ro0"),
        "addon_upgrade",
        300,
        vec![change("coredns", Operation::Upgrade, OLD, NEW, None)],
    );
    assert!(
        !store
            .start_member_task(&r.id, "d2", &up, MemberTask::Forward)
            .await
            .unwrap(),
        "not without the lease"
    );
    assert!(
        store
            .start_member_task(&r.id, "d1", &up, MemberTask::Forward)
            .await
            .unwrap()
    );
    assert!(
        !store
            .start_member_task(&r.id, "d1", &up, MemberTask::Forward)
            .await
            .unwrap(),
        "a member starts once"
    );
    let view = store.rollout_view(&r.id).await.unwrap();
    assert_eq!(
        (
            view.counts.running,
            view.wave_counts.running,
            view.current.unwrap().state
        ),
        (1, 1, WaveState::Running)
    );
    assert!(view.pending_in_wave.is_empty());

    // Its task ends; observing moves the member on.
    store.claim("rb", 300, 400, 100).await.unwrap();
    assert!(
        store
            .finish(
                &up,
                FinishGuard::Lease("rb"),
                &Outcome::Success,
                &[],
                &[],
                301
            )
            .await
            .unwrap()
    );
    store.observe_rollout(&r.id).await.unwrap();
    let view = store.rollout_view(&r.id).await.unwrap();
    assert_eq!((view.wave_counts.success, view.counts.running), (1, 0));
    let (_, _, all) = store.rollout("ro", &r.id).await.unwrap();
    assert_eq!((all.success, all.running), (1, 0));

    // Paused, resumed, canceled; a cancel is carried out by the driver's step.
    store
        .control_rollout("ro", &r.id, "paused", 4_000)
        .await
        .unwrap();
    assert_eq!(
        store.rollout_view(&r.id).await.unwrap().rollout.state,
        RolloutState::Paused
    );
    store
        .control_rollout("ro", &r.id, "resumed", 4_001)
        .await
        .unwrap();
    store
        .control_rollout("ro", &r.id, "canceled", 4_002)
        .await
        .unwrap();
    assert!(matches!(
        store.control_rollout("ro", &r.id, "paused", 4_003).await,
        Err(DomainError::RolloutState { .. })
    ));
    let view = store.rollout_view(&r.id).await.unwrap();
    assert!(view.rollout.canceling && view.cancelable.is_empty());
    let end = Step {
        end: Some(Ending {
            state: RolloutState::Canceled,
            error_code: String::new(),
            error_message: String::new(),
        }),
        ..Step::default()
    };
    assert!(
        store
            .apply_rollout_step(&r.id, "d1", &end, 4_100)
            .await
            .unwrap()
    );
    let (got, _, counts) = store.rollout("ro", &r.id).await.unwrap();
    assert_eq!(
        (got.state, got.finished_ms, counts.canceled, counts.success),
        (RolloutState::Canceled, Some(4_100), 1, 1)
    );
    assert!(matches!(
        store.control_rollout("ro", &r.id, "canceled", 4_200).await,
        Err(DomainError::RolloutState { .. })
    ));
    assert!(
        store
            .claim_rollouts("d2", 10_000, 20_000)
            .await
            .unwrap()
            .is_empty(),
        "an ended rollout is not driven"
    );
    // Ended, it no longer blocks a new one of the same add-on.
    store
        .create_rollout(&second, &[1], &members[..1])
        .await
        .unwrap();
    store
        .fail_member(&second.id, &cid("ro0"), "the cluster went away")
        .await
        .unwrap();
    let (_, _, counts) = store.rollout("ro", &second.id).await.unwrap();
    assert_eq!(counts.fail, 1);
}
