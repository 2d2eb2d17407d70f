//! A rollout: progress per wave, live, with pause, resume and cancel, and its member clusters.

use super::{done, live_part};
use crate::Shared;
use crate::api::{list, n, read, s};
use crate::layout::{Page, controls, html_response, state, when};
use crate::session::Viewer;
use ack_server::ApiError;
use ack_wire::Action;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

pub async fn page(
    State(c): State<Shared>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let r = render(&c, &v, &id, live_part(&q)).await;
    done(&v, r)
}

/// Member states per wave, from the first thousand members (the whole of most rollouts).
fn by_wave(members: &[Value]) -> BTreeMap<i64, BTreeMap<String, u64>> {
    let mut out: BTreeMap<i64, BTreeMap<String, u64>> = BTreeMap::new();
    for m in members {
        let wave = m.get("wave").and_then(Value::as_i64).unwrap_or(-1);
        *out.entry(wave)
            .or_default()
            .entry(s(m, "state").into_owned())
            .or_default() += 1;
    }
    out
}

async fn live(c: &Shared, v: &Viewer, id: &str) -> Result<Markup, ApiError> {
    let r = read(
        &c.app,
        v,
        Action::DescribeAddonRollout,
        &[("rollout_id", id)],
        &[],
    )
    .await?;
    let members = read(
        &c.app,
        v,
        Action::DescribeAddonRolloutClusters,
        &[("rollout_id", id)],
        &[("page_size", "1000")],
    )
    .await?;
    let members = list(&members, "clusters");
    let per_wave = by_wave(members);
    let counts = r.get("counts").cloned().unwrap_or(Value::Null);
    let control = format!("/console/rollouts/{id}/control");
    let error = r.get("error").cloned().unwrap_or(Value::Null);
    Ok(html! {
        p { "State: " strong id="rollout-state" data-state=(s(&r, "state")) { (state(&s(&r, "state"))) }
            " · " (s(&r, "addon")) " to " (s(&r, "version")) }
        @if !s(&error, "code").is_empty() { p.error role="alert" { (s(&error, "code")) ": " (s(&error, "message")) } }
        p {
            (controls(v, &control, &s(&r, "state"), "rollout"))
        }
        p id="rollout-counts" {
            @for k in ["total", "pending", "running", "success", "fail", "skipped", "canceled", "rolled_back"] {
                (k) " " strong { (n(&counts, k)) } " · "
            }
        }
        h2 { "Waves" }
        table {
            thead { tr {
                th scope="col" { "Wave" } th scope="col" { "Clusters" } th scope="col" { "State" }
                th scope="col" { "Progress" } th scope="col" { "Started" } th scope="col" { "Finished" }
            } }
            tbody {
                @for w in list(&r, "waves") {
                    @let index = w.get("index").and_then(Value::as_i64).unwrap_or(0);
                    @let size = n(w, "size");
                    @let tally = per_wave.get(&index).cloned().unwrap_or_default();
                    @let finished = ["success", "fail", "canceled", "rolled_back"].iter().map(|k| tally.get(*k).copied().unwrap_or(0)).sum::<u64>();
                    tr {
                        th scope="row" { (index + 1) }
                        td { (size) }
                        td { (state(&s(w, "state"))) }
                        td {
                            meter min="0" max=(size.max(1)) value=(finished) aria-label=(format!("wave {}: {finished} of {size} done", index + 1)) {}
                            " "
                            @for (k, count) in &tally { (k) " " (count) " " }
                        }
                        td { (when(&s(w, "started"))) } td { (when(&s(w, "finished"))) }
                    }
                }
            }
        }
        h2 { "Clusters" }
        table {
            thead { tr { th scope="col" { "Cluster" } th scope="col" { "Wave" } th scope="col" { "State" } th scope="col" { "From" } th scope="col" { "Task" } th scope="col" { "Message" } } }
            tbody {
                @for m in members.iter().take(200) {
                    @let wave = m.get("wave").and_then(Value::as_i64).unwrap_or(-1);
                    tr {
                        td { a href=(format!("/console/clusters/{}", s(m, "cluster_id"))) { code { (s(m, "cluster_id")) } } }
                        td { @if wave < 0 { "skipped" } @else { (wave + 1) } }
                        td { (state(&s(m, "state"))) }
                        td { (s(m, "from_version")) }
                        td { @if !s(m, "task_id").is_empty() { a href=(format!("/console/tasks/{}", s(m, "task_id"))) { code { (s(m, "task_id")) } } } }
                        td { (s(m, "message")) }
                    }
                }
            }
        }
    })
}

async fn render(c: &Shared, v: &Viewer, id: &str, part: bool) -> Result<Response, ApiError> {
    let live_html = live(c, v, id).await?;
    if part {
        return Ok(html_response(StatusCode::OK, live_html.into_string()));
    }
    let body = html! {
        h1 { "Rollout " code { (id) } }
        div id="live" aria-live="polite" { (live_html) }
        p { a href="/console/rollouts" { "All rollouts" } }
    };
    Ok(Page::new(format!("Rollout {id}"))
        .body(body)
        .live("/console/events".into())
        .render(Some(v)))
}

pub async fn control(
    State(c): State<Shared>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let back = format!("/console/rollouts/{id}");
    let actions = [
        Action::PauseAddonRollout,
        Action::ResumeAddonRollout,
        Action::CancelAddonRollout,
    ];
    super::control(&c, &v, &form, actions, ("rollout_id", &id), &back).await
}
