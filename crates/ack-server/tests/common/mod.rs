//! An in-process server on a real SQLite file with a pinned clock, and a client that signs every
//! request the way the tea SDK does.

#![allow(dead_code)]

use ack_domain::Catalog;
use ack_engine::{Engine, EngineConfig, Executor, Signals};
use ack_server::{AppState, AuthMode, Clock, KeyRing, NonceCache};
use ack_wire::sign::{AccessKeySecret, sign_acs3};
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use tower::ServiceExt;

/// 2026-11-22T05:05:39Z, the time of the SDK captures.
pub const NOW: i64 = 1_795_323_939;

pub struct TestApp {
    pub state: AppState,
    pub clock: Arc<AtomicI64>,
    _dir: tempfile::TempDir,
    nonce: AtomicU64,
}

pub struct Resp {
    pub status: u16,
    pub content_type: String,
    pub request_id: String,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestApp {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/test.db", dir.path().display());
        let store = ack_store::Store::connect(&url).await.unwrap();
        let clock = Arc::new(AtomicI64::new(NOW));
        let keys = KeyRing::new([(
            "testid".to_string(),
            AccessKeySecret::new("testsecret"),
            "default".to_string(),
        )]);
        let catalog = Arc::new(Catalog::builtin());
        let signals = Arc::new(Signals::default());
        let cfg = EngineConfig {
            executor: Executor::Simulated {
                stage_duration: std::time::Duration::ZERO,
            },
            max_concurrent: 16,
            lease: std::time::Duration::from_secs(60),
            poll: std::time::Duration::from_millis(20),
        };
        Engine::new(
            store.clone(),
            catalog.clone(),
            Clock::Fixed(clock.clone()),
            signals.clone(),
            cfg,
        )
        .spawn();
        let state = AppState {
            stream: ack_events::StreamConfig::default(),
            metrics: Default::default(),
            task_views: Default::default(),
            throttle: Default::default(),
            store,
            catalog,
            keys: Arc::new(keys),
            nonces: Arc::new(NonceCache::default()),
            auth: AuthMode::Verify,
            clock: Clock::Fixed(clock.clone()),
            signals,
        };
        Self {
            state,
            clock,
            _dir: dir,
            nonce: AtomicU64::new(0),
        }
    }

    /// The signed headers of a request, with a fresh nonce.
    pub fn signed(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        date: &str,
    ) -> Vec<(String, String)> {
        self.signed_accept(method, path, query, body, date, "application/json")
    }

    pub fn signed_accept(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        date: &str,
        accept: &str,
    ) -> Vec<(String, String)> {
        let n = self.nonce.fetch_add(1, Ordering::Relaxed);
        let mut headers = vec![
            ("host".to_string(), "127.0.0.1".to_string()),
            ("x-acs-action".to_string(), "Test".to_string()),
            ("x-acs-version".to_string(), "2015-12-15".to_string()),
            ("x-acs-date".to_string(), date.to_string()),
            ("x-acs-signature-nonce".to_string(), format!("nonce-{n}")),
            ("accept".to_string(), accept.to_string()),
        ];
        if !body.is_empty() {
            headers.push((
                "content-type".to_string(),
                "application/json; charset=utf-8".to_string(),
            ));
        }
        sign_acs3(
            method,
            path,
            query,
            &mut headers,
            body,
            "testid",
            &AccessKeySecret::new("testsecret"),
        );
        headers
    }

    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
        headers: &[(String, String)],
    ) -> Resp {
        let uri = if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        };
        let mut req = Request::builder().method(method).uri(uri);
        for (n, v) in headers {
            req = req.header(n.as_str(), v.as_str());
        }
        let resp = ack_server::app(self.state.clone())
            .oneshot(req.body(Body::from(body.to_vec())).unwrap())
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        let (content_type, request_id) = (header("content-type"), header("x-acs-request-id"));
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            content_type,
            request_id,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    pub async fn call(&self, method: &str, path: &str, query: &str, body: &str) -> Resp {
        let headers = self.signed(method, path, query, body.as_bytes(), "2026-11-22T05:05:39Z");
        self.raw(method, path, query, body.as_bytes(), &headers)
            .await
    }

    pub async fn get(&self, path: &str, query: &str) -> Resp {
        self.call("GET", path, query, "").await
    }

    /// Waits until the engine has no running task (paused ones count as settled).
    pub async fn settle(&self) {
        for _ in 0..500 {
            if self.state.store.running_tasks().await.unwrap() == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("tasks did not settle within 5 s");
    }

    /// Creates a cluster, waits for its creation task, and returns (cluster_id, task_id).
    pub async fn create_cluster(&self, body: &str) -> (String, String) {
        let r = self.call("POST", "/clusters", "", body).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        self.settle().await;
        (
            v["cluster_id"].as_str().unwrap().to_string(),
            v["task_id"].as_str().unwrap().to_string(),
        )
    }
}

/// Compares with `tests/golden/NAME` after replacing generated ids; `UPDATE_GOLDEN=1` rewrites.
pub fn golden(name: &str, actual: &str, ids: &[(&str, &str)]) {
    let mut normalized = actual.to_string();
    for (id, placeholder) in ids {
        normalized = normalized.replace(id, placeholder);
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &normalized).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing golden file {}", path.display()));
    assert_eq!(
        normalized,
        expected,
        "response differs from {}",
        path.display()
    );
}
