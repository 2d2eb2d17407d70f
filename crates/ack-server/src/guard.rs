//! Refusals of the HTTP layer in ACK's shape. The SDKs and Terraform read `code` from every error
//! they see, so what a bare HTTP server would answer with an empty or plain-text body (bad path
//! encoding, an over-long target or head, an unknown `Expect`, a body too large or too slow)
//! answers here with the same JSON body as any other error.

use crate::error::ApiError;
use crate::respond::{JSON, error_body, failure, new_request_id};
use crate::routes::MAX_BODY;
use ack_wire::ErrorCode;
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Duration;

/// A request target longer than this is refused (hyper's own limit, 64 KiB, is past it).
pub const MAX_URI: usize = 16 << 10;
/// Request line and headers together; hyper's read buffer (about 400 KiB) is past it.
pub const MAX_HEAD: usize = 64 << 10;

/// Wraps the whole router (API, console, probes): every request passes these checks first, and
/// its body is read here, within `body_timeout` and [`MAX_BODY`].
pub fn guard(router: Router, body_timeout: Duration) -> Router {
    router.layer(axum::middleware::from_fn(
        move |req: Request, next: Next| async move {
            match admit(req, body_timeout).await {
                Ok(req) => next.run(req).await,
                Err((e, close)) => refuse(&e, close),
            }
        },
    ))
}

/// The request with its body read, or the refusal (and whether the connection must close: a
/// body left unread cannot be skipped over).
async fn admit(req: Request, body_timeout: Duration) -> Result<Request, (ApiError, bool)> {
    screen(&req).map_err(|e| (e, false))?;
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err((too_large(), true));
    }
    let bytes = match tokio::time::timeout(body_timeout, axum::body::to_bytes(body, MAX_BODY)).await
    {
        Err(_) => {
            let msg = format!(
                "the request body was not received within {}",
                humantime::format_duration(body_timeout)
            );
            return Err((ApiError::new(ErrorCode::RequestTimeout, msg), true));
        }
        Ok(Err(e)) if is_length_limit(&e) => return Err((too_large(), true)),
        Ok(Err(_)) => {
            let msg = "the request body could not be read";
            return Err((ApiError::new(ErrorCode::MalformedRequest, msg), true));
        }
        Ok(Ok(b)) => b,
    };
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn screen(req: &Request) -> Result<(), ApiError> {
    if let Some(expect) = req.headers().get(header::EXPECT)
        && !expect.as_bytes().eq_ignore_ascii_case(b"100-continue")
    {
        return Err(ApiError::new(
            ErrorCode::ExpectationFailed,
            "Expect is invalid: only 100-continue is supported",
        ));
    }
    let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI {
        return Err(ApiError::new(
            ErrorCode::UriTooLong,
            format!("the request target is longer than {} KiB", MAX_URI >> 10),
        ));
    }
    let head: usize = target
        + req
            .headers()
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 4)
            .sum::<usize>();
    if head > MAX_HEAD {
        return Err(ApiError::new(
            ErrorCode::HeadersTooLarge,
            format!(
                "the request line and headers are larger than {} KiB",
                MAX_HEAD >> 10
            ),
        ));
    }
    // axum's router would answer a plain-text "Invalid UTF-8" for such a path parameter.
    for segment in req.uri().path().split('/').filter(|s| s.contains('%')) {
        if percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .is_err()
        {
            return Err(ApiError::invalid(
                &format!("the path segment {segment}"),
                "it is not valid percent-encoded UTF-8",
            ));
        }
    }
    Ok(())
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::RequestEntityTooLarge,
        format!("the request body is larger than {} MiB", MAX_BODY >> 20),
    )
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

fn refuse(e: &ApiError, close: bool) -> Response {
    let request_id = new_request_id();
    log(e, &request_id);
    let mut r = failure(e, &request_id);
    if close {
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

fn log(e: &ApiError, request_id: &str) {
    tracing::info!(
        target: "ack_addons::request",
        action = "unknown",
        request_id = %request_id,
        account = "",
        code = e.code.as_str(),
        status = e.code.status(),
        latency_ms = 0.0,
        "request"
    );
}

/// What the listener writes instead of hyper's bare answer of this status to a request it could
/// not parse (hyper answers only 400, 414 and 431 itself).
pub fn parse_refusal(status: u16) -> Vec<u8> {
    let (code, message) = match status {
        414 => (ErrorCode::UriTooLong, "the request target is too long"),
        431 => (
            ErrorCode::HeadersTooLarge,
            "the request line and headers are too large",
        ),
        _ => (
            ErrorCode::MalformedRequest,
            "the request could not be parsed as HTTP (request line, target or a header)",
        ),
    };
    refusal_bytes(code, message)
}

/// What the listener writes to a connection that sent part of a request head, not all of it,
/// within `timeout`.
pub fn head_timeout_refusal(timeout: Duration) -> Vec<u8> {
    let message = format!(
        "the request head was not received within {}",
        humantime::format_duration(timeout)
    );
    refusal_bytes(ErrorCode::RequestTimeout, &message)
}

/// A whole HTTP/1.1 answer, written by the listener itself where hyper refused a request before
/// any service saw it.
fn refusal_bytes(code: ErrorCode, message: &str) -> Vec<u8> {
    let request_id = new_request_id();
    let e = ApiError::new(code, message);
    log(&e, &request_id);
    let (status, body) = error_body(&e, &request_id);
    let reason = status.canonical_reason().unwrap_or("");
    let status = status.as_u16();
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {JSON}\r\nx-acs-request-id: {request_id}\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}
