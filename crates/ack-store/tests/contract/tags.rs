//! Cluster tags and the fleet counts, on a store the main suite is done with (account `tags`,
//! so its cluster counts stay as they were).

use super::{change, cluster, instance};
use ack_domain::task::{Operation, Task};
use ack_domain::{ClusterId, DomainError, Tag};
use ack_store::{ClusterFilter, FleetFilter, FleetGroup, Store, TaskStart};

fn tag(key: &str, value: &str) -> Tag {
    Tag {
        key: key.into(),
        value: value.into(),
    }
}

async fn tags_of(store: &Store, id: &ClusterId) -> Vec<Tag> {
    let mut c = store.cluster("tags", id).await.unwrap();
    assert!(c.tags.is_empty(), "a plain read leaves tags out");
    store.load_tags(std::slice::from_mut(&mut c)).await.unwrap();
    c.tags
}

pub async fn suite(store: &Store) {
    // Written with the cluster by CreateCluster's task start, read back sorted by key.
    let mut created = cluster("t1", "tags", "tagged", 1);
    created.tags = vec![tag("team", "core"), tag("env", "prod")];
    let task = Task::new("tags", &created.id, "cluster_create", 1, vec![]);
    store
        .start_task(&task, TaskStart::CreateCluster(&created))
        .await
        .unwrap();
    assert_eq!(
        tags_of(store, &created.id).await,
        [tag("env", "prod"), tag("team", "core")]
    );
    // The status calls' read does not carry them.
    let ca = store.cluster_addons("tags", &created.id).await.unwrap();
    assert!(ca.cluster.tags.is_empty());

    // Modify sets the given keys and keeps the others.
    store
        .modify_cluster_tags(
            "tags",
            &created.id,
            &[tag("env", "dev"), tag("tier", "")],
            2,
        )
        .await
        .unwrap();
    let after = vec![tag("env", "dev"), tag("team", "core"), tag("tier", "")];
    assert_eq!(tags_of(store, &created.id).await, after);
    // Too many in the end: refused, nothing changed; another account's cluster is not found.
    let many: Vec<Tag> = (0..18).map(|i| tag(&format!("k{i}"), "v")).collect();
    assert!(matches!(
        store
            .modify_cluster_tags("tags", &created.id, &many, 3)
            .await,
        Err(DomainError::InvalidParameter { .. })
    ));
    assert_eq!(tags_of(store, &created.id).await, after);
    assert!(matches!(
        store
            .modify_cluster_tags("other", &created.id, &many[..1], 3)
            .await,
        Err(DomainError::ClusterNotFound(_))
    ));

    // Import writes tags in its transaction: a key twice fails the whole batch.
    let running = |id: &str, kube: &str, tags: Vec<Tag>| {
        let mut c = cluster(id, "tags", id, 10);
        c.state = "running".into();
        c.kubernetes_version = kube.into();
        c.tags = tags;
        c
    };
    let bad = vec![(
        running("t9", "1.31.1", vec![tag("a", "1"), tag("a", "2")]),
        vec![],
    )];
    assert!(store.import(&bad).await.is_err());
    assert!(
        store
            .cluster("tags", &ClusterId::parse("t9").unwrap())
            .await
            .is_err()
    );
    let batch = vec![
        (
            running("t2", "1.31.1-aliyun.1", vec![tag("env", "prod")]),
            vec![
                instance("t2", "coredns", "v1"),
                instance("t2", "metrics-server", "v2"),
            ],
        ),
        (
            running(
                "t3",
                "1.30.7-aliyun.1",
                vec![tag("env", "prod"), tag("team", "x")],
            ),
            vec![instance("t3", "coredns", "v1")],
        ),
        (
            running("t4", "1.31.1-aliyun.1", vec![]),
            vec![instance("t4", "coredns", "v2")],
        ),
    ];
    store.import(&batch).await.unwrap();
    let (mut page, _) = store
        .list_clusters("tags", &ClusterFilter::default(), 1, 10)
        .await
        .unwrap();
    store.load_tags(&mut page).await.unwrap();
    let counts: Vec<usize> = page.iter().map(|c| c.tags.len()).collect();
    assert_eq!(counts, [3, 1, 2, 0], "one query fills a whole page");

    // The console's search: a part of the name in any case, or a whole id; tags ANDed; an
    // add-on, at a version when one is given. LIKE's own wildcards match only themselves.
    let ids = |f: ClusterFilter| async move {
        let (page, total) = store.list_clusters("tags", &f, 1, 10).await.unwrap();
        let ids: Vec<String> = page.iter().map(|c| c.id.to_string()).collect();
        assert_eq!(total, ids.len() as u64);
        ids
    };
    let search = |q: &str| ClusterFilter {
        search: Some(q.into()),
        ..Default::default()
    };
    assert_eq!(ids(search("TAG")).await, ["t1"]);
    assert_eq!(ids(search("t3")).await, ["t3"]);
    assert!(ids(search("%")).await.is_empty());
    assert!(ids(search("t_")).await.is_empty());
    let tagged = |kv: &[(&str, &str)]| ClusterFilter {
        tags: kv
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    };
    assert_eq!(ids(tagged(&[("env", "prod")])).await, ["t2", "t3"]);
    assert_eq!(ids(tagged(&[("env", "prod"), ("team", "x")])).await, ["t3"]);
    let with = |a: &str, v: Option<&str>| ClusterFilter {
        addon: Some((a.into(), v.map(str::to_string))),
        ..Default::default()
    };
    assert_eq!(ids(with("coredns", None)).await, ["t2", "t3", "t4"]);
    assert_eq!(ids(with("coredns", Some("v1"))).await, ["t2", "t3"]);
    assert!(ids(with("coredns", Some("v9"))).await.is_empty());

    // Fleet counts: grouped by add-on, version and Kubernetes version; a live task is busy.
    let up = Task::new(
        "tags",
        &ClusterId::parse("t2").unwrap(),
        "addon_upgrade",
        20,
        vec![change("coredns", Operation::Upgrade, "v1", "v2", None)],
    );
    store.start_task(&up, TaskStart::Addons).await.unwrap();
    let g = |name: &str, version: &str, kube: &str, clusters: u64, busy: u64| FleetGroup {
        name: name.into(),
        version: version.into(),
        kubernetes_version: kube.into(),
        clusters,
        busy,
    };
    let all = store
        .fleet_addons("tags", &FleetFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.groups,
        [
            g("coredns", "v1", "1.30.7-aliyun.1", 1, 0),
            g("coredns", "v1", "1.31.1-aliyun.1", 1, 1),
            g("coredns", "v2", "1.31.1-aliyun.1", 1, 0),
            g("metrics-server", "v2", "1.31.1-aliyun.1", 1, 0),
        ]
    );
    assert_eq!(all.running, [("coredns".to_string(), 1)]);
    let prod_131 = FleetFilter {
        tags: vec![tag("env", "prod")],
        kubernetes_version: Some("1.31".into()),
        ..Default::default()
    };
    let f = store.fleet_addons("tags", &prod_131).await.unwrap();
    assert_eq!(f.groups.len(), 2, "{f:?}");
    assert!(
        f.groups
            .iter()
            .all(|x| x.kubernetes_version.starts_with("1.31"))
    );
    let both = FleetFilter {
        tags: vec![tag("env", "prod"), tag("team", "x")],
        ..Default::default()
    };
    let f = store.fleet_addons("tags", &both).await.unwrap();
    assert_eq!(f.groups, [g("coredns", "v1", "1.30.7-aliyun.1", 1, 0)]);
    assert!(f.running.is_empty());
    let elsewhere = FleetFilter {
        region_id: Some("cn-beijing".into()),
        ..Default::default()
    };
    assert_eq!(
        store.fleet_addons("tags", &elsewhere).await.unwrap(),
        Default::default()
    );
    assert_eq!(
        store
            .fleet_addons("nobody", &FleetFilter::default())
            .await
            .unwrap(),
        Default::default()
    );
}
