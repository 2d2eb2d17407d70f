//! A cluster: its add-ons with version, state, whether it can upgrade and the latest task;
//! upgrade to a version, change config, and the cluster's recent tasks with pause, resume and
//! cancel. The add-on table and the tasks are the live part.

use super::{done, live_part};
use crate::Shared;
use crate::api::{change, list, read, s};
use crate::layout::{Page, controls, csrf, see_other, state, when};
use crate::session::Viewer;
use ack_server::ApiError;
use ack_wire::Action;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Value, json};
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

async fn live(c: &Shared, v: &Viewer, id: &str, kube: &str) -> Result<Markup, ApiError> {
    let p = [("cluster_id", id)];
    let versions = read(&c.app, v, Action::DescribeClusterAddonsVersion, &p, &[]).await?;
    let instances = read(&c.app, v, Action::ListClusterAddonInstances, &p, &[]).await?;
    let installed = list(&instances, "addons");
    let names: Vec<String> = installed
        .iter()
        .map(|a| s(a, "name").into_owned())
        .collect();
    let wanted = serde_json::to_string(&names).unwrap_or_default();
    let status = if names.is_empty() {
        Value::Null
    } else {
        read(
            &c.app,
            v,
            Action::DescribeClusterAddonsUpgradeStatus,
            &p,
            &[("componentIds", &wanted)],
        )
        .await?
    };
    let tasks = read(
        &c.app,
        v,
        Action::DescribeClusterTasks,
        &p,
        &[("page_size", "10")],
    )
    .await?;
    let upgrade_action = format!("/console/clusters/{id}/upgrade");
    Ok(html! {
        h2 { "Add-ons" }
        table {
            thead { tr {
                th scope="col" { "Add-on" } th scope="col" { "Version" } th scope="col" { "State" }
                th scope="col" { "Can upgrade" } th scope="col" { "Latest task" } th scope="col" { "Change" }
            } }
            tbody {
                @for a in installed {
                    @let name = s(a, "name");
                    @let entry = versions.get(name.as_ref()).cloned().unwrap_or(Value::Null);
                    @let task = status.get(name.as_ref()).and_then(|e| e.get("tasks")).cloned().unwrap_or(Value::Null);
                    @let newer: Vec<String> = c.app.catalog.get(&name).map(|cat| {
                        cat.newer_than(&s(a, "version")).filter(|nv| nv.suits(kube)).map(|nv| nv.version.clone()).collect()
                    }).unwrap_or_default();
                    tr data-addon=(name) {
                        th scope="row" { (name) }
                        td.version { (s(a, "version")) }
                        td { (state(&s(a, "state"))) }
                        td {
                            @if entry.get("can_upgrade").and_then(Value::as_bool) == Some(true) {
                                "yes, to " (s(&entry, "next_version"))
                            } @else { "no" }
                        }
                        td.task {
                            @if task.is_null() || s(&task, "status").is_empty() { span.muted { "none" } }
                            @else { (state(&s(&task, "status"))) " " span.muted { (s(&task, "message")) } }
                        }
                        td {
                            @if !newer.is_empty() {
                                form.inline method="post" action=(upgrade_action) {
                                    (csrf(v))
                                    input type="hidden" name="addon" value=(name);
                                    label for=(format!("to-{name}")) { "Upgrade " (name) " to" }
                                    " "
                                    select id=(format!("to-{name}")) name="version" {
                                        @for (i, nv) in newer.iter().rev().enumerate() {
                                            option value=(nv) selected[i == 0] { (nv) }
                                        }
                                    }
                                    " "
                                    button type="submit" { "Upgrade" }
                                }
                            }
                            a href=(format!("/console/clusters/{id}/addons/{name}/config")) { "Config" }
                        }
                    }
                }
            }
        }
        h2 { "Recent tasks" }
        (tasks_table(v, list(&tasks, "tasks")))
    })
}

pub fn tasks_table(v: &Viewer, tasks: &[Value]) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { "Task" } th scope="col" { "Type" } th scope="col" { "State" }
                th scope="col" { "Created" } th scope="col" { "Control" }
            } }
            tbody {
                @for t in tasks {
                    @let tid = s(t, "task_id");
                    @let control = format!("/console/tasks/{tid}/control");
                    tr {
                        td { a href=(format!("/console/tasks/{tid}")) { code { (tid) } } }
                        td { (s(t, "task_type")) }
                        td { (state(&s(t, "state"))) }
                        td { (when(&s(t, "created"))) }
                        td {
                            (controls(v, &control, &s(t, "state"), ""))
                        }
                    }
                }
            }
        }
    }
}

async fn render(c: &Shared, v: &Viewer, id: &str, part: bool) -> Result<Response, ApiError> {
    let detail = read(
        &c.app,
        v,
        Action::DescribeClusterDetail,
        &[("cluster_id", id)],
        &[],
    )
    .await?;
    let kube = s(&detail, "current_version").into_owned();
    let live_html = live(c, v, id, &kube).await?;
    if part {
        return Ok(crate::layout::html_response(
            StatusCode::OK,
            live_html.into_string(),
        ));
    }
    let body = html! {
        h1 { "Cluster " (s(&detail, "name")) }
        dl {
            dt { "Cluster ID" } dd { code { (id) } }
            dt { "State" } dd { (state(&s(&detail, "state"))) }
            dt { "Kubernetes" } dd { (kube) }
            dt { "Region" } dd { (s(&detail, "region_id")) }
            dt { "Tags" } dd {
                @for t in list(&detail, "tags") { code { (s(t, "key")) ":" (s(t, "value")) } " " }
            }
        }
        div id="live" aria-live="polite" { (live_html) }
    };
    Ok(Page::new(format!("Cluster {}", s(&detail, "name")))
        .body(body)
        .live(format!("/console/events?cluster_id={id}"))
        .render(Some(v)))
}

pub async fn upgrade(
    State(c): State<Shared>,
    v: Viewer,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = v.refused(&form) {
        return r;
    }
    let field = |k: &str| form.get(k).map_or("", String::as_str);
    let body = json!([{ "component_name": field("addon"), "next_version": field("version") }]);
    let r = change(
        &c.app,
        &v,
        Action::UpgradeClusterAddons,
        &[("cluster_id", &id)],
        &body,
    )
    .await
    .map(|t| see_other(&format!("/console/tasks/{}", s(&t, "task_id"))));
    done(&v, r)
}
