//! A task: its stages and events, live from the event stream, with pause, resume and cancel.

use super::{done, live_part};
use crate::Shared;
use crate::api::{list, read, s};
use crate::layout::{Page, controls, html_response, state, when};
use crate::session::Viewer;
use ack_server::ApiError;
use ack_wire::Action;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;
use std::collections::HashMap;

pub async fn page(
    State(c): State<Shared>,
    v: Viewer,
    Path(id): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let r = render(&c, &v, &id, live_part(&q)).await;
    done(&v, r)
}

fn live(v: &Viewer, id: &str, t: &Value) -> Markup {
    let control = format!("/console/tasks/{id}/control");
    let error = t.get("error").cloned().unwrap_or(Value::Null);
    html! {
        p { "State: " strong id="task-state" data-state=(s(t, "state")) { (state(&s(t, "state"))) }
            @if !s(t, "current_stage").is_empty() { " · stage " (s(t, "current_stage")) } }
        @if !error.is_null() && !s(&error, "code").is_empty() {
            p.error role="alert" { (s(&error, "code")) ": " (s(&error, "message")) }
        }
        p {
            (controls(v, &control, &s(t, "state"), ""))
        }
        h2 { "Stages" }
        table {
            thead { tr { th scope="col" { "Stage" } th scope="col" { "State" } th scope="col" { "Started" } th scope="col" { "Ended" } } }
            tbody {
                @for st in list(t, "stages") {
                    tr { td { (s(st, "message")) } td { (state(&s(st, "state"))) } td { (when(&s(st, "start_time"))) } td { (when(&s(st, "end_time"))) } }
                }
            }
        }
        h2 { "Events" }
        table {
            thead { tr { th scope="col" { "Time" } th scope="col" { "Level" } th scope="col" { "Reason" } th scope="col" { "Message" } } }
            tbody {
                @for e in list(t, "events") {
                    tr { td { (when(&s(e, "timestamp"))) } td { (s(e, "level")) } td { (s(e, "reason")) } td { (s(e, "message")) } }
                }
            }
        }
    }
}

async fn render(c: &Shared, v: &Viewer, id: &str, part: bool) -> Result<Response, ApiError> {
    let t = read(&c.app, v, Action::DescribeTaskInfo, &[("task_id", id)], &[]).await?;
    if part {
        return Ok(html_response(StatusCode::OK, live(v, id, &t).into_string()));
    }
    let cluster = s(&t, "cluster_id");
    let body = html! {
        h1 { "Task " code { (id) } }
        p { (s(&t, "task_type")) " on cluster " a href=(format!("/console/clusters/{cluster}")) { code { (cluster) } }
            " · created " (s(&t, "created")) }
        div id="live" aria-live="polite" { (live(v, id, &t)) }
    };
    Ok(Page::new(format!("Task {id}"))
        .body(body)
        .live(format!("/console/events?cluster_id={cluster}&type=task.*"))
        .render(Some(v)))
}

pub async fn control(
    State(c): State<Shared>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let back = format!("/console/tasks/{id}");
    let actions = [Action::PauseTask, Action::ResumeTask, Action::CancelTask];
    super::control(&c, &v, &form, actions, ("task_id", &id), &back).await
}
