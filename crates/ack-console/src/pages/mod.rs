//! One module per page. Each handler finds the viewer, calls the API's handlers, renders.

pub mod cluster;
pub mod clusters;
pub mod config;
pub mod fleet;
pub mod rollout;
pub mod rollouts;
pub mod task;

use crate::Shared;
use crate::layout::{failure, see_other};
use crate::session::Viewer;
use ack_server::ApiError;
use ack_wire::Action;
use axum::response::Response;
use std::collections::HashMap;

/// The page, or the API's refusal as a page.
pub fn done(v: &Viewer, r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(|e| failure(&e, Some(v)))
}

/// Whether the request asks only for the live part (the script's refresh).
pub fn live_part(query: &[(String, String)]) -> bool {
    query.iter().any(|(k, v)| k == "part" && v == "live")
}

pub fn get<'a>(query: &'a [(String, String)], key: &str) -> &'a str {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// A pause, resume or cancel form (`op`) posted for the task or rollout `param`; back to `back`.
pub async fn control(
    c: &Shared,
    v: &Viewer,
    form: &HashMap<String, String>,
    actions: [Action; 3],
    param: (&str, &str),
    back: &str,
) -> Response {
    if let Some(r) = v.refused(form) {
        return r;
    }
    let [pause, resume, cancel] = actions;
    let action = match form.get("op").map(String::as_str) {
        Some("pause") => pause,
        Some("resume") => resume,
        Some("cancel") => cancel,
        other => {
            let e = ApiError::invalid("op", format!("{other:?} is not pause, resume or cancel"));
            return done(v, Err(e));
        }
    };
    let r = crate::api::change(&c.app, v, action, &[param], &serde_json::json!({}))
        .await
        .map(|_| see_other(back));
    done(v, r)
}
