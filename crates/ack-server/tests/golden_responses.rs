//! Exact bytes of every response shape of the read side, against a real SQLite file.

mod common;
use common::{TestApp, golden};

const CREATE: &str = r#"{"name":"golden","region_id":"cn-hangzhou","cluster_type":"ManagedKubernetes",
 "kubernetes_version":"1.28.9-aliyun.1","vpcid":"vpc-1","vswitch_ids":["vsw-1"],
 "addons":[{"name":"metrics-server","version":"v0.3.9.4-ff225cd-aliyun","config":"{\"sls_project_name\":\"p\"}"},
 {"name":"logtail-ds","disabled":true}]}"#;

#[tokio::test]
async fn every_read_response_shape() {
    let app = TestApp::new().await;
    let (cid, tid) = app.create_cluster(CREATE).await;
    let ids = [(cid.as_str(), "<cluster_id>"), (tid.as_str(), "<task_id>")];
    let cases: Vec<(&str, String, String)> = vec![
        (
            "upgradestatus_many.json",
            format!("/clusters/{cid}/components/upgradestatus"),
            "componentIds=%5B%22metrics-server%22%2C%22logtail-ds%22%2C%22no-such%22%5D".into(),
        ),
        (
            "upgradestatus_one.json",
            format!("/clusters/{cid}/components/coredns/upgradestatus"),
            "".into(),
        ),
        (
            "addons_version.json",
            format!("/clusters/{cid}/components/version"),
            "".into(),
        ),
        ("cluster_detail.json", format!("/clusters/{cid}"), "".into()),
        (
            "clusters_page.json",
            "/api/v1/clusters".into(),
            "page_size=5&RegionId=cn-hangzhou".into(),
        ),
        ("task_info.json", format!("/tasks/{tid}"), "".into()),
        (
            "list_instances.json",
            format!("/clusters/{cid}/addon_instances"),
            "".into(),
        ),
        (
            "get_instance.json",
            format!("/clusters/{cid}/addon_instances/metrics-server"),
            "".into(),
        ),
        (
            "describe_instance.json",
            format!("/clusters/{cid}/components/metrics-server/instance"),
            "".into(),
        ),
        (
            "metadata.json",
            format!("/clusters/{cid}/components/coredns/metadata"),
            "version=".into(),
        ),
        (
            "describe_addon.json",
            "/addons/metrics-server".into(),
            "cluster_version=1.24.6-aliyun.1&version=v0.3.9.5-aliyun".into(),
        ),
        (
            "list_addons.json",
            "/addons".into(),
            format!("cluster_id={cid}"),
        ),
        (
            "describe_addons.json",
            "/clusters/components/metadata".into(),
            "region=cn-hangzhou&cluster_type=ManagedKubernetes".into(),
        ),
    ];
    for (name, path, query) in cases {
        let r = app.get(&path, &query).await;
        assert_eq!(r.status, 200, "{name}: {}", r.body);
        assert_eq!(r.content_type, "application/json;charset=utf-8", "{name}");
        assert_eq!(r.request_id.len(), 36, "{name}: x-acs-request-id");
        // The engine names itself with a random runner id in stage events.
        let runner: Vec<String> = r
            .body
            .match_indices("runner-")
            .map(|(i, _)| r.body[i..i + 39].to_string())
            .collect();
        let mut all: Vec<(&str, &str)> = ids.to_vec();
        all.extend(runner.iter().map(|x| (x.as_str(), "<runner>")));
        golden(name, &r.body, &all);
    }
}

#[tokio::test]
async fn xml_when_accept_asks_for_it() {
    let app = TestApp::new().await;
    let (cid, tid) = app.create_cluster(CREATE).await;
    let path = format!("/clusters/{cid}/components/upgradestatus");
    let query = "componentIds=%5B%22metrics-server%22%2C%22flannel%22%5D";
    let headers = app.signed_accept(
        "GET",
        &path,
        query,
        b"",
        "2026-11-22T05:05:39Z",
        "application/xml",
    );
    let r = app.raw("GET", &path, query, b"", &headers).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.content_type, "application/xml;charset=utf-8");
    golden(
        "upgradestatus_many.xml",
        &r.body,
        &[(cid.as_str(), "<cluster_id>"), (tid.as_str(), "<task_id>")],
    );
}

#[tokio::test]
async fn create_and_delete_answer_with_ids() {
    let app = TestApp::new().await;
    let r = app
        .call(
            "POST",
            "/clusters",
            "",
            r#"{"name":"x","region_id":"cn-beijing"}"#,
        )
        .await;
    let v = r.json();
    let (cid, tid) = (
        v["cluster_id"].as_str().unwrap(),
        v["task_id"].as_str().unwrap(),
    );
    golden(
        "create_cluster.json",
        &r.body,
        &[
            (cid, "<cluster_id>"),
            (tid, "<task_id>"),
            (&r.request_id, "<request_id>"),
        ],
    );
    app.settle().await;
    let d = app
        .call("DELETE", &format!("/clusters/{cid}"), "", "")
        .await;
    let dv = d.json();
    assert_eq!(dv["cluster_id"], cid);
    let dtid = dv["task_id"].as_str().unwrap();
    assert_ne!(dtid, tid);
    app.settle().await;
    let t = app.get(&format!("/tasks/{dtid}"), "").await.json();
    assert_eq!(
        (t["state"].as_str(), t["task_type"].as_str()),
        (Some("success"), Some("cluster_delete"))
    );
    assert_eq!(app.get(&format!("/clusters/{cid}"), "").await.status, 404);
    assert_eq!(
        app.get(&format!("/clusters/{cid}/addon_instances"), "")
            .await
            .status,
        404
    );
}
