//! An add-on's config as a form drawn from its schema (DescribeClusterAddonMetadata): a
//! checkbox for a boolean, a number field for a number, a list for an enum, text otherwise.
//! Submitting sends ModifyClusterAddon with the values typed as the schema says.

use super::done;
use crate::Shared;
use crate::api::{change, read, s};
use crate::layout::{Page, csrf, see_other};
use crate::session::Viewer;
use ack_server::ApiError;
use ack_wire::Action;
use axum::extract::{Form, Path, State};

use axum::response::Response;
use maud::html;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

async fn schema_and_config(
    c: &Shared,
    v: &Viewer,
    id: &str,
    addon: &str,
) -> Result<(Map<String, Value>, Map<String, Value>), ApiError> {
    let inst = read(
        &c.app,
        v,
        Action::DescribeClusterAddonInstance,
        &[("cluster_id", id), ("addon_name", addon)],
        &[],
    )
    .await?;
    let meta = read(
        &c.app,
        v,
        Action::DescribeClusterAddonMetadata,
        &[("cluster_id", id), ("component_id", addon)],
        &[("version", &s(&inst, "version"))],
    )
    .await?;
    let parse = |text: &str| -> Map<String, Value> {
        serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    };
    let schema = parse(&s(&meta, "config_schema"));
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    Ok((props, parse(&s(&inst, "config"))))
}

pub async fn page(
    State(c): State<Shared>,
    v: Viewer,
    Path((id, addon)): Path<(String, String)>,
) -> Response {
    let r = async {
        let (props, current) = schema_and_config(&c, &v, &id, &addon).await?;
        let body = html! {
            h1 { "Config of " (addon) " on " a href=(format!("/console/clusters/{id}")) { code { (id) } } }
            @if props.is_empty() { p { "This add-on's schema names no settings." } }
            form.grid method="post" {
                (csrf(&v))
                @for (key, p) in &props {
                    @let field = format!("f-{key}");
                    @let now = current.get(key).or_else(|| p.get("default")).cloned().unwrap_or(Value::Null);
                    @let kind = p.get("type").and_then(Value::as_str).unwrap_or("string");
                    p {
                        label for=(field) { (key) }
                        @if let Some(choices) = p.get("enum").and_then(Value::as_array) {
                            select id=(field) name=(field) {
                                @for ch in choices {
                                    @let text = ch.as_str().map_or_else(|| ch.to_string(), str::to_string);
                                    option value=(text) selected[*ch == now] { (text) }
                                }
                            }
                        } @else if kind == "boolean" {
                            input type="hidden" name=(field) value="false";
                            input id=(field) type="checkbox" name=(field) value="true" checked[now == Value::Bool(true)];
                        } @else if kind == "integer" || kind == "number" {
                            input id=(field) type="number" name=(field) step=(if kind == "integer" { "1" } else { "any" })
                                value=(now.as_f64().map(|f| f.to_string()).unwrap_or_default());
                        } @else {
                            input id=(field) name=(field) value=(now.as_str().map_or_else(|| if now.is_null() { String::new() } else { now.to_string() }, str::to_string));
                        }
                        @if let Some(d) = p.get("description").and_then(Value::as_str) { span.muted { (d) } }
                    }
                }
                button type="submit" { "Apply config" }
            }
        };
        Ok(Page::new(format!("Config of {addon}")).body(body).render(Some(&v)))
    }
    .await;
    done(&v, r)
}

/// The form's value for `key` typed as the schema says; None when it cannot be read as that.
fn typed(p: &Value, raw: &str) -> Option<Value> {
    match p.get("type").and_then(Value::as_str).unwrap_or("string") {
        "boolean" => Some(Value::Bool(raw == "true")),
        "integer" => raw.trim().parse::<i64>().ok().map(Value::from),
        "number" => raw.trim().parse::<f64>().ok().map(|f| json!(f)),
        _ => Some(Value::String(raw.to_string())),
    }
}

pub async fn submit(
    State(c): State<Shared>,
    v: Viewer,
    Path((id, addon)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let map: HashMap<String, String> = form.iter().cloned().collect();
    if let Some(r) = v.refused(&map) {
        return r;
    }
    let r = async {
        let (props, mut config) = schema_and_config(&c, &v, &id, &addon).await?;
        for (key, p) in &props {
            // A checked box sends "false" (the hidden field) then "true": the last one counts.
            let Some((_, raw)) = form.iter().rev().find(|(k, _)| *k == format!("f-{key}")) else {
                continue;
            };
            let value = typed(p, raw).ok_or_else(|| {
                ApiError::new(
                    ack_wire::ErrorCode::InvalidParameter,
                    format!(
                        "{key} is invalid: {raw:?} is not a {}",
                        p.get("type").and_then(Value::as_str).unwrap_or("value")
                    ),
                )
            })?;
            config.insert(key.clone(), value);
        }
        let body = json!({ "config": Value::Object(config).to_string() });
        let t = change(
            &c.app,
            &v,
            Action::ModifyClusterAddon,
            &[("cluster_id", &id), ("component_id", &addon)],
            &body,
        )
        .await?;
        Ok(see_other(&format!("/console/tasks/{}", s(&t, "task_id"))))
    }
    .await;
    done(&v, r)
}

#[cfg(test)]
mod tests {
    use super::typed;
    use serde_json::json;

    #[test]
    fn values_take_the_schema_type() {
        assert_eq!(
            typed(&json!({"type": "boolean"}), "true"),
            Some(json!(true))
        );
        assert_eq!(
            typed(&json!({"type": "boolean"}), "false"),
            Some(json!(false))
        );
        assert_eq!(typed(&json!({"type": "integer"}), " 3 "), Some(json!(3)));
        assert_eq!(typed(&json!({"type": "integer"}), "3.5"), None);
        assert_eq!(typed(&json!({"type": "number"}), "0.5"), Some(json!(0.5)));
        assert_eq!(typed(&json!({}), "x"), Some(json!("x")));
    }
}
