//! ModifyClusterTags over signed requests: the body is the JSON array the SDKs send, the answer
//! `{}`, and the keys given are set while the others stay.

mod common;
use common::TestApp;

#[tokio::test]
async fn modify_cluster_tags_answers_empty_and_merges() {
    let app = TestApp::new().await;
    let (cid, _) = app
        .create_cluster(
            r#"{"name":"t","region_id":"cn-hangzhou","tags":[{"key":"env","value":"prod"}]}"#,
        )
        .await;
    let path = format!("/clusters/{cid}/tags");
    let r = app
        .call(
            "POST",
            &path,
            "",
            r#"[{"key":"env","value":"dev"},{"key":"a","value":"1"}]"#,
        )
        .await;
    assert_eq!((r.status, r.body.as_str()), (200, "{}"));
    assert!(!r.request_id.is_empty());
    let tags = app.get(&format!("/clusters/{cid}"), "").await.json()["tags"].clone();
    assert_eq!(
        tags,
        serde_json::json!([{"key": "a", "value": "1"}, {"key": "env", "value": "dev"}])
    );
    let r = app.call("POST", &path, "", r#"{"key":"env"}"#).await;
    assert_eq!(r.status, 400, "an object is not the array the SDK sends");
}
