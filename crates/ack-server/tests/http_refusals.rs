//! The HTTP layer's own refusals, in ACK's shape: the guard's answers through the whole router,
//! and the bytes the listener writes where hyper refused a request itself.

mod common;
use axum::body::Body;
use axum::http::Request;
use common::{TestApp, golden};
use http_body_util::BodyExt;
use std::time::Duration;
use tower::ServiceExt;

const BODY_TIMEOUT: Duration = Duration::from_millis(200);

/// (status, content type, request id, body) of one request through the guarded router.
async fn send(app: &TestApp, req: Request<Body>) -> (u16, String, String, String) {
    let router = ack_server::guard(ack_server::app(app.state.clone()), BODY_TIMEOUT);
    let resp = router.oneshot(req).await.unwrap();
    let header = |n: &str| {
        resp.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let (ct, id) = (header("content-type"), header("x-acs-request-id"));
    let status = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ct, id, String::from_utf8(bytes.to_vec()).unwrap())
}

fn check(name: &str, got: (u16, String, String, String), status: u16) {
    let (s, ct, id, body) = got;
    assert_eq!(s, status, "{name}: {body}");
    assert_eq!(ct, "application/json;charset=utf-8", "{name}");
    assert_eq!(id.len(), 36, "{name}");
    golden(name, &body, &[(&id, "<request_id>")]);
}

fn get(uri: &str) -> axum::http::request::Builder {
    Request::builder().method("GET").uri(uri)
}

#[tokio::test]
async fn the_guards_refusals() {
    let app = TestApp::new().await;
    let cases: Vec<(&str, Request<Body>, u16)> = vec![
        (
            "http_bad_path_encoding.json",
            get("/clusters/%ff/components/upgradestatus")
                .body(Body::empty())
                .unwrap(),
            400,
        ),
        (
            "http_expect.json",
            get("/healthz")
                .header("expect", "magic")
                .body(Body::empty())
                .unwrap(),
            417,
        ),
        (
            "http_uri_too_long.json",
            get(&format!("/{}", "a".repeat(ack_server::MAX_URI)))
                .body(Body::empty())
                .unwrap(),
            414,
        ),
        (
            "http_head_too_large.json",
            get("/healthz")
                .header("x-big", "a".repeat(ack_server::MAX_HEAD))
                .body(Body::empty())
                .unwrap(),
            431,
        ),
        (
            "http_body_too_large.json",
            Request::builder()
                .method("POST")
                .uri("/clusters")
                .body(Body::from(vec![b' '; (4 << 20) + 1]))
                .unwrap(),
            413,
        ),
        (
            "http_body_timeout.json",
            Request::builder()
                .method("POST")
                .uri("/clusters")
                .body(Body::from_stream(tokio_stream::pending::<
                    Result<Vec<u8>, std::io::Error>,
                >()))
                .unwrap(),
            408,
        ),
    ];
    for (name, req, status) in cases {
        check(name, send(&app, req).await, status);
    }
    // A 100-continue is hyper's to answer, and passes.
    let ok = get("/healthz").header("expect", "100-continue");
    assert_eq!(send(&app, ok.body(Body::empty()).unwrap()).await.0, 200);
}

/// The whole answer, status line and headers too, with its request id replaced.
fn raw_golden(name: &str, bytes: Vec<u8>) {
    let text = String::from_utf8(bytes).unwrap();
    let id = text
        .split("x-acs-request-id: ")
        .nth(1)
        .and_then(|rest| rest.get(..36))
        .expect("x-acs-request-id")
        .to_string();
    golden(name, &text, &[(&id, "<request_id>")]);
}

#[test]
fn the_listeners_answers_for_hypers_refusals() {
    raw_golden("http_malformed.txt", ack_server::parse_refusal(400));
    raw_golden(
        "http_hyper_uri_too_long.txt",
        ack_server::parse_refusal(414),
    );
    raw_golden(
        "http_hyper_head_too_large.txt",
        ack_server::parse_refusal(431),
    );
    raw_golden(
        "http_head_timeout.txt",
        ack_server::head_timeout_refusal(Duration::from_secs(10)),
    );
}
