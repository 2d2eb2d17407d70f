//! The store contract: one suite, run against a real SQLite file (PostgreSQL joins it with the
//! shared-store issue). It drives the store the way the server and the engine do.

use ack_domain::cluster::Cluster;
use ack_domain::instance::{AddonInstance, InstanceState};
use ack_domain::task::{
    Control, Fault, Operation, Outcome, Stage, Task, TaskAddon, TaskFailure, TaskState,
    UpgradeStatus,
};
use ack_domain::{AddonName, ClusterId, DomainError};
use ack_store::{
    ClusterFilter, ControlEffect, ControlRequest, FinishGuard, StageDone, Store, StoredKey,
    TaskStart,
};

#[path = "contract/batch.rs"]
mod batch;
#[path = "contract/events.rs"]
mod events;
#[path = "contract/rollouts.rs"]
mod rollouts;
#[path = "contract/sessions.rs"]
mod sessions;
#[path = "contract/shared.rs"]
mod shared;
#[path = "contract/tags.rs"]
mod tags;
#[path = "contract/webhooks.rs"]
mod webhooks;

fn cluster(id: &str, account: &str, name: &str, t: i64) -> Cluster {
    Cluster {
        id: ClusterId::parse(id).unwrap(),
        account: account.into(),
        name: name.into(),
        region_id: "cn-hangzhou".into(),
        zone_id: "cn-hangzhou-a".into(),
        cluster_type: "ManagedKubernetes".into(),
        cluster_spec: "ack.pro.small".into(),
        profile: "Default".into(),
        kubernetes_version: "1.31.1-aliyun.1".into(),
        init_version: "1.31.1-aliyun.1".into(),
        state: "initial".into(),
        vpc_id: "vpc-1".into(),
        vswitch_ids: vec!["vsw-1".into(), "vsw-2".into()],
        created_at: t,
        updated_at: t,
        tags: vec![],
    }
}

fn instance(cid: &str, name: &str, version: &str) -> AddonInstance {
    AddonInstance {
        cluster_id: ClusterId::parse(cid).unwrap(),
        name: AddonName::parse(name).unwrap(),
        version: version.into(),
        config: "{\"a\":1}".into(),
        state: InstanceState::Active,
        created_at: 10,
        updated_at: 11,
    }
}

fn change(name: &str, op: Operation, from: &str, to: &str, config: Option<&str>) -> TaskAddon {
    TaskAddon {
        component: AddonName::parse(name).unwrap(),
        operation: op,
        from_version: from.into(),
        to_version: to.into(),
        config: config.map(Into::into),
    }
}

/// The cluster from the database, after checking that the status calls' path (the status cache
/// on SQLite) shows exactly the same snapshot, both when it loads it and when it holds it: a
/// write that forgot to tell the cache shows up at the next read.
async fn read(store: &Store, id: &ClusterId) -> ack_store::ClusterAddons {
    let ca = store.cluster_addons("acct", id).await.unwrap();
    let expected = format!("{:?}", ca.snapshot());
    // Read among others at once, it is the same; a missing cluster and another account's are
    // left out.
    let gone = ClusterId::parse("c-never-was").unwrap();
    let many = store
        .clusters_addons("acct", &[gone.clone(), id.clone()], None)
        .await
        .unwrap();
    assert_eq!(many.len(), 1);
    assert_eq!(format!("{:?}", many[id]), format!("{ca:?}"));
    let theirs = store.clusters_addons("other", std::slice::from_ref(id), None);
    assert!(theirs.await.unwrap().is_empty());
    // With one add-on named, its rows alone.
    if let Some(name) = ca.instances.first().map(|i| i.name.to_string()) {
        let one = store
            .clusters_addons("acct", std::slice::from_ref(id), Some(&name))
            .await
            .unwrap();
        let mut only = ca.clone();
        only.instances.retain(|i| i.name.as_str() == name);
        only.statuses.retain(|s| s.component.as_str() == name);
        assert_eq!(format!("{:?}", one[id]), format!("{only:?}"));
    }
    for _ in 0..2 {
        let seen = store
            .with_addons("acct", id, None, |s| format!("{s:?}"))
            .await
            .unwrap();
        assert_eq!(seen, expected);
    }
    // (On PostgreSQL the write's own notice may arrive after the reads and forget it again.)
    if store.backend() == ack_store::Backend::Sqlite {
        assert!(store.status_cache_len() > 0, "reads go through the cache");
    }
    assert!(matches!(
        store.with_addons("other", id, None, |_| ()).await,
        Err(DomainError::ClusterNotFound(_))
    ));
    ca
}

