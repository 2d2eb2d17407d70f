//! What replicas share through the store: signature nonces (written in batches) and the status
//! cache, which a second store on the same database keeps in step by notices (PostgreSQL).

use super::{change, cluster, instance};
use ack_domain::ClusterId;
use ack_domain::task::{Fault, Operation, Task};
use ack_store::{Backend, Store, TaskStart};
use std::time::{Duration, Instant};

/// Many calls at once, each nonce twice: exactly one of each pair is its first use, however the
/// calls fall into batches; a nonce seen only before the window may be used again, and one
/// pruned is forgotten.
pub async fn nonces(store: &Store) {
    let asks = (0..400).map(|i| {
        let s = store.clone();
        tokio::spawn(async move {
            let nonce = format!("n{}", i % 200);
            (
                nonce.clone(),
                s.first_use_of_nonce(&nonce, 1_000, 100).await.unwrap(),
            )
        })
    });
    let mut fresh = std::collections::HashMap::<String, u32>::new();
    for a in asks.collect::<Vec<_>>() {
        let (nonce, first) = a.await.unwrap();
        *fresh.entry(nonce).or_default() += u32::from(first);
    }
    assert_eq!(fresh.len(), 200);
    assert!(fresh.values().all(|n| *n == 1), "{fresh:?}");
    assert!(!store.first_use_of_nonce("n7", 1_001, 100).await.unwrap());
    // Seen at 1,000: outside a window that starts at 1,001, so it is new again.
    assert!(store.first_use_of_nonce("n7", 2_000, 1_001).await.unwrap());
    // Pruning forgets the other 199 (seen at 1,000), and keeps n7 (seen again at 2,000).
    assert_eq!(store.prune_nonces(1_500).await.unwrap(), 199);
    assert!(!store.first_use_of_nonce("n7", 2_001, 1_001).await.unwrap());
    assert!(store.first_use_of_nonce("n8", 2_001, 0).await.unwrap());
}

/// A second store (a replica) on the same PostgreSQL database: it answers from its cache while
/// it follows the notices, and shows the first store's write within a second.
pub async fn status_cache_across_replicas(url: &str, writer: &Store) {
    let reader = Store::connect(url).await.unwrap();
    assert_eq!(reader.backend(), Backend::Postgres);
    assert!(
        !reader.status_cache_live(),
        "not before its listener is live"
    );
    let follower = reader.clone();
    let following = tokio::spawn(async move { follower.follow_status_changes().await });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !reader.status_cache_live() {
        assert!(Instant::now() < deadline, "the listener never came up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut c = cluster("sh1", "sh", "shared", 100);
    c.state = "running".into();
    writer
        .import(&[(c.clone(), vec![instance("sh1", "coredns", "v1")])])
        .await
        .unwrap();
    let id = ClusterId::parse("sh1").unwrap();
    let shown = |s: &Store| {
        let (s, id) = (s.clone(), id.clone());
        async move {
            s.with_addons("sh", &id, None, |snap| format!("{snap:?}"))
                .await
                .unwrap()
        }
    };
    // The import's own notice may reach the reader after its first read, and forget it then.
    let before = shown(&reader).await;
    let deadline = Instant::now() + Duration::from_secs(2);
    while reader.status_cache_len() == 0 {
        assert!(Instant::now() < deadline, "never held after a read");
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(shown(&reader).await, before);
    }
    let task = Task::new(
        "sh",
        &c.id,
        "addon_upgrade",
        200,
        vec![change("coredns", Operation::Upgrade, "v1", "v2", None)],
    );
    writer.start_task(&task, TaskStart::Addons).await.unwrap();
    let expected = shown(writer).await;
    assert_ne!(expected, before, "the task shows as the add-on's latest");
    let deadline = Instant::now() + Duration::from_secs(1);
    while shown(&reader).await != expected {
        assert!(Instant::now() < deadline, "the replica kept the old status");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A fault armed through the writer: the replica, which looked for none while it knew of
    // none, hears of it and takes it in its runner's next stage.
    let fault = Fault {
        cluster_id: c.id.clone(),
        component: "coredns".into(),
        operation: Operation::Upgrade,
        stage: "apply".into(),
        error_code: "Injected".into(),
        message: "armed on the other replica".into(),
    };
    let up = change("coredns", Operation::Upgrade, "v1", "v2", None);
    writer.add_fault("sh", &fault).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        if let Some(taken) = reader.take_fault(&task, &up, "apply").await.unwrap() {
            assert_eq!(taken.0, "Injected");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replica never looked for the fault"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    following.abort();
    reader.close().await;
}
