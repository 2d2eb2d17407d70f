//! Clusters: search by a part of the name or a whole id, by tag, by an add-on's version; paged
//! by the store (DescribeClustersV1 with our own filters), so 100,000 clusters cost one page.

use super::{done, get};
use crate::Shared;
use crate::api::{list, n, read, s};
use crate::layout::{Page, query, state};
use crate::session::Viewer;
use ack_server::ApiError;
use ack_wire::Action;
use axum::extract::{Query, State};

use axum::response::Response;
use maud::html;

const PAGE_SIZE: u64 = 50;

pub async fn page(
    State(c): State<Shared>,
    v: Viewer,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let r = render(&c, &v, &q).await;
    done(&v, r)
}

async fn render(c: &Shared, v: &Viewer, q: &[(String, String)]) -> Result<Response, ApiError> {
    let (search, tag, addon, version) = (
        get(q, "search"),
        get(q, "tag"),
        get(q, "addon"),
        get(q, "version"),
    );
    let page_number: u64 = get(q, "page").parse().unwrap_or(1).max(1);
    let number = page_number.to_string();
    let size = PAGE_SIZE.to_string();
    let answer = read(
        &c.app,
        v,
        Action::DescribeClustersV1,
        &[],
        &[
            ("search", search),
            ("tag", tag),
            ("addon", addon),
            ("addon_version", version),
            ("page_number", &number),
            ("page_size", &size),
        ],
    )
    .await?;
    let clusters = list(&answer, "clusters");
    let total = answer.get("page_info").map_or(0, |p| n(p, "total_count"));
    let link = |p: u64| {
        let p = p.to_string();
        format!(
            "/console/clusters?{}",
            query(&[
                ("search", search),
                ("tag", tag),
                ("addon", addon),
                ("version", version),
                ("page", &p)
            ])
        )
    };
    let last = total.div_ceil(PAGE_SIZE).max(1);
    let body = html! {
        h1 { "Clusters" }
        form.search method="get" action="/console/clusters" role="search" {
            p { label for="search" { "Name or cluster ID" } input id="search" name="search" value=(search); }
            p { label for="tag" { "Tag (key:value)" } input id="tag" name="tag" value=(tag) placeholder="env:prod"; }
            p { label for="addon" { "Add-on" } input id="addon" name="addon" value=(addon); }
            p { label for="version" { "Add-on version" } input id="version" name="version" value=(version); }
            button type="submit" { "Search" }
        }
        p aria-live="polite" id="count" { (total) " clusters match · page " (page_number) " of " (last) }
        table {
            thead { tr {
                th scope="col" { "Name" } th scope="col" { "Cluster ID" } th scope="col" { "State" }
                th scope="col" { "Kubernetes" } th scope="col" { "Region" } th scope="col" { "Tags" }
            } }
            tbody {
                @for cl in clusters {
                    tr {
                        td { a href=(format!("/console/clusters/{}", s(cl, "cluster_id"))) { (s(cl, "name")) } }
                        td { code { (s(cl, "cluster_id")) } }
                        td { (state(&s(cl, "state"))) }
                        td { (s(cl, "current_version")) }
                        td { (s(cl, "region_id")) }
                        td {
                            @for t in list(cl, "tags") { code { (s(t, "key")) ":" (s(t, "value")) } " " }
                        }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if page_number > 1 { a href=(link(page_number - 1)) rel="prev" { "← Previous" } }
            @if page_number < last { a href=(link(page_number + 1)) rel="next" { "Next →" } }
        }
    };
    Ok(Page::new("Clusters").body(body).render(Some(v)))
}
