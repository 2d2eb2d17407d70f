//! The baseline: the smallest axum server that parses the same route (path parameter and
//! `componentIds` query) and answers a fixed body of the same size as the real answer.

use axum::Router;
use axum::extract::{Path, RawQuery};
use axum::http::header;
use axum::routing::get;

pub async fn serve(listen: &str, body_size: usize) -> Result<(), String> {
    let body: &'static str = Box::leak(
        format!("{{\"x\":\"{}\"}}", "a".repeat(body_size.saturating_sub(8))).into_boxed_str(),
    );
    let app = Router::new().route(
        "/clusters/{cluster_id}/components/upgradestatus",
        get(
            move |Path(cluster): Path<String>, RawQuery(q): RawQuery| async move {
                // Parse what the real server parses, so the comparison is about the rest.
                let ids: Option<Vec<String>> = q.as_deref().and_then(|q| {
                    form_pairs(q)
                        .find(|(k, _)| k == "componentIds")
                        .and_then(|(_, v)| serde_json::from_str(&v).ok())
                });
                std::hint::black_box((cluster, ids));
                (
                    [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
                    body,
                )
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "listening on http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    use std::io::Write;
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}

fn form_pairs(q: &str) -> impl Iterator<Item = (String, String)> + '_ {
    ack_wire::sign::decode_query(q).into_iter()
}
