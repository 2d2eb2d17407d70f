//! One module per page. Each handler finds the viewer, calls the API's handlers, renders.

pub mod cluster;
pub mod clusters;
pub mod config;
pub mod fleet;
pub mod rollout;
pub mod rollouts;
pub mod task;

use crate::layout::failure;
use crate::session::Viewer;
use ack_server::ApiError;
use axum::response::Response;

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