/// DescribeTaskInfo's path (the task cache) shows exactly what the database holds, both when
/// it loads the task and when it holds it: a write that forgot to tell the cache shows here.
pub async fn info_matches(store: &Store, account: &str, id: &ack_domain::TaskId) {
    let expected = format!("{:?}", store.task(account, id).await.unwrap());
    for _ in 0..2 {
        let seen = store.task_info(account, id).await.unwrap();
        assert_eq!(format!("{seen:?}"), expected);
    }
    assert!(matches!(
        store.task_info("other", id).await,
        Err(DomainError::TaskNotFound(_))
    ));
}

/// Claims the task and runs its three stages as the engine would.
async fn run_through(store: &Store, task: &Task, now: i64) {
    let ids = store.claim("r1", now, now + 60, 100).await.unwrap();
    assert!(ids.contains(&task.id), "{ids:?}");
    let mut stages = Vec::new();
    for (i, name) in ["precheck", "apply", "verify"].iter().enumerate() {
        stages.push(Stage {
            name: (*name).into(),
            state: "success".into(),
            message: String::new(),
            start_time: now,
            end_time: Some(now),
        });
        assert_eq!(
            store
                .complete_stage(
                    &task.id,
                    "r1",
                    StageDone {
                        index: i,
                        stages: &stages,
                        events: &[],
                        now,
                        lease_until: now + 60
                    }
                )
                .await
                .unwrap(),
            Some((TaskState::Running, Control::None)),
            "kept, and nothing pending"
        );
        // The same stage again (a replay after a crash) is not recorded twice.
        assert!(
            store
                .complete_stage(
                    &task.id,
                    "r1",
                    StageDone {
                        index: i,
                        stages: &stages,
                        events: &[],
                        now,
                        lease_until: now + 60
                    }
                )
                .await
                .unwrap()
                .is_none()
        );
        info_matches(store, &task.account, &task.id).await;
    }
    assert!(
        store
            .finish(
                task,
                FinishGuard::Lease("r1"),
                &Outcome::Success,
                &stages,
                &[],
                now
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish(
                task,
                FinishGuard::Lease("r1"),
                &Outcome::Success,
                &stages,
                &[],
                now
            )
            .await
            .unwrap(),
        "finished once"
    );
    info_matches(store, &task.account, &task.id).await;
}

async fn suite(store: Store) {
    // Keys: stored, replaced in place, listed.
    store
        .put_key(
            &StoredKey {
                access_key_id: "k1".into(),
                secret: "s1".into(),
                account: "a".into(),
            },
            1,
        )
        .await
        .unwrap();
    store
        .put_key(
            &StoredKey {
                access_key_id: "k1".into(),
                secret: "s2".into(),
                account: "b".into(),
            },
            2,
        )
        .await
        .unwrap();
    assert_eq!(
        store.keys().await.unwrap(),
        vec![StoredKey {
            access_key_id: "k1".into(),
            secret: "s2".into(),
            account: "b".into()
        }]
    );

    // Creating a cluster is a task: the cluster and its add-ons start `initial`, then run.
    let c = cluster("c1", "acct", "one", 100);
    let create = Task::new(
        "acct",
        &c.id,
        "cluster_create",
        100,
        vec![
            change(
                "metrics-server",
                Operation::Install,
                "",
                "v1",
                Some("{\"a\":1}"),
            ),
            change("coredns", Operation::Install, "", "v2", Some("{\"a\":1}")),
        ],
    );
    store
        .start_task(&create, TaskStart::CreateCluster(&c))
        .await
        .unwrap();
    let ca = read(&store, &c.id).await;
    assert_eq!(ca.cluster, c);
    assert!(
        ca.instances
            .iter()
            .all(|i| i.state == InstanceState::Initial)
    );
    assert!(
        ca.statuses
            .iter()
            .all(|s| s.status == UpgradeStatus::Running && s.finished_at.is_none())
    );
    assert_eq!(store.running_tasks().await.unwrap(), 1);
    run_through(&store, &create, 101).await;
    let ca = read(&store, &c.id).await;
    assert_eq!(ca.cluster.state, "running");
    let mut expect = instance("c1", "coredns", "v2");
    (expect.state, expect.created_at, expect.updated_at) = (InstanceState::Active, 100, 101);
    assert_eq!(
        ca.instances[0], expect,
        "ordered by name, active, created and updated as recorded"
    );
    assert!(
        ca.statuses
            .iter()
            .all(|s| s.status == UpgradeStatus::Success && s.finished_at == Some(101))
    );
    let t = store.task("acct", &create.id).await.unwrap();
    assert_eq!(
        (t.state, t.next_stage, t.stages.len(), t.addons.len()),
        (TaskState::Success, 3, 3, 2)
    );
    assert_eq!(
        t.events
            .iter()
            .filter(|e| e.reason == "TaskSucceeded")
            .count(),
        1
    );

    // Accounts are walls.
    assert_eq!(
        store.cluster("other", &c.id).await.unwrap_err(),
        DomainError::ClusterNotFound("c1".into())
    );
    assert!(matches!(
        store.task("other", &create.id).await,
        Err(DomainError::TaskNotFound(_))
    ));

    // One live task per add-on, enforced by the database; a refused start leaves no trace.
    let up = Task::new(
        "acct",
        &c.id,
        "addon_upgrade",
        200,
        vec![change(
            "metrics-server",
            Operation::Upgrade,
            "v1",
            "v3",
            None,
        )],
    );
    store.start_task(&up, TaskStart::Addons).await.unwrap();
    let again = Task::new(
        "acct",
        &c.id,
        "addon_modify",
        201,
        vec![change(
            "metrics-server",
            Operation::Modify,
            "v1",
            "v1",
            Some("{}"),
        )],
    );
    assert!(matches!(
        store.start_task(&again, TaskStart::Addons).await,
        Err(DomainError::AddonBusy { .. })
    ));
    assert!(store.task("acct", &again.id).await.is_err());
    let dup = Task::new(
        "acct",
        &c.id,
        "addon_install",
        202,
        vec![change("coredns", Operation::Install, "", "v9", None)],
    );
    assert!(matches!(
        store.start_task(&dup, TaskStart::Addons).await,
        Err(DomainError::AddonAlreadyInstalled(_))
    ));
    let ms = |ca: &ack_store::ClusterAddons| {
        ca.instances
            .iter()
            .find(|i| i.name.as_str() == "metrics-server")
            .cloned()
            .unwrap()
    };
    assert_eq!(
        ms(&read(&store, &c.id).await).state,
        InstanceState::Upgrading
    );
    assert!(matches!(
        store
            .start_task(
                &Task::new("acct", &c.id, "cluster_delete", 203, vec![]),
                TaskStart::DeleteCluster
            )
            .await,
        Err(DomainError::ClusterState { .. })
    ));

    // Pause is honoured between stages, resume makes it runnable again, cancel of a paused task
    // ends it at once and leaves the add-on as it was. DescribeTaskInfo follows every step.
    info_matches(&store, "acct", &up.id).await;
    assert_eq!(
        store
            .control("acct", &up.id, ControlRequest::Pause, 210)
            .await
            .unwrap(),
        ControlEffect::Requested
    );
    info_matches(&store, "acct", &up.id).await;
    assert_eq!(
        store.claim("r2", 210, 270, 10).await.unwrap(),
        vec![up.id.clone()]
    );
    assert_eq!(
        store
            .complete_stage(
                &up.id,
                "r2",
                StageDone {
                    index: 0,
                    stages: &[],
                    events: &[ack_domain::task::Event::new(
                        "precheck",
                        "StageSucceeded",
                        "ok",
                        210
                    )],
                    now: 210,
                    lease_until: 270
                }
            )
            .await
            .unwrap(),
        Some((TaskState::Running, Control::Pause)),
        "the stage comes back with the pause that is pending"
    );
    info_matches(&store, "acct", &up.id).await;
    assert!(store.pause_now(&up.id, "r2", 211).await.unwrap());
    info_matches(&store, "acct", &up.id).await;
    let status = |ca: &ack_store::ClusterAddons| {
        ca.statuses
            .iter()
            .find(|s| s.component.as_str() == "metrics-server")
            .cloned()
            .unwrap()
    };
    assert_eq!(
        status(&read(&store, &c.id).await).status,
        UpgradeStatus::Paused
    );
    assert!(
        store.claim("r2", 212, 270, 10).await.unwrap().is_empty(),
        "a paused task is not claimed"
    );
    assert_eq!(
        store
            .control("acct", &up.id, ControlRequest::Resume, 213)
            .await
            .unwrap(),
        ControlEffect::Resumed
    );
    info_matches(&store, "acct", &up.id).await;
    assert_eq!(
        status(&read(&store, &c.id).await).status,
        UpgradeStatus::Upgrading
    );
    store
        .control("acct", &up.id, ControlRequest::Pause, 214)
        .await
        .unwrap();
    store.claim("r3", 214, 270, 10).await.unwrap();
    store.pause_now(&up.id, "r3", 215).await.unwrap();
    assert_eq!(
        store
            .control("acct", &up.id, ControlRequest::Cancel, 216)
            .await
            .unwrap(),
        ControlEffect::Done
    );
    info_matches(&store, "acct", &up.id).await;
    let ca = read(&store, &c.id).await;
    assert_eq!(
        (ms(&ca).version.as_str(), ms(&ca).state),
        ("v1", InstanceState::Active)
    );
    let s = status(&ca);
    assert_eq!(
        (s.status, s.is_canceled, s.finished_at),
        (UpgradeStatus::Canceled, true, Some(216))
    );
    assert!(matches!(
        store
            .control("acct", &up.id, ControlRequest::Resume, 217)
            .await,
        Err(DomainError::TaskState { .. })
    ));

    // A failed upgrade leaves the add-on at its version and config; a lease held by another
    // runner cannot be finished by us.
    let up2 = Task::new(
        "acct",
        &c.id,
        "addon_upgrade",
        300,
        vec![change(
            "metrics-server",
            Operation::Upgrade,
            "v1",
            "v3",
            Some("{\"b\":2}"),
        )],
    );
    store.start_task(&up2, TaskStart::Addons).await.unwrap();
    store.claim("r4", 300, 360, 10).await.unwrap();
    let fail = Outcome::Failed(TaskFailure {
        code: "Boom".into(),
        message: "no".into(),
    });
    assert!(
        !store
            .finish(&up2, FinishGuard::Lease("r5"), &fail, &[], &[], 301)
            .await
            .unwrap()
    );
    assert!(
        store
            .finish(&up2, FinishGuard::Lease("r4"), &fail, &[], &[], 301)
            .await
            .unwrap()
    );
    let ca = read(&store, &c.id).await;
    assert_eq!(
        (ms(&ca).version.as_str(), ms(&ca).config.as_str()),
        ("v1", "{\"a\":1}")
    );
    assert_eq!(
        (status(&ca).status, status(&ca).message.as_str()),
        (UpgradeStatus::Failed, "Boom: no")
    );

    // A successful upgrade with config; then an uninstall removes the instance.
    let up3 = Task::new(
        "acct",
        &c.id,
        "addon_upgrade",
        400,
        vec![change(
            "metrics-server",
            Operation::Upgrade,
            "v1",
            "v3",
            Some("{\"b\":2}"),
        )],
    );
    store.start_task(&up3, TaskStart::Addons).await.unwrap();
    run_through(&store, &up3, 401).await;
    let ca = read(&store, &c.id).await;
    assert_eq!(
        (
            ms(&ca).version.as_str(),
            ms(&ca).config.as_str(),
            ms(&ca).state
        ),
        ("v3", "{\"b\":2}", InstanceState::Active)
    );
    let un = Task::new(
        "acct",
        &c.id,
        "addon_uninstall",
        500,
        vec![change(
            "metrics-server",
            Operation::Uninstall,
            "v3",
            "",
            None,
        )],
    );
    store.start_task(&un, TaskStart::Addons).await.unwrap();
    assert_eq!(
        ms(&read(&store, &c.id).await).state,
        InstanceState::Deleting
    );
    run_through(&store, &un, 501).await;
    let ca = read(&store, &c.id).await;
    assert!(
        ca.instances
            .iter()
            .all(|i| i.name.as_str() != "metrics-server")
    );
    assert_eq!(
        status(&ca).status,
        UpgradeStatus::Success,
        "the status outlives the instance"
    );

    // Faults: matched by cluster, add-on (or any), operation and stage; taken once; cleared.
    let fault = |component: &str| Fault {
        cluster_id: c.id.clone(),
        component: component.into(),
        operation: Operation::Install,
        stage: "apply".into(),
        error_code: "Injected".into(),
        message: "boom".into(),
    };
    store.add_fault("acct", &fault("flannel")).await.unwrap();
    store.add_fault("acct", &fault("")).await.unwrap();
    let inst = change("flannel", Operation::Install, "", "v1", None);
    assert!(
        store
            .take_fault(&up3, &inst, "verify")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.take_fault(&up3, &inst, "apply").await.unwrap(),
        Some(("Injected".into(), "boom".into()))
    );
    assert_eq!(store.clear_faults("acct").await.unwrap(), 1);

    // Tasks list newest first; paging.
    let (tasks, total) = store.list_tasks("acct", &c.id, 1, 2).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(
        tasks.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
        vec![un.id.clone(), up3.id.clone()]
    );

    // Leases: freed at start-up, and claimable again.
    let up4 = Task::new(
        "acct",
        &c.id,
        "addon_upgrade",
        600,
        vec![change("coredns", Operation::Upgrade, "v2", "v3", None)],
    );
    store.start_task(&up4, TaskStart::Addons).await.unwrap();
    assert_eq!(store.claim("dead", 600, 9999, 10).await.unwrap().len(), 1);
    assert!(store.claim("alive", 601, 700, 10).await.unwrap().is_empty());
    assert_eq!(store.release_all_leases().await.unwrap(), 1);
    assert_eq!(
        store.claim("alive", 602, 700, 10).await.unwrap(),
        vec![up4.id.clone()]
    );
    run_through_after_claim(&store, &up4).await;

    // Bulk import is all or nothing per call.
    let running = |id: &str, name: &str, t: i64| Cluster {
        state: "running".into(),
        ..cluster(id, "acct", name, t)
    };
    let batch: Vec<_> = (2..=5)
        .map(|i| {
            (
                running(
                    &format!("c{i}"),
                    if i % 2 == 0 { "even" } else { "odd" },
                    100 + i,
                ),
                vec![instance(&format!("c{i}"), "coredns", "v1")],
            )
        })
        .collect();
    store.import(&batch).await.unwrap();
    let bad = vec![
        (running("c6", "x", 1), vec![]),
        (running("c2", "x", 1), vec![]),
    ];
    assert!(store.import(&bad).await.is_err());
    assert!(
        store
            .cluster("acct", &ClusterId::parse("c6").unwrap())
            .await
            .is_err(),
        "the failed batch left nothing"
    );

    // Listing clusters: filters, paging, oldest first, total.
    let all = ClusterFilter::default();
    let (page, total) = store.list_clusters("acct", &all, 1, 2).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(
        page.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["c1", "c2"]
    );
    let even = ClusterFilter {
        name: Some("even".into()),
        ..Default::default()
    };
    assert_eq!(
        store.list_clusters("acct", &even, 1, 10).await.unwrap().1,
        2
    );
    assert_eq!(
        store.list_clusters("nobody", &all, 1, 10).await.unwrap().1,
        0
    );

    // Deleting is a task too: `deleting`, then gone with its add-ons; its task stays.
    let del = Task::new("acct", &c.id, "cluster_delete", 700, vec![]);
    assert!(
        store
            .start_task(
                &Task::new("other", &c.id, "cluster_delete", 700, vec![]),
                TaskStart::DeleteCluster
            )
            .await
            .is_err()
    );
    store
        .start_task(&del, TaskStart::DeleteCluster)
        .await
        .unwrap();
    assert_eq!(
        store.cluster("acct", &c.id).await.unwrap().state,
        "deleting"
    );
    let inst2 = Task::new(
        "acct",
        &c.id,
        "addon_install",
        701,
        vec![change("flannel", Operation::Install, "", "v1", None)],
    );
    assert!(matches!(
        store.start_task(&inst2, TaskStart::Addons).await,
        Err(DomainError::ClusterState { .. })
    ));
    run_through(&store, &del, 702).await;
    assert!(store.cluster_addons("acct", &c.id).await.is_err());
    assert!(matches!(
        store.with_addons("acct", &c.id, None, |_| ()).await,
        Err(DomainError::ClusterNotFound(_))
    ));
    assert_eq!(
        store.task("acct", &del.id).await.unwrap().state,
        TaskState::Success
    );
}

async fn run_through_after_claim(store: &Store, task: &Task) {
    for i in 0..3 {
        assert!(
            store
                .complete_stage(
                    &task.id,
                    "alive",
                    StageDone {
                        index: i,
                        stages: &[],
                        events: &[],
                        now: 603,
                        lease_until: 700
                    }
                )
                .await
                .unwrap()
                .is_some()
        );
    }
    assert!(
        store
            .finish(
                task,
                FinishGuard::Lease("alive"),
                &Outcome::Success,
                &[],
                &[],
                604
            )
            .await
            .unwrap()
    );
}

/// The status cache warmed from the database answers what the database does, cluster by
/// cluster (each back end reads its pages its own way).
async fn warm_matches_the_database(url: &str, warm: &Store) {
    let (clusters, n) = warm
        .list_clusters("acct", &ClusterFilter::default(), 1, 10)
        .await
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(warm.warm_status_cache().await.unwrap(), 4);
    let cold = Store::connect(url).await.unwrap().with_status_cache(0);
    for c in &clusters {
        let from_db = cold
            .with_addons("acct", &c.id, None, |s| format!("{s:?}"))
            .await
            .unwrap();
        let warmed = warm
            .with_addons("acct", &c.id, None, |s| format!("{s:?}"))
            .await
            .unwrap();
        assert_eq!(warmed, from_db);
        assert!(from_db.contains(&c.kubernetes_version));
    }
    cold.close().await;
}

#[tokio::test]
async fn sqlite_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/contract.db", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    suite(store.clone()).await;
    store.close().await;
    // Reopening migrates nothing twice and keeps everything; the warm-up loads what the
    // status calls would.
    let reopened = Store::connect(&url).await.unwrap();
    warm_matches_the_database(&url, &reopened).await;
    assert_eq!(
        reopened
            .list_clusters("acct", &ClusterFilter::default(), 1, 10)
            .await
            .unwrap()
            .1,
        4
    );
    tags::suite(&reopened).await;
    rollouts::suite(&reopened).await;
    events::suite(&reopened).await;
    webhooks::suite(&reopened).await;
    sessions::suite(&reopened).await;
    shared::nonces(&reopened).await;
    batch::suite(&reopened).await;
}

