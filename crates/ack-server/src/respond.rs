//! Success and error responses: a JSON body always (the SDKs fail on an empty one), XML when the
//! client's Accept asks for it, `x-acs-request-id` on every answer.

use crate::error::ApiError;
use ack_wire::dto::ErrorBody;
use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};

pub const JSON: &str = "application/json;charset=utf-8";
const XML: &str = "application/xml;charset=utf-8";

/// A success: a serialized body, or a stream of Server-Sent Events.
pub enum Reply {
    Bytes(Vec<u8>),
    EventStream(Body),
}

impl Reply {
    /// `{}`: the answer of the calls whose SDK models read no body (pause, resume, cancel).
    pub fn empty() -> Self {
        Reply::Bytes(b"{}".to_vec())
    }

    pub fn json<T: serde::Serialize>(value: &T) -> Result<Self, ApiError> {
        json_bytes(value).map(Reply::Bytes)
    }
}

/// `value` as a JSON body.
pub fn json_bytes<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    // Most answers are under a kilobyte: one allocation instead of a run of regrowths.
    let mut out = Vec::with_capacity(1024);
    serde_json::to_writer(&mut out, value)
        .map(|()| out)
        .map_err(|e| ApiError::from(ack_domain::DomainError::Internal(e.to_string())))
}

fn with_headers(
    status: StatusCode,
    content_type: &'static str,
    request_id: &str,
    body: Vec<u8>,
) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-acs-request-id", v);
    }
    r
}

pub fn success(reply: Reply, xml: bool, request_id: &str) -> Response<Body> {
    let bytes = match reply {
        Reply::Bytes(b) => b,
        Reply::EventStream(body) => {
            let mut r = Response::new(body);
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            if let Ok(v) = HeaderValue::from_str(request_id) {
                h.insert("x-acs-request-id", v);
            }
            return r;
        }
    };
    if xml && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        return with_headers(
            StatusCode::OK,
            XML,
            request_id,
            ack_wire::xml::render(&value).into_bytes(),
        );
    }
    with_headers(StatusCode::OK, JSON, request_id, bytes)
}

pub fn failure(err: &ApiError, request_id: &str) -> Response<Body> {
    let (status, bytes) = error_body(err, request_id);
    let mut r = with_headers(status, JSON, request_id, bytes);
    if let Some(ms) = err.retry_after_ms
        && let Ok(v) = HeaderValue::from_str(&ms.to_string())
    {
        r.headers_mut().insert("x-acs-retry-after", v);
    }
    r
}

/// The status and JSON body of an error answer.
pub(crate) fn error_body(err: &ApiError, request_id: &str) -> (StatusCode, Vec<u8>) {
    let status = err.code.status();
    let body = ErrorBody::new(err.code.as_str(), &err.message, request_id, status);
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| {
        br#"{"code":"InternalError","message":"error body could not be encoded","Code":"InternalError"}"#.to_vec()
    });
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        bytes,
    )
}

/// Uppercase UUID (version 4 layout), as ACK's request ids look. The bits come from a counter
/// hashed with this process's random keys rather than from the OS per request: a `getrandom`
/// call on every poll showed in the profile, and a request id needs to be unique, not secret.
pub fn new_request_id() -> String {
    use std::hash::BuildHasher;
    use std::sync::LazyLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static KEYS: LazyLock<(std::hash::RandomState, std::hash::RandomState)> =
        LazyLock::new(|| (std::hash::RandomState::new(), std::hash::RandomState::new()));
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&KEYS.0.hash_one(n).to_le_bytes());
    bytes[8..].copy_from_slice(&KEYS.1.hash_one(n).to_le_bytes());
    let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_upper(&mut buf).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_uppercase_v4_uuids_and_differ() {
        let (a, b) = (super::new_request_id(), super::new_request_id());
        assert_ne!(a, b);
        let u = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(u.get_version_num(), 4);
        assert_eq!(a, a.to_uppercase());
    }
}
