//! `/console/events`: the API's event stream (StreamEvents) for the viewer's account, behind
//! the session cookie instead of a signature, since a browser's EventSource cannot sign.

use crate::Shared;
use crate::layout::failure;
use ack_server::{Call, Reply, invoke};
use ack_wire::Action;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub async fn events(
    State(c): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let viewer = match c.viewer(&headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let call = Call {
        query: query
            .into_iter()
            .filter(|(k, _)| matches!(k.as_str(), "cluster_id" | "type" | "after"))
            .collect(),
        last_event_id: headers
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        ..Call::default()
    };
    match invoke(&c.app, Action::StreamEvents, &viewer.account, call).await {
        Ok(Reply::EventStream(body)) => {
            let mut r = Response::new(body);
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            r
        }
        Ok(Reply::Bytes(_)) => (StatusCode::INTERNAL_SERVER_ERROR, "not a stream").into_response(),
        Err(e) => failure(&e, Some(&viewer)),
    }
}
