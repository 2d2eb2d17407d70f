//! Group commit: writes made at the same moment share a transaction, one write that cannot
//! happen leaves the others alone, and an answer means committed (another connection sees it).

use ack_domain::task::{Control, Event, Operation, Outcome, Stage, Task, TaskState, UpgradeStatus};
use ack_domain::webhook::WebhookSecret;
use ack_domain::{ClusterId, DomainError};
use ack_store::{EventFilter, FinishGuard, StageDone, Store, TaskStart, WebhookRecord};
use tokio::task::JoinSet;

/// More than PostgreSQL's batches in flight at once, so that some writes must wait and share.
const N: usize = 12;

fn stages(upto: usize) -> Vec<Stage> {
    ["precheck", "apply", "verify"][..=upto]
        .iter()
        .map(|n| Stage::succeeded(n, 900, 900))
        .collect()
}

async fn stage_all(store: &Store, tasks: &[Task], owners: &[&str], index: usize) -> Vec<bool> {
    let mut set = JoinSet::new();
    for (k, (t, owner)) in tasks.iter().zip(owners).enumerate() {
        let (store, id, owner) = (store.clone(), t.id.clone(), owner.to_string());
        set.spawn(async move {
            let s = stages(index);
            // Two of the stage's own, numbered after the task's (each batch writes every
            // task's in one statement).
            let own = [
                Event::new(&s[index].name, "StepOne", format!("{id} one {index}"), 900),
                Event::new(&s[index].name, "StepTwo", format!("{id} two {index}"), 900),
            ];
            let done = StageDone {
                index,
                stages: &s,
                events: &own,
                now: 900,
                lease_until: 960,
            };
            (k, store.complete_stage(&id, &owner, done).await.unwrap())
        });
    }
    let mut out = vec![false; tasks.len()];
    while let Some(r) = set.join_next().await {
        let (k, state) = r.unwrap();
        assert!(
            state.is_none() || state == Some((TaskState::Running, Control::None)),
            "{state:?}"
        );
        out[k] = state.is_some();
    }
    out
}

