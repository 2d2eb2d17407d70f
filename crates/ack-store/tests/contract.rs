//! The store contract: one suite, run against a real SQLite file (PostgreSQL joins it with the
//! shared-store issue).

use ack_domain::cluster::Cluster;
use ack_domain::instance::{AddonInstance, InstanceState};
use ack_domain::task::{AddonTaskStatus, Task, UpgradeStatus};
use ack_domain::{AddonName, ClusterId, DomainError};
use ack_store::{ClusterFilter, Store, StoredKey};

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
        state: "running".into(),
        vpc_id: "vpc-1".into(),
        vswitch_ids: vec!["vsw-1".into(), "vsw-2".into()],
        created_at: t,
        updated_at: t,
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

    // A cluster with instances, statuses and its task, read back field for field.
    let c = cluster("c1", "acct", "one", 100);
    let task = Task::finished("acct", &c.id, "cluster_create", 100, vec![]);
    let status = AddonTaskStatus {
        cluster_id: c.id.clone(),
        component: AddonName::parse("coredns").unwrap(),
        task_id: task.id.clone(),
        status: UpgradeStatus::Success,
        created_at: 100,
        finished_at: Some(101),
        is_canceled: false,
        message: "ok".into(),
    };
    let instances = vec![
        instance("c1", "metrics-server", "v1"),
        instance("c1", "coredns", "v2"),
    ];
    store
        .create_cluster(&c, &instances, std::slice::from_ref(&status), &task)
        .await
        .unwrap();
    assert_eq!(store.cluster("acct", &c.id).await.unwrap(), c);
    let ca = store.cluster_addons("acct", &c.id).await.unwrap();
    assert_eq!(ca.cluster, c);
    assert_eq!(
        ca.instances,
        vec![
            instance("c1", "coredns", "v2"),
            instance("c1", "metrics-server", "v1")
        ],
        "ordered by name"
    );
    assert_eq!(ca.statuses, vec![status]);
    assert_eq!(store.task("acct", &task.id).await.unwrap(), task);

    // Accounts are walls.
    assert_eq!(
        store.cluster("other", &c.id).await.unwrap_err(),
        DomainError::ClusterNotFound("c1".into())
    );
    assert!(matches!(
        store.task("other", &task.id).await,
        Err(DomainError::TaskNotFound(_))
    ));
    assert!(matches!(
        store.cluster_addons("other", &c.id).await,
        Err(DomainError::ClusterNotFound(_))
    ));

    // A duplicate id is refused and nothing of the second write remains.
    let dup_task = Task::finished("acct", &c.id, "cluster_create", 200, vec![]);
    let err = store
        .create_cluster(&cluster("c1", "acct", "dup", 200), &[], &[], &dup_task)
        .await
        .unwrap_err();
    assert!(
        matches!(err, DomainError::InvalidParameter { .. }),
        "{err:?}"
    );
    assert!(store.task("acct", &dup_task.id).await.is_err());

    // Bulk import is all or nothing per call.
    let batch: Vec<_> = (2..=5)
        .map(|i| {
            (
                cluster(
                    &format!("c{i}"),
                    "acct",
                    if i % 2 == 0 { "even" } else { "odd" },
                    100 + i,
                ),
                vec![instance(&format!("c{i}"), "coredns", "v1")],
            )
        })
        .collect();
    store.import(&batch).await.unwrap();
    let bad = vec![
        (cluster("c6", "acct", "x", 1), vec![]),
        (cluster("c2", "acct", "x", 1), vec![]),
    ];
    assert!(store.import(&bad).await.is_err());
    assert!(
        store
            .cluster("acct", &ClusterId::parse("c6").unwrap())
            .await
            .is_err(),
        "the failed batch left nothing"
    );

    // Listing: filters, paging, oldest first, total.
    let all = ClusterFilter::default();
    let (page, total) = store.list_clusters("acct", &all, 1, 2).await.unwrap();
    assert_eq!(total, 5);
    assert_eq!(
        page.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["c1", "c2"]
    );
    let (page, _) = store.list_clusters("acct", &all, 3, 2).await.unwrap();
    assert_eq!(
        page.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["c5"]
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

    // Delete takes instances and statuses with it; the task stays.
    let del = Task::finished("acct", &c.id, "cluster_delete", 300, vec![]);
    assert!(store.delete_cluster("other", &c.id, &del).await.is_err());
    store.delete_cluster("acct", &c.id, &del).await.unwrap();
    assert!(store.cluster_addons("acct", &c.id).await.is_err());
    assert_eq!(
        store.task("acct", &del.id).await.unwrap().task_type,
        "cluster_delete"
    );
    let again = Task::finished("acct", &c.id, "cluster_delete", 301, vec![]);
    assert!(matches!(
        store.delete_cluster("acct", &c.id, &again).await,
        Err(DomainError::ClusterNotFound(_))
    ));
    assert!(
        store.task("acct", &again.id).await.is_err(),
        "a refused delete records no task"
    );
}

#[tokio::test]
async fn sqlite_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/contract.db", dir.path().display());
    suite(Store::connect(&url).await.unwrap()).await;
    // Reopening migrates nothing twice and keeps everything.
    let reopened = Store::connect(&url).await.unwrap();
    assert_eq!(
        reopened
            .list_clusters("acct", &ClusterFilter::default(), 1, 10)
            .await
            .unwrap()
            .1,
        4
    );
}

#[tokio::test]
async fn refuses_urls_it_cannot_serve() {
    assert!(Store::connect("mysql://x").await.is_err());
}
