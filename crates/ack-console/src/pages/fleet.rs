//! The fleet overview: per add-on, clusters by version as a bar chart (meters with their
//! numbers written out), how many can upgrade, running tasks and rollouts in flight.

use super::done;
use crate::Shared;
use crate::api::{list, n, read, s};
use crate::layout::{Page, query, state};
use crate::session::Viewer;
use ack_server::ApiError;
use ack_wire::Action;
use axum::extract::State;

use axum::response::Response;
use maud::html;
use serde_json::Value;

pub async fn page(State(c): State<Shared>, v: Viewer) -> Response {
    let r = render(&c, &v).await;
    done(&v, r)
}

async fn in_flight(c: &Shared, v: &Viewer) -> Result<Vec<Value>, ApiError> {
    let mut out = Vec::new();
    for st in ["running", "paused"] {
        let page = read(
            &c.app,
            v,
            Action::ListAddonRollouts,
            &[],
            &[("state", st), ("page_size", "100")],
        )
        .await?;
        out.extend(list(&page, "rollouts").iter().cloned());
    }
    Ok(out)
}

async fn render(c: &Shared, v: &Viewer) -> Result<Response, ApiError> {
    let fleet = read(&c.app, v, Action::DescribeFleetAddons, &[], &[]).await?;
    let rollouts = in_flight(c, v).await?;
    let addons = list(&fleet, "addons");
    let body = html! {
        h1 { "Fleet" }
        @if addons.is_empty() {
            p { "No cluster of this account has an add-on installed yet." }
        }
        @for a in addons {
            @let name = s(a, "name");
            @let installed = n(a, "installed");
            @let mine: Vec<&Value> = rollouts.iter().filter(|r| s(r, "addon") == name).collect();
            section.addon aria-labelledby=(format!("addon-{name}")) {
                h2 id=(format!("addon-{name}")) { (name) }
                dl {
                    div { dt { "Installed" } dd { (installed) } }
                    div { dt { "Can upgrade" } dd data-upgradable=(name) { (n(a, "upgradable")) } }
                    div { dt { "Running tasks" } dd { (n(a, "running_tasks")) } }
                    div { dt { "Rollouts in flight" } dd { (mine.len()) } }
                }
                table {
                    caption.muted { "Clusters by version of " (name) }
                    thead { tr { th scope="col" { "Version" } th scope="col" { "Clusters" } th scope="col" { "Share" } } }
                    tbody {
                        @for ver in list(a, "versions") {
                            @let count = n(ver, "clusters");
                            @let pct = (count * 100).checked_div(installed).unwrap_or(0);
                            tr {
                                th scope="row" {
                                    a href=(format!("/console/clusters?{}", query(&[("addon", &name), ("version", &s(ver, "version"))]))) {
                                        (s(ver, "version"))
                                    }
                                }
                                td { (count) }
                                td {
                                    meter min="0" max=(installed.max(1)) value=(count)
                                        aria-label=(format!("{name} {}: {count} of {installed} clusters", s(ver, "version"))) {}
                                    " " (pct) "%"
                                }
                            }
                        }
                    }
                }
                @if !mine.is_empty() {
                    ul {
                        @for r in &mine {
                            li {
                                a href=(format!("/console/rollouts/{}", s(r, "rollout_id"))) { (s(r, "rollout_id")) }
                                " to " (s(r, "version")) " " (state(&s(r, "state")))
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new("Fleet").body(body).render(Some(v)))
}
