//! Rollouts: the list, and the create form. The form is a GET, so a preview has a stable URL:
//! with an add-on and a version it shows what CreateAddonRollout's dry run says (how many
//! clusters the selector matches, which are skipped and why, how the waves are cut), and only
//! the confirm button below it, a POST with the CSRF token, creates the rollout.

use super::{done, get};
use crate::Shared;
use crate::api::{change, list, n, read, s};
use crate::layout::{Page, csrf, query, see_other, state, when};
use crate::session::Viewer;
use ack_server::ApiError;
use ack_wire::{Action, ErrorCode};
use axum::extract::{Form, Query, State};

use axum::response::Response;
use maud::{Markup, html};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The form's text fields: name, label, hint.
const TEXT: [(&str, &str, &str); 9] = [
    ("version", "Target version", ""),
    (
        "cluster_ids",
        "Cluster IDs",
        "separated by commas or spaces; empty for all",
    ),
    ("tags", "Tags", "key:value, ANDed"),
    ("region_ids", "Regions", ""),
    (
        "kubernetes_versions",
        "Kubernetes versions",
        "prefixes, e.g. 1.31",
    ),
    ("canary", "Canary clusters", "0 for none"),
    ("wave_size", "Wave size", ""),
    ("max_failures", "Failures allowed", "before the gate trips"),
    ("soak", "Soak between waves", "e.g. 30s"),
];

fn words(raw: &str) -> Vec<String> {
    raw.split([',', ' ', '\n', '\t'])
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A checkbox sent with a hidden "false" before it: the last value counts; the default when
/// the form was never sent.
fn flag(q: &[(String, String)], key: &str, default: bool) -> bool {
    match q.iter().rev().find(|(k, _)| k == key) {
        Some((_, v)) => v == "true",
        None => default,
    }
}

/// The CreateAddonRollout body the form describes.
fn spec(q: &[(String, String)], dry_run: bool) -> Result<Value, ApiError> {
    let mut tags = Map::new();
    for t in words(get(q, "tags")) {
        let (k, v) = t.split_once(':').ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidParameter,
                format!("tags is invalid: {t:?} is not key:value"),
            )
        })?;
        tags.insert(k.to_string(), Value::String(v.to_string()));
    }
    let mut strategy = Map::new();
    for key in ["canary", "wave_size", "max_failures"] {
        let raw = get(q, key).trim();
        if !raw.is_empty() {
            let n: u64 = raw.parse().map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidParameter,
                    format!("strategy.{key} is invalid: {raw:?} is not a whole number"),
                )
            })?;
            strategy.insert(key.into(), json!(n));
        }
    }
    if !get(q, "soak").trim().is_empty() {
        strategy.insert("soak".into(), json!(get(q, "soak").trim()));
    }
    strategy.insert(
        "pause_after_canary".into(),
        json!(flag(q, "pause_after_canary", false)),
    );
    strategy.insert(
        "rollback_on_failure".into(),
        json!(flag(q, "rollback_on_failure", true)),
    );
    Ok(json!({
        "addon": get(q, "addon"),
        "version": get(q, "version"),
        "selector": {
            "cluster_ids": words(get(q, "cluster_ids")),
            "region_ids": words(get(q, "region_ids")),
            "kubernetes_versions": words(get(q, "kubernetes_versions")),
            "tags": tags,
        },
        "strategy": strategy,
        "dry_run": dry_run,
    }))
}

fn form(c: &Shared, q: &[(String, String)]) -> Markup {
    html! {
        form.grid method="get" action="/console/rollouts/new" aria-label="New rollout" {
            p {
                label for="addon" { "Add-on" }
                select id="addon" name="addon" required {
                    @for a in &c.app.catalog.addons {
                        option value=(a.name) selected[get(q, "addon") == a.name] { (a.name) }
                    }
                }
            }
            @for (key, label, hint) in TEXT {
                p {
                    label for=(key) { (label) }
                    input id=(key) name=(key) value=(get(q, key)) aria-describedby=[(!hint.is_empty()).then(|| format!("{key}-hint"))];
                    @if !hint.is_empty() { span.muted id=(format!("{key}-hint")) { (hint) } }
                }
            }
            @for (key, label, default) in [("pause_after_canary", "Pause after the canary", false), ("rollback_on_failure", "Roll back when the gate trips", true)] {
                p {
                    input type="hidden" name=(key) value="false";
                    label for=(key) {
                        input id=(key) type="checkbox" name=(key) value="true" checked[flag(q, key, default)];
                        " " (label)
                    }
                }
            }
            button type="submit" { "Preview" }
        }
    }
}

pub async fn index(
    State(c): State<Shared>,
    v: Viewer,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let r = async {
        let page = get(&q, "page")
            .parse::<u64>()
            .unwrap_or(1)
            .max(1)
            .to_string();
        let answer = read(
            &c.app,
            &v,
            Action::ListAddonRollouts,
            &[],
            &[("page_size", "20"), ("page_number", &page)],
        )
        .await?;
        let body = html! {
            h1 { "Rollouts" }
            (table(list(&answer, "rollouts")))
            h2 { "New rollout" }
            (form(&c, &[]))
        };
        Ok(Page::new("Rollouts").body(body).render(Some(&v)))
    }
    .await;
    done(&v, r)
}

