//! The router, built from the one route table in `ack_wire::ROUTES`: every path gets one
//! handler that picks the action by method, reads the body, authenticates, then dispatches.

use crate::auth::authenticate;
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::handlers::dispatch;
use crate::respond::{Reply, failure, new_request_id, success};
use crate::state::AppState;
use ack_wire::sign::WireRequest;
use ack_wire::{Action, ErrorCode, Method, ROUTES};
use axum::Router;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{any, get};
use std::sync::Arc;

/// Bodies larger than this are refused; the largest real body (CreateCluster) is a few KiB.
pub(crate) const MAX_BODY: usize = 4 << 20;

/// The API (ACK's routes and ours), the probes and the OpenAPI document, without `/metrics`.
pub fn api(state: AppState) -> Router {
    let mut paths: Vec<(&'static str, Vec<(Method, Action)>)> = Vec::new();
    for r in ROUTES {
        match paths.iter_mut().find(|(p, _)| *p == r.path) {
            Some((_, v)) => v.push((r.method, r.action)),
            None => paths.push((r.path, vec![(r.method, r.action)])),
        }
    }
    let mut router = Router::new();
    for (path, methods) in paths {
        let methods = Arc::new(methods);
        router = router.route(
            path,
            any(
                move |State(st): State<Shared>,
                      raw: Result<RawPathParams, RawPathParamsRejection>,
                      req: Request| {
                    let methods = Arc::clone(&methods);
                    async move { handle(st, &methods, Some(raw), req).await }
                },
            ),
        );
    }
    probes(router)
        .fallback(|State(st): State<Shared>, req: Request| async move {
            handle(st, &[], None, req).await
        })
        .with_state(Arc::new(state))
}

/// The state as the API's routes hold it: extracting it per request is one reference count,
/// where a clone of `AppState` is one per field (its clone and drop took 3-4% of a status
/// call in a profile).
type Shared = Arc<AppState>;

/// `/metrics` and the API together, on one port.
pub fn app(state: AppState) -> Router {
    api(state.clone()).merge(metrics(state))
}

/// `/metrics` alone, for `--metrics-listen`.
pub fn metrics(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(st): State<AppState>| async move {
                match crate::metrics::render(&st).await {
                    Ok(text) => {
                        let mut r = Response::new(axum::body::Body::from(text));
                        r.headers_mut().insert(
                            axum::http::header::CONTENT_TYPE,
                            axum::http::HeaderValue::from_static(
                                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                            ),
                        );
                        r
                    }
                    Err(reason) => {
                        probe(StatusCode::SERVICE_UNAVAILABLE, "unavailable", Some(reason))
                    }
                }
            }),
        )
        .with_state(state)
}

/// Probes for load balancers and Kubernetes, and the OpenAPI document: unauthenticated,
/// outside the signed API.
fn probes(router: Router<Shared>) -> Router<Shared> {
    router
        .route(
            "/healthz",
            get(|| async { probe(StatusCode::OK, "ok", None) }),
        )
        .route(
            "/openapi.json",
            get(|| async {
                let doc = ack_wire::openapi::document().to_string();
                let mut r = Response::new(axum::body::Body::from(doc));
                r.headers_mut().insert(
                    axum::http::header::CONTENT_TYPE,
                    axum::http::HeaderValue::from_static(crate::respond::JSON),
                );
                r
            }),
        )
        .route(
            "/readyz",
            get(|State(st): State<Shared>| async move {
                match st.store.ready().await {
                    Ok(()) => probe(StatusCode::OK, "ready", None),
                    Err(reason) => {
                        probe(StatusCode::SERVICE_UNAVAILABLE, "unavailable", Some(reason))
                    }
                }
            }),
        )
}

/// A probe's answer: `{"status": …}`, with the reason when not ready.
fn probe(status: StatusCode, word: &str, reason: Option<String>) -> Response {
    let mut body = serde_json::json!({ "status": word });
    if let Some(r) = reason {
        body["reason"] = serde_json::Value::String(r);
    }
    let mut r = Response::new(axum::body::Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(crate::respond::JSON),
    );
    r
}

