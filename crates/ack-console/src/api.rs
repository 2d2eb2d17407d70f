//! Calls into the API's handlers for the viewer's account, and reading their JSON answers.

use crate::session::Viewer;
use ack_server::{ApiError, Call, Reply, invoke};
use ack_wire::Action;
use serde_json::Value;

/// A call's path parameters and query, as `(name, value)` pairs.
pub fn pairs(kv: &[(&str, &str)]) -> Vec<(String, String)> {
    kv.iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Runs `action` and parses its JSON answer.
pub async fn call(
    app: &ack_server::AppState,
    viewer: &Viewer,
    action: Action,
    call: Call,
) -> Result<Value, ApiError> {
    match invoke(app, action, &viewer.account, call).await? {
        Reply::Bytes(b) => serde_json::from_slice(&b).map_err(|e| {
            ApiError::from(ack_domain::DomainError::Internal(format!(
                "{} answered what is not JSON: {e}",
                action.name()
            )))
        }),
        Reply::EventStream(_) => Err(ApiError::from(ack_domain::DomainError::Internal(format!(
            "{} answered a stream",
            action.name()
        )))),
    }
}

/// A GET-like call: path parameters and query only.
pub async fn read(
    app: &ack_server::AppState,
    viewer: &Viewer,
    action: Action,
    params: &[(&str, &str)],
    query: &[(&str, &str)],
) -> Result<Value, ApiError> {
    let c = Call {
        params: pairs(params),
        query: pairs(query),
        ..Call::default()
    };
    call(app, viewer, action, c).await
}

/// A change: path parameters and a JSON body.
pub async fn change(
    app: &ack_server::AppState,
    viewer: &Viewer,
    action: Action,
    params: &[(&str, &str)],
    body: &Value,
) -> Result<Value, ApiError> {
    let c = Call {
        params: pairs(params),
        body: body.to_string().into_bytes(),
        ..Call::default()
    };
    call(app, viewer, action, c).await
}

/// `v[key]` as text ("" when absent; numbers and booleans as written).
pub fn s<'a>(v: &'a Value, key: &str) -> std::borrow::Cow<'a, str> {
    match v.get(key) {
        Some(Value::String(t)) => std::borrow::Cow::Borrowed(t.as_str()),
        Some(Value::Null) | None => std::borrow::Cow::Borrowed(""),
        Some(other) => std::borrow::Cow::Owned(other.to_string()),
    }
}

pub fn n(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

pub fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}
