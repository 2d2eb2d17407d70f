//! A reader that does not read is cut off once its buffer is full, so it holds nothing up; it
//! then resumes after the last id it got, and nothing is lost. On a real SQLite file.

use ack_domain::ClusterId;
use ack_domain::cluster::Cluster;
use ack_domain::task::Task;
use ack_events::{StreamConfig, follow};
use ack_store::{EventFilter, Store, TaskStart};
use std::time::Duration;

fn cluster(i: usize) -> Cluster {
    Cluster {
        id: ClusterId::parse(&format!("cslow{i:03}")).unwrap(),
        account: "slow".into(),
        name: format!("slow-{i}"),
        region_id: "cn-hangzhou".into(),
        zone_id: "cn-hangzhou-a".into(),
        cluster_type: "ManagedKubernetes".into(),
        cluster_spec: "ack.pro.small".into(),
        profile: "Default".into(),
        kubernetes_version: "1.31.1-aliyun.1".into(),
        init_version: "1.31.1-aliyun.1".into(),
        state: "initial".into(),
        vpc_id: "vpc-1".into(),
        vswitch_ids: vec![],
        created_at: 1,
        updated_at: 1,
        tags: vec![],
    }
}

/// The `id:` lines of the frames (the opening comment and keep-alives have none).
fn ids(frames: &[bytes::Bytes]) -> Vec<i64> {
    frames
        .iter()
        .filter_map(|f| {
            std::str::from_utf8(f)
                .ok()?
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .and_then(|id| id.trim().parse().ok())
        })
        .collect()
}

#[tokio::test]
async fn a_reader_that_does_not_read_is_cut_off_and_resumes_losing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}/slow.db", dir.path().display()))
        .await
        .unwrap();
    let cfg = StreamConfig {
        keep_alive: Duration::from_secs(60),
        poll: Duration::from_millis(5),
        buffer: 4,
    };
    let mut stalled = follow(
        store.clone(),
        "slow".into(),
        EventFilter::default(),
        0,
        cfg.clone(),
    );
    // The writes go on, and finish, while the reader reads nothing.
    for i in 0..40 {
        let c = cluster(i);
        let t = Task::new("slow", &c.id, "cluster_create", 2, vec![]);
        store
            .start_task(&t, TaskStart::CreateCluster(&c))
            .await
            .unwrap();
    }
    let (all, total) = store
        .events("slow", &EventFilter::default(), 1, 1000)
        .await
        .unwrap();
    assert!(total >= 40, "{total}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // What it gets is what fitted in its buffer, then the end: it was cut off.
    let mut got = Vec::new();
    while let Some(Ok(f)) = tokio::time::timeout(Duration::from_secs(5), stalled.recv())
        .await
        .expect("a cut-off stream ends")
    {
        got.push(f);
    }
    assert_eq!(got.len(), cfg.buffer, "the opening comment and 3 events");
    let first = ids(&got);
    assert_eq!(first.len(), cfg.buffer - 1);
    // Resumed after its last id (as Last-Event-ID does), read promptly: the rest, in order.
    let mut resumed = follow(
        store.clone(),
        "slow".into(),
        EventFilter::default(),
        *first.last().unwrap(),
        StreamConfig {
            buffer: 1024,
            ..cfg
        },
    );
    let mut rest = Vec::new();
    while rest.len() < all.len() - first.len() {
        let f = tokio::time::timeout(Duration::from_secs(5), resumed.recv())
            .await
            .expect("the rest arrives")
            .unwrap()
            .unwrap();
        rest.extend(ids(&[f]));
    }
    let mut seen = first.clone();
    seen.extend(rest);
    let mut logged: Vec<i64> = all.iter().map(|e| e.id).collect();
    logged.reverse();
    assert_eq!(seen, logged, "every event once, in order");
}