async fn handle(
    st: Shared,
    methods: &[(Method, Action)],
    raw: Option<Result<RawPathParams, RawPathParamsRejection>>,
    req: Request,
) -> Response {
    let request_id = new_request_id();
    let xml = req
        .headers()
        .get_all(axum::http::header::ACCEPT)
        .iter()
        .any(|v| {
            v.as_bytes()
                .windows(3)
                .any(|w| w.eq_ignore_ascii_case(b"xml"))
        });
    let started = std::time::Instant::now();
    let mut facts = Facts::default();
    let result = run(&st, methods, raw, req, &request_id, &mut facts).await;
    let name = facts.action.map_or("unknown", Action::name);
    let code = result.as_ref().err().map_or("", |e| e.code.as_str());
    let seconds = started.elapsed().as_secs_f64();
    st.metrics.observe(name, code, seconds);
    // One line per request; never a secret or a signature (only the account is named).
    tracing::info!(
        target: "ack_addons::request",
        action = name,
        request_id = %request_id,
        account = facts.account.as_deref().unwrap_or(""),
        code = if code.is_empty() { "OK" } else { code },
        status = result.as_ref().err().map_or(200, |e| e.code.status()),
        latency_ms = seconds * 1000.0,
        "request"
    );
    match result {
        Ok(reply) => success(reply, xml, &request_id),
        Err(e) => {
            tracing::debug!(code = e.code.as_str(), message = %e.message, "request refused");
            failure(&e, &request_id)
        }
    }
}

/// What a request's log line names.
#[derive(Default)]
struct Facts {
    action: Option<Action>,
    account: Option<String>,
}

async fn run(
    st: &AppState,
    methods: &[(Method, Action)],
    raw: Option<Result<RawPathParams, RawPathParamsRejection>>,
    req: Request,
    request_id: &str,
    // What the request's log line and metrics name, as soon as each is known.
    facts: &mut Facts,
) -> Result<Reply, ApiError> {
    let (parts, body) = req.into_parts();
    let Some(raw) = raw else {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!(
                "{} {} is not an operation of this API",
                parts.method,
                parts.uri.path()
            ),
        ));
    };
    let action = methods
        .iter()
        .find(|(m, _)| m.as_str() == parts.method.as_str())
        .map(|(_, a)| *a)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!("{} is not allowed on {}", parts.method, parts.uri.path()),
            )
        })?;
    facts.action = Some(action);
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| ApiError::invalid("body", "it is unreadable or larger than 4 MiB"))?;
    // Borrowed where the value is visible ASCII (always, from the SDKs); other bytes are read
    // lossily, as before, into strings of their own.
    let lossy: Vec<String> = parts
        .headers
        .values()
        .filter(|v| v.to_str().is_err())
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let mut lossy_next = lossy.iter();
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            let value = match v.to_str() {
                Ok(s) => s,
                Err(_) => lossy_next.next().map_or("", String::as_str),
            };
            (n.as_str(), value)
        })
        .collect();
    let raw_query = parts.uri.query().unwrap_or("");
    let query = ack_wire::sign::decode_query(raw_query);
    let wire = WireRequest {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query,
        query: &query,
        headers: &headers,
        body: &body,
    };
    let account = authenticate(st, &wire).await?;
    facts.account = Some(account.clone());
    // axum refuses a parameter that decodes to invalid UTF-8 in plain text; ours is ACK's shape.
    let raw = raw.map_err(|e| ApiError::invalid("path", e.body_text()))?;
    let mut params = Vec::new();
    for (name, value) in &raw {
        let decoded = ack_wire::sign::decode_path_segment(value)
            .ok_or_else(|| ApiError::invalid(name, "it is not valid percent-encoded UTF-8"))?;
        params.push((name.to_string(), decoded));
    }
    let last_event_id = parts
        .headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let ctx = Ctx {
        last_event_id,
        account,
        params,
        query,
        body,
        now: st.clock.now(),
        request_id: request_id.to_string(),
    };
    dispatch(st, action, &ctx).await
}