fn table(rollouts: &[Value]) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { "Rollout" } th scope="col" { "Add-on" } th scope="col" { "To" }
                th scope="col" { "State" } th scope="col" { "Done" } th scope="col" { "Created" }
            } }
            tbody {
                @for r in rollouts {
                    @let counts = r.get("counts").cloned().unwrap_or(Value::Null);
                    tr {
                        td { a href=(format!("/console/rollouts/{}", s(r, "rollout_id"))) { code { (s(r, "rollout_id")) } } }
                        td { (s(r, "addon")) } td { (s(r, "version")) } td { (state(&s(r, "state"))) }
                        td { (n(&counts, "success")) " of " (n(&counts, "total")) }
                        td { (when(&s(r, "created"))) }
                    }
                }
            }
        }
    }
}

fn preview(v: &Viewer, q: &[(String, String)], plan: &Value) -> Markup {
    let waves = list(plan, "waves");
    let changing: u64 = waves.iter().filter_map(Value::as_u64).sum();
    let canary = get(q, "canary").trim().parse::<u64>().unwrap_or(0) > 0;
    html! {
        section aria-labelledby="preview" {
            h2 id="preview" { "Preview" }
            p id="plan-summary" {
                "The selector matches " strong { (n(plan, "total")) } " clusters: "
                (changing) " would be upgraded in " (waves.len()) " waves, " (n(plan, "skipped")) " skipped."
            }
            ol id="plan-waves" {
                @for (i, w) in waves.iter().enumerate() {
                    li { (w.as_u64().unwrap_or(0)) " clusters" @if canary && i == 0 { " (canary)" } }
                }
            }
            @if !list(plan, "skip_reasons").is_empty() {
                ul { @for r in list(plan, "skip_reasons") { li { (n(r, "clusters")) " skipped: " (s(r, "reason")) } } }
            }
            form method="post" action="/console/rollouts" {
                (csrf(v))
                @for (k, val) in q { input type="hidden" name=(k) value=(val); }
                button type="submit" { "Start this rollout" }
            }
        }
    }
}

pub async fn new(
    State(c): State<Shared>,
    v: Viewer,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let outcome = if get(&q, "version").is_empty() {
        None
    } else {
        Some(
            async {
                let body = spec(&q, true)?;
                change(&c.app, &v, Action::CreateAddonRollout, &[], &body).await
            }
            .await,
        )
    };
    let body = html! {
        h1 { "New rollout" }
        (form(&c, &q))
        @match &outcome {
            Some(Ok(plan)) => { (preview(&v, &q, plan)) }
            Some(Err(e)) => { p.error role="alert" id="plan-error" { (e.code.as_str()) ": " (e.message) } }
            None => { p { "Choose an add-on and a target version, then Preview." } }
        }
        p { a href=(format!("/console/rollouts?{}", query(&[]))) { "All rollouts" } }
    };
    Page::new("New rollout").body(body).render(Some(&v))
}

pub async fn create(
    State(c): State<Shared>,
    v: Viewer,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let map: HashMap<String, String> = form.iter().cloned().collect();
    if let Some(r) = v.refused(&map) {
        return r;
    }
    let fields: Vec<(String, String)> = form.into_iter().filter(|(k, _)| k != "csrf").collect();
    let r = async {
        let body = spec(&fields, false)?;
        let made = change(&c.app, &v, Action::CreateAddonRollout, &[], &body).await?;
        Ok(see_other(&format!(
            "/console/rollouts/{}",
            s(&made, "rollout_id")
        )))
    }
    .await;
    done(&v, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_form_becomes_a_create_body() {
        let body = spec(
            &q(&[
                ("addon", "coredns"),
                ("version", "v2"),
                ("cluster_ids", "c1, c2\nc3"),
                ("tags", "env:prod team:core"),
                ("wave_size", " 5 "),
                ("soak", "30s"),
                ("rollback_on_failure", "false"),
                ("rollback_on_failure", "true"),
                ("pause_after_canary", "false"),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(body["selector"]["cluster_ids"], json!(["c1", "c2", "c3"]));
        assert_eq!(
            body["selector"]["tags"],
            json!({"env": "prod", "team": "core"})
        );
        assert_eq!(
            body["strategy"],
            json!({"wave_size": 5, "soak": "30s", "pause_after_canary": false, "rollback_on_failure": true})
        );
        assert_eq!(body["dry_run"], json!(true));
        // Never sent: rollback defaults on, as the API's own default.
        let plain = spec(&q(&[("addon", "a"), ("version", "v")]), false).unwrap();
        assert_eq!(plain["strategy"]["rollback_on_failure"], json!(true));
    }

    #[test]
    fn bad_numbers_and_tags_are_named() {
        let e = spec(&q(&[("canary", "two")]), true).unwrap_err();
        assert!(e.message.contains("strategy.canary"), "{}", e.message);
        let e = spec(&q(&[("tags", "env")]), true).unwrap_err();
        assert!(e.message.starts_with("tags is invalid"), "{}", e.message);
    }
}
