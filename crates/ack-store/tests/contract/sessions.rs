//! Console sessions: found by their token's hash until they expire, gone at logout.

use ack_store::{SessionRecord, Store};

pub async fn suite(store: &Store) {
    let s = SessionRecord {
        account: "acct".into(),
        access_key_id: "ak".into(),
        csrf: "c".repeat(64),
        created_ms: 1_000,
        expires_ms: 5_000,
    };
    store.create_session("h1", &s).await.unwrap();
    assert_eq!(store.session("h1", 4_999).await.unwrap(), Some(s.clone()));
    assert_eq!(store.session("h1", 5_000).await.unwrap(), None, "expired");
    assert_eq!(store.session("h2", 1_000).await.unwrap(), None, "unknown");
    // The same token twice is refused, not merged.
    assert!(store.create_session("h1", &s).await.is_err());

    // A later login forgets the expired ones.
    let later = SessionRecord {
        created_ms: 6_000,
        expires_ms: 9_000,
        ..s.clone()
    };
    store.create_session("h3", &later).await.unwrap();
    assert_eq!(store.session("h1", 0).await.unwrap(), None, "purged");
    store.delete_session("h3").await.unwrap();
    assert_eq!(store.session("h3", 6_000).await.unwrap(), None);
}
