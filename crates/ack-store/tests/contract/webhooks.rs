//! Webhooks, on a store the other suites are done with (its events already logged): each
//! wanted event gets its pending delivery in the change's own transaction (the outbox), one
//! deliverer at a time, retrying an event before any later one.

use super::cluster;
use ack_domain::task::Task;
use ack_domain::webhook::WebhookSecret;
use ack_store::{Attempt, Store, TaskStart, WebhookRecord};

/// A cluster created in `account`: it logs task.created (and cluster events later).
async fn create(store: &Store, id: &str, account: &str) {
    let c = cluster(id, account, id, 50);
    let t = Task::new(account, &c.id, "cluster_create", 50, vec![]);
    store
        .start_task(&t, TaskStart::CreateCluster(&c))
        .await
        .unwrap();
}

pub async fn suite(store: &Store) {
    let w = WebhookRecord {
        id: "W-contract".into(),
        account: "ro".into(),
        url: "http://127.0.0.1:1/hook".into(),
        events: vec!["task.*".into()],
        secret: WebhookSecret::stored("contract-secret".into()),
        created_ms: 1,
        cursor: 0,
    };
    store.create_webhook(&w).await.unwrap();
    let listed = store.webhooks("ro").await.unwrap();
    assert_eq!(
        (listed.len(), listed[0].secret.expose()),
        (1, "contract-secret")
    );
    assert!(store.webhooks("other").await.unwrap().is_empty());
    // One deliverer at a time.
    let mine = store.claim_webhooks("d1", 10, 10_000).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert!(
        store
            .claim_webhooks("d2", 20, 20_000)
            .await
            .unwrap()
            .is_empty()
    );
    let w = &mine[0];
    // What was logged before it was made is not its; nothing is due.
    assert!(store.pending_delivery(&w.id).await.unwrap().is_none());
    assert_eq!(store.deliveries("ro", &w.id, 1, 10).await.unwrap().1, 0);
    // A task started in another account, and one in its own: only the second is queued, by the
    // change itself (before any deliverer ran), and only its task.* event.
    create(store, "cwh0", "other").await;
    create(store, "cwh1", "ro").await;
    let (queued, n) = store.deliveries("ro", &w.id, 1, 10).await.unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        (
            queued[0].state.as_str(),
            queued[0].attempts,
            queued[0].kind.as_str()
        ),
        ("pending", 0, "task.created")
    );
    let (d, e) = store.pending_delivery(&w.id).await.unwrap().unwrap();
    assert_eq!((d.event_id, e.kind.as_str()), (e.id, "task.created"));
    assert_eq!(e.cluster_id, "cwh1");
    // A failure keeps it first in line; a success moves the cursor past it.
    let retry = Attempt::Retry {
        status: 500,
        error: "answered 500".into(),
        next_attempt_ms: 5_000,
    };
    store
        .record_attempt(&w.id, "d2", e.id, 200, &retry)
        .await
        .unwrap();
    let (d, _) = store.pending_delivery(&w.id).await.unwrap().unwrap();
    assert_eq!(d.attempts, 0, "only the lease holder records");
    store
        .record_attempt(&w.id, "d1", e.id, 200, &retry)
        .await
        .unwrap();
    let (d, again) = store.pending_delivery(&w.id).await.unwrap().unwrap();
    assert_eq!(
        (d.attempts, d.last_status, d.next_attempt_ms, again.id),
        (1, 500, 5_000, e.id)
    );
    store
        .record_attempt(
            &w.id,
            "d1",
            e.id,
            6_000,
            &Attempt::Delivered { status: 204 },
        )
        .await
        .unwrap();
    assert!(store.pending_delivery(&w.id).await.unwrap().is_none());
    let stored = store.claim_webhooks("d1", 7_000, 17_000).await.unwrap();
    assert_eq!(stored[0].cursor, e.id);
    let (rows, total) = store.deliveries("ro", &w.id, 1, 10).await.unwrap();
    assert_eq!(
        (
            total,
            rows[0].state.as_str(),
            rows[0].attempts,
            rows[0].delivered_ms
        ),
        (1, "delivered", 2, Some(6_000))
    );
    assert!(store.deliveries("other", &w.id, 1, 10).await.is_err());
    store.delete_webhook("ro", &w.id).await.unwrap();
    assert!(store.webhooks("ro").await.unwrap().is_empty());
}