/// A fresh database on the PostgreSQL server at `ACK_ADDONS_PG_URL` (default: the local one with
/// trust auth). Without a server the test is skipped, except under `CI=true`, where it fails.
async fn fresh_postgres() -> Option<String> {
    use sqlx::Executor;
    let base = std::env::var("ACK_ADDONS_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    sqlx::any::install_default_drivers();
    let admin = match sqlx::AnyPool::connect(&base).await {
        Ok(p) => p,
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI needs PostgreSQL at {base}: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: no PostgreSQL at {base} ({e})");
            return None;
        }
    };
    let name = format!("ack_contract_{}", std::process::id());
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name}"
        )))
        .await
        .unwrap();
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    Some(format!("{prefix}/{name}"))
}

#[tokio::test]
async fn postgres_store_contract() {
    let Some(url) = fresh_postgres().await else {
        return;
    };
    // With its status cache live, as a replica serves: every write must reach it.
    let store = Store::connect(&url).await.unwrap();
    let follower = store.clone();
    let following = tokio::spawn(async move { follower.follow_status_changes().await });
    while !store.status_cache_live() {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    suite(store).await;
    following.abort();
    let warm = Store::connect(&url).await.unwrap();
    let follower = warm.clone();
    let following = tokio::spawn(async move { follower.follow_status_changes().await });
    while !warm.status_cache_live() {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    warm_matches_the_database(&url, &warm).await;
    following.abort();
    warm.close().await;
    let reopened = Store::connect(&url).await.unwrap();
    assert_eq!(
        reopened
            .list_clusters("acct", &ClusterFilter::default(), 1, 10)
            .await
            .unwrap()
            .1,
        4
    );
    assert_eq!(reopened.backend(), ack_store::Backend::Postgres);
    tags::suite(&reopened).await;
    rollouts::suite(&reopened).await;
    events::suite(&reopened).await;
    webhooks::suite(&reopened).await;
    sessions::suite(&reopened).await;
    shared::nonces(&reopened).await;
    shared::status_cache_across_replicas(&url, &reopened).await;
    batch::suite(&reopened).await;
    reopened.close().await;
    drop_postgres(&url).await;
}

async fn drop_postgres(url: &str) {
    use sqlx::Executor;
    let (prefix, name) = url.rsplit_once('/').unwrap();
    let admin = sqlx::AnyPool::connect(&format!("{prefix}/postgres"))
        .await
        .unwrap();
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .await
        .unwrap();
}

#[tokio::test]
async fn refuses_urls_it_cannot_serve() {
    assert!(Store::connect("mysql://x").await.is_err());
}
