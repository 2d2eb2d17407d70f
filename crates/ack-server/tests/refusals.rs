//! Bad input and bad signatures: a clear ACK-style error with the right status, and no change.

mod common;
use common::{NOW, TestApp, golden};

fn assert_error(r: &common::Resp, status: u16, code: &str, needle: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    let v = r.json();
    assert_eq!(v["code"], code, "{}", r.body);
    assert_eq!(v["Code"], code);
    assert_eq!(v["status"], status);
    assert_eq!(v["requestId"], r.request_id.as_str());
    assert_eq!(v["RequestId"], r.request_id.as_str());
    let msg = v["message"].as_str().unwrap();
    assert!(
        msg.contains(needle),
        "message {msg:?} should mention {needle:?}"
    );
    assert_eq!(v["Message"], msg);
    assert!(!r.body.contains("testsecret"));
}

async fn cluster_count(app: &TestApp) -> u64 {
    app.get("/api/v1/clusters", "").await.json()["page_info"]["total_count"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn error_body_bytes() {
    let app = TestApp::new().await;
    let r = app.get("/clusters/c-notfound", "").await;
    golden(
        "error_cluster_not_found.json",
        &r.body,
        &[(&r.request_id, "<request_id>")],
    );
}

#[tokio::test]
async fn malformed_parameters_and_bodies() {
    let app = TestApp::new().await;
    let (cid, _) = app.create_cluster(r#"{"name":"a","region_id":"r"}"#).await;
    let status = format!("/clusters/{cid}/components/upgradestatus");
    assert_error(
        &app.get(&status, "componentIds=metrics-server").await,
        400,
        "InvalidParameter",
        "componentIds",
    );
    assert_error(
        &app.get(&status, "componentIds=%5B1%5D").await,
        400,
        "InvalidParameter",
        "componentIds",
    );
    // Whitespace inside the JSON array is fine (the legacy SDK's json.dumps).
    let ok = app
        .get(&status, "componentIds=%5B%22coredns%22%2C+%22flannel%22%5D")
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json().as_object().unwrap().len(), 2);
    assert_error(
        &app.get("/clusters/c%20bad", "").await,
        400,
        "InvalidParameter",
        "ClusterId",
    );
    assert_error(
        &app.get("/api/v1/clusters", "page_number=0").await,
        400,
        "InvalidParameter",
        "page_number",
    );
    assert_error(
        &app.get("/clusters/components/metadata", "").await,
        400,
        "InvalidParameter",
        "region",
    );
    assert_error(
        &app.get("/addons/nope", "").await,
        404,
        "AddonNotFound",
        "nope",
    );
    assert_error(
        &app.get("/tasks/T-nope", "").await,
        404,
        "ErrorTaskNotFound",
        "T-nope",
    );
    assert_error(
        &app.get("/no/such/path", "").await,
        404,
        "InvalidAction.NotFound",
        "/no/such/path",
    );
    assert_error(
        &app.call("PUT", &format!("/clusters/{cid}"), "", "").await,
        405,
        "UnsupportedHTTPMethod",
        "PUT",
    );

    let before = cluster_count(&app).await;
    for (body, needle) in [
        ("{", "body"),
        ("[]", "body"),
        (r#"{"region_id":"r"}"#, "name"),
        (r#"{"name":"a"}"#, "region_id"),
        (
            r#"{"name":"a","region_id":"r","cluster_type":"Weird"}"#,
            "cluster_type",
        ),
        (
            r#"{"name":"a","region_id":"r","kubernetes_version":"latest"}"#,
            "kubernetes_version",
        ),
        (
            r#"{"name":"a","region_id":"r","addons":[{"name":"coredns","config":"{\"bogus\":1}"}]}"#,
            "bogus",
        ),
        (
            r#"{"name":"a","region_id":"r","addons":[{"name":"coredns","config":"{\"replicas\":\"two\"}"}]}"#,
            "replicas",
        ),
        (
            r#"{"name":"a","region_id":"r","kubernetes_version":"1.20.4","addons":[{"name":"coredns","version":"v1.11.3.2-f57ea7ed6-aliyun"}]}"#,
            "needs Kubernetes",
        ),
        (
            r#"{"name":"a","region_id":"r","addons":[{"name":"csi-plugin","version":"v1.31.3-3b3f4e5-aliyun"},{"name":"csi-provisioner","version":"v1.26.5-56d1e30-aliyun"}]}"#,
            "requires csi-provisioner",
        ),
    ] {
        assert_error(
            &app.call("POST", "/clusters", "", body).await,
            400,
            "InvalidParameter",
            needle,
        );
    }
    assert_error(
        &app.call(
            "POST",
            "/clusters",
            "",
            r#"{"name":"a","region_id":"r","addons":[{"name":"nope"}]}"#,
        )
        .await,
        404,
        "AddonNotFound",
        "nope",
    );
    assert_eq!(
        cluster_count(&app).await,
        before,
        "a refused request changes nothing"
    );
}

#[tokio::test]
async fn signature_refusals() {
    let app = TestApp::new().await;
    let path = "/api/v1/clusters";
    // No Authorization at all.
    assert_error(
        &app.raw("GET", path, "", b"", &[]).await,
        400,
        "IncompleteSignature",
        "Authorization",
    );
    // Tampered query: signed without it.
    let h = app.signed("GET", path, "", b"", "2026-11-22T05:05:39Z");
    assert_error(
        &app.raw("GET", path, "name=x", b"", &h).await,
        400,
        "SignatureDoesNotMatch",
        "signature",
    );
    // Tampered body.
    let h = app.signed(
        "POST",
        "/clusters",
        "",
        br#"{"name":"a","region_id":"r"}"#,
        "2026-11-22T05:05:39Z",
    );
    assert_error(
        &app.raw(
            "POST",
            "/clusters",
            "",
            br#"{"name":"b","region_id":"r"}"#,
            &h,
        )
        .await,
        400,
        "SignatureDoesNotMatch",
        "x-acs-content-sha256",
    );
    // A replayed request: same nonce.
    let h = app.signed("GET", path, "", b"", "2026-11-22T05:05:39Z");
    assert_eq!(app.raw("GET", path, "", b"", &h).await.status, 200);
    assert_error(
        &app.raw("GET", path, "", b"", &h).await,
        400,
        "SignatureNonceUsed",
        "nonce",
    );
    // Clock skew beyond 15 minutes either way.
    let h = app.signed("GET", path, "", b"", "2026-11-22T04:50:00Z");
    assert_error(
        &app.raw("GET", path, "", b"", &h).await,
        400,
        "InvalidTimeStamp.Expired",
        "15 minutes",
    );
    app.clock
        .store(NOW - 3600, std::sync::atomic::Ordering::Relaxed);
    let h = app.signed("GET", path, "", b"", "2026-11-22T05:05:39Z");
    assert_error(
        &app.raw("GET", path, "", b"", &h).await,
        400,
        "InvalidTimeStamp.Expired",
        "15 minutes",
    );
    app.clock.store(NOW, std::sync::atomic::Ordering::Relaxed);
    // Unparseable date.
    let h = app.signed("GET", path, "", b"", "yesterday");
    assert_error(
        &app.raw("GET", path, "", b"", &h).await,
        400,
        "InvalidTimeStamp.Format",
        "x-acs-date",
    );
    // Unknown key.
    let mut h = app.signed("GET", path, "", b"", "2026-11-22T05:05:39Z");
    for (n, v) in &mut h {
        if n == "Authorization" {
            *v = v.replace("Credential=testid", "Credential=ghost");
        }
    }
    assert_error(
        &app.raw("GET", path, "", b"", &h).await,
        404,
        "InvalidAccessKeyId.NotFound",
        "ghost",
    );
    // A signature that leaves out the nonce is refused: it could be replayed.
    let mut h = app.signed("GET", path, "", b"", "2026-11-22T05:05:39Z");
    for (n, v) in &mut h {
        if n == "Authorization" {
            *v = v.replace("x-acs-signature-nonce;", "");
        }
    }
    assert_error(
        &app.raw("GET", path, "", b"", &h).await,
        400,
        "IncompleteSignature",
        "x-acs-signature-nonce",
    );
}