pub async fn suite(store: &Store) {
    let ids: Vec<ClusterId> = (0..N)
        .map(|i| ClusterId::parse(&format!("gc{i}")).unwrap())
        .collect();
    let fleet: Vec<_> = ids
        .iter()
        .map(|id| {
            let mut c = super::cluster(id.as_str(), "acct", "batch", 1);
            c.state = "running".into();
            let i = super::instance(id.as_str(), "metrics-server", "v1");
            (c, vec![i])
        })
        .collect();
    store.import(&fleet).await.unwrap();
    // A webhook of the account: each batch's events get their deliveries in the same commit.
    let hook = WebhookRecord {
        id: "W-batch".into(),
        account: "acct".into(),
        url: "http://127.0.0.1:1/hook".into(),
        events: vec!["task.stage".into(), "task.succeeded".into()],
        secret: WebhookSecret::stored("batch-secret".into()),
        created_ms: 1,
        cursor: 0,
    };
    store.create_webhook(&hook).await.unwrap();
    let (txs_before, writes_before) = store.group_commits();

    // Starts at the same moment (a batch writes them as one set), five of which cannot happen:
    // a second change of a busy add-on, a cluster of another account's, a cluster that is not
    // running, an install of an installed add-on, a change of one not installed. Each is refused
    // alone, with its own error, and leaves nothing behind.
    let up = |id: &ClusterId, t: i64| {
        let change = super::change("metrics-server", Operation::Upgrade, "v1", "v2", None);
        Task::new("acct", id, "addon_upgrade", t, vec![change])
    };
    let odd = |id: &str, op: Operation, name: &str| {
        let id = ClusterId::parse(id).unwrap();
        let change = super::change(name, op, "v1", "v2", None);
        Task::new("acct", &id, "addon_change", 901, vec![change])
    };
    let mut other_account = super::cluster("gc-theirs", "other", "theirs", 1);
    other_account.state = "running".into();
    let initial = super::cluster("gc-initial", "acct", "initial", 1);
    let mut spare = super::cluster("gc-spare", "acct", "spare", 1);
    spare.state = "running".into();
    let spare_ms = super::instance("gc-spare", "metrics-server", "v1");
    let extra = vec![
        (
            other_account,
            vec![super::instance("gc-theirs", "metrics-server", "v1")],
        ),
        (
            initial,
            vec![super::instance("gc-initial", "metrics-server", "v1")],
        ),
        (spare, vec![spare_ms]),
    ];
    store.import(&extra).await.unwrap();
    let tasks: Vec<Task> = ids.iter().map(|id| up(id, 900)).collect();
    // Held in the status cache before they start: the starts keep them there, updated, which the
    // reads after them compare with the database.
    for id in &ids {
        super::read(store, id).await;
    }
    let refusals = [
        (up(&ids[0], 901), "AddonBusy"),
        (
            odd("gc-theirs", Operation::Upgrade, "metrics-server"),
            "ClusterNotFound",
        ),
        (
            odd("gc-initial", Operation::Upgrade, "metrics-server"),
            "ClusterState",
        ),
        (
            odd("gc-spare", Operation::Install, "metrics-server"),
            "AddonAlreadyInstalled",
        ),
        (
            odd("gc-spare", Operation::Modify, "coredns"),
            "AddonNotFound",
        ),
    ];
    let mut set = JoinSet::new();
    let all = tasks
        .iter()
        .cloned()
        .map(|t| (t, ""))
        .chain(refusals.iter().cloned());
    for (t, why) in all {
        let store = store.clone();
        set.spawn(async move {
            (
                t.id.clone(),
                why,
                store.start_task(&t, TaskStart::Addons).await,
            )
        });
    }
    while let Some(r) = set.join_next().await {
        let (id, why, r) = r.unwrap();
        let got = match &r {
            Ok(()) => "",
            Err(DomainError::AddonBusy { .. }) => "AddonBusy",
            Err(DomainError::ClusterNotFound(_)) => "ClusterNotFound",
            Err(DomainError::ClusterState { .. }) => "ClusterState",
            Err(DomainError::AddonAlreadyInstalled(_)) => "AddonAlreadyInstalled",
            Err(DomainError::AddonNotFound { .. }) => "AddonNotFound",
            Err(e) => panic!("{e:?}"),
        };
        assert_eq!(got, why, "{id}: {r:?}");
        if !why.is_empty() {
            assert!(store.load_task(&id).await.is_err(), "{id} left no task");
        }
    }
    for t in &tasks {
        store.task("acct", &t.id).await.unwrap();
    }
    for id in ["gc-initial", "gc-spare"] {
        let ca = super::read(store, &ClusterId::parse(id).unwrap()).await;
        assert!(ca.statuses.is_empty(), "{id}: {:?}", ca.statuses);
        assert_eq!(ca.instances.len(), 1, "{id}");
    }

    let claimed = store.claim("gc-r1", 900, 960, 1000).await.unwrap();
    assert!(tasks.iter().all(|t| claimed.contains(&t.id)));
    // The status calls have every cluster cached (SQLite) before the batches change them.
    for id in &ids {
        super::read(store, id).await;
    }

    // One stage for all at once, the last written by a runner that lost the lease (the first
    // go alone, the rest together): only its write is refused.
    let mut owners = vec!["gc-r1"; N];
    owners[N - 1] = "gc-stale";
    let recorded = stage_all(store, &tasks, &owners, 0).await;
    let mut expected = [true; N];
    expected[N - 1] = false;
    assert_eq!(recorded, expected);
    // Answered means committed: a connection of its own sees each stage that was answered.
    let other = Store::connect(store.url()).await.unwrap();
    for (t, rec) in tasks.iter().zip(&recorded) {
        let seen = other.load_task(&t.id).await.unwrap();
        assert_eq!(seen.next_stage, usize::from(*rec), "{}", t.id);
    }
    other.close().await;
    let (txs, writes) = store.group_commits();
    assert_eq!(writes - writes_before, (N + refusals.len() + N) as u64);
    assert!(
        txs - txs_before < writes - writes_before,
        "writes made at the same moment shared transactions ({} for {})",
        txs - txs_before,
        writes - writes_before
    );

    // The refused one catches up; then the rest run together to the end.
    assert_eq!(
        stage_all(store, &tasks[N - 1..], &["gc-r1"], 0).await,
        [true]
    );
    for index in 1..3 {
        assert_eq!(
            stage_all(store, &tasks, &["gc-r1"; N], index).await,
            [true; N]
        );
    }
    let mut set = JoinSet::new();
    for t in tasks.clone() {
        let store = store.clone();
        set.spawn(async move {
            let guard = FinishGuard::Lease("gc-r1");
            store
                .finish(&t, guard, &Outcome::Success, &stages(2), &[], 902)
                .await
                .unwrap()
        });
    }
    while let Some(r) = set.join_next().await {
        assert!(r.unwrap(), "each ends once, here");
    }
    // Every cluster's status shows the end (the cache forgot each after the batch committed).
    for id in &ids {
        let ca = super::read(store, id).await;
        assert_eq!(ca.instances[0].version, "v2");
        assert_eq!(ca.statuses[0].status, UpgradeStatus::Success);
    }
    let f = EventFilter {
        kind: Some("task.*".into()),
        ..EventFilter::default()
    };
    let (events, _) = store.events("acct", &f, 1, 1000).await.unwrap();
    for t in &tasks {
        let of = |kind: &str| {
            events
                .iter()
                .filter(|e| e.task_id == t.id.as_str() && e.kind == kind)
                .count()
        };
        assert_eq!(
            (of("task.created"), of("task.stage"), of("task.succeeded")),
            (1, 3, 1)
        );
        // Its own events: each stage's two in order, numbered on from the ones before them
        // (the refused write's left none), then the end.
        let own = store.task("acct", &t.id).await.unwrap().events;
        let mine: Vec<String> = own
            .iter()
            .filter(|e| e.message.starts_with(t.id.as_str()))
            .map(|e| e.message.clone())
            .collect();
        let expected: Vec<String> = (0..3)
            .flat_map(|i| [format!("{} one {i}", t.id), format!("{} two {i}", t.id)])
            .collect();
        assert_eq!(mine, expected);
        assert_eq!(own.last().map(|e| e.reason.as_str()), Some("TaskSucceeded"));
    }
    // The event log keeps each task's lines in the order they happened.
    for t in &tasks {
        let kinds: Vec<&str> = events
            .iter()
            .rev()
            .filter(|e| e.task_id == t.id.as_str())
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "task.created",
                "task.stage",
                "task.stage",
                "task.stage",
                "task.succeeded"
            ]
        );
    }
    // The webhook has a delivery of each stage and end, and of nothing it did not ask for.
    let (queued, n) = store.deliveries("acct", "W-batch", 1, 1000).await.unwrap();
    assert_eq!(n, (N * 4) as u64);
    assert_eq!(
        queued.iter().filter(|d| d.kind == "task.succeeded").count(),
        N
    );
    assert!(
        queued
            .iter()
            .all(|d| d.state == "pending" && d.attempts == 0)
    );
}
