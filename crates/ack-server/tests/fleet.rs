//! DescribeFleetAddons over signed requests: repeated `tag` filters (which the SDKs' query maps
//! cannot send, but a hand-built URL can) survive signing and are ANDed.

mod common;
use common::TestApp;

fn create(name: &str, tags: &str) -> String {
    format!(
        r#"{{"name":"{name}","region_id":"cn-hangzhou","kubernetes_version":"1.31.1-aliyun.1","tags":{tags}}}"#
    )
}

#[tokio::test]
async fn repeated_tags_are_anded() {
    let app = TestApp::new().await;
    app.create_cluster(&create(
        "a",
        r#"[{"key":"env","value":"prod"},{"key":"team","value":"x"}]"#,
    ))
    .await;
    app.create_cluster(&create("b", r#"[{"key":"env","value":"prod"}]"#))
        .await;
    app.create_cluster(&create("c", "[]")).await;
    let installed = |q: &'static str| {
        let app = &app;
        async move {
            let r = app.get("/fleet/addons", q).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let v = r.json();
            let ms = v["addons"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == "metrics-server")
                .cloned();
            ms.map_or(0, |a| a["installed"].as_u64().unwrap())
        }
    };
    assert_eq!(installed("").await, 3);
    assert_eq!(installed("tag=env%3Aprod").await, 2);
    assert_eq!(installed("tag=env%3Aprod&tag=team%3Ax").await, 1);
    assert_eq!(installed("tag=team%3Ax&tag=env%3Adev").await, 0);
    assert_eq!(installed("kubernetes_version=1.31.1").await, 3);
    assert_eq!(installed("kubernetes_version=1.30").await, 0);
    let bad = app.get("/fleet/addons", "tag=env&tag=team%3Ax").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["code"], "InvalidParameter");
    assert!(bad.json()["message"].as_str().unwrap().contains("tag"));
}
