//! The event log, on a store the other suites are done with: what their changes wrote, read
//! back newest first, filtered, and kept per account.

use ack_store::{EventFilter, Store};

pub async fn suite(store: &Store) {
    let all = |kind: Option<&str>| EventFilter {
        kind: kind.map(Into::into),
        ..EventFilter::default()
    };
    let (events, total) = store.events("ro", &all(None), 1, 1000).await.unwrap();
    assert_eq!(events.len() as u64, total);
    assert!(
        events.windows(2).all(|w| w[0].id > w[1].id),
        "newest first, ids increase"
    );
    assert!(events.iter().all(|e| e.account == "ro"));
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    for k in [
        "task.created",
        "task.failed",
        "task.succeeded",
        "task.stage",
        "rollout.created",
        "rollout.wave",
        "rollout.canceled",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
    // The rollback that failed logged its start as a warning, and its task's end.
    assert!(
        events
            .iter()
            .any(|e| e.reason == "RollbackStarted" && e.level == "Warning")
    );
    let (rollouts, n) = store
        .events("ro", &all(Some("rollout.*")), 1, 1000)
        .await
        .unwrap();
    assert!(
        n > 0
            && rollouts.iter().all(|e| e.kind.starts_with("rollout.")
                && !e.rollout_id.is_empty()
                && e.addon == "coredns")
    );
    let (one, n) = store
        .events("ro", &all(Some("rollout.created")), 1, 1)
        .await
        .unwrap();
    assert_eq!((one.len(), n), (1, 2));
    let (mine, _) = store
        .events(
            "ro",
            &EventFilter {
                cluster_id: Some("ro0".into()),
                ..EventFilter::default()
            },
            1,
            1000,
        )
        .await
        .unwrap();
    assert!(!mine.is_empty() && mine.iter().all(|e| e.cluster_id == "ro0"));
    assert!(
        mine.iter()
            .any(|e| e.kind == "task.created" && e.addon == "coredns")
    );
    assert_eq!(
        store.events("nobody", &all(None), 1, 10).await.unwrap().1,
        0
    );
}
