//! The OpenAPI 3.1 document, generated from the one route table (every action, its method,
//! its path and path parameters) and the probes, so it cannot drift from what the router serves.
//! Answers and bodies are the DTO types' schemas (`shapes.rs`), every refusal the ACK error body.

mod shapes;

use crate::action::{Action, Method, ROUTES};
use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

/// Unauthenticated routes outside the signed API: path and what it answers.
pub const PROBES: &[(&str, &str)] = &[
    ("/healthz", "200 while the process runs"),
    (
        "/readyz",
        "200 when the database answers and is migrated, 503 with the reason otherwise",
    ),
    ("/openapi.json", "this document"),
    ("/metrics", "Prometheus metrics (OpenMetrics text)"),
];

fn tag(a: Action, path: &str) -> &'static str {
    match () {
        _ if path.starts_with("/_emulator") => "emulator",
        _ if path.starts_with("/fleet") || matches!(a, Action::StreamEvents) => "fleet",
        _ => "ack",
    }
}

fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect()
}

fn operation(a: Action, method: Method, path: &str, g: &mut SchemaGenerator) -> Value {
    let shape = shapes::shape(a, g);
    let ok = if a == Action::StreamEvents {
        json!({"description": "Server-Sent Events", "content": {"text/event-stream": {"schema": shape.answer}}})
    } else {
        json!({"description": "success", "content": {"application/json": {"schema": shape.answer}}})
    };
    let mut op = json!({
        "operationId": a.name(),
        "tags": [tag(a, path)],
        "parameters": path_params(path),
        "security": [{"acs": []}],
        "responses": {
            "200": ok,
            "default": {"description": "an ACK error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        },
    });
    if method == Method::Post || shape.body.is_some() {
        let schema = shape.body.unwrap_or_else(|| json!({}));
        op["requestBody"] =
            json!({"required": false, "content": {"application/json": {"schema": schema}}});
    }
    op
}

pub fn document() -> Value {
    // JSON Schema 2020-12, OpenAPI 3.1's own dialect, with shared types under components.
    let mut g = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    let mut paths = Map::new();
    for r in ROUTES {
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.as_str().to_ascii_lowercase()] =
            operation(r.action, r.method, r.path, &mut g);
    }
    let mut schemas: Map<String, Value> = g.take_definitions(true).into_iter().collect();
    for (path, what) in PROBES {
        paths.insert(
            (*path).to_string(),
            json!({"get": {"operationId": path.trim_start_matches('/').replace('.', "_"), "tags": ["probes"], "security": [],
                "responses": {"200": {"description": what, "content": {"application/json": {"schema": {"type": "object"}}}},
                              "503": {"description": "not ready", "content": {"application/json": {"schema": {"type": "object"}}}}}}}),
        );
    }
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "required": ["code", "message", "requestId"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "requestId": {"type": "string"},
                           "status": {"type": "integer"}, "Code": {"type": "string"}, "Message": {"type": "string"},
                           "RequestId": {"type": "string"}}}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {"title": "ack-addons", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Alibaba Cloud ACK's cluster add-on API (CS 2015-12-15, ROA) and the fleet API beside it. Signed as the official SDKs sign (ACS3-HMAC-SHA256, ACS3-HMAC-SM3, ROA HMAC-SHA1); the action name goes in x-acs-action."},
        "paths": paths,
        "components": {
            "securitySchemes": {"acs": {"type": "apiKey", "in": "header", "name": "Authorization",
                                        "description": "ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=… (or acs ID:signature)"}},
            "schemas": schemas,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_the_table_is_in_the_document() {
        let doc = document();
        for r in ROUTES {
            let op = &doc["paths"][r.path][r.method.as_str().to_ascii_lowercase()];
            assert_eq!(
                op["operationId"],
                r.action.name(),
                "{} {}",
                r.method.as_str(),
                r.path
            );
            let params = op["parameters"].as_array().unwrap();
            assert_eq!(params.len(), r.path.matches('{').count());
        }
        for a in Action::ALL {
            let n = doc["paths"]
                .as_object()
                .unwrap()
                .values()
                .flat_map(|p| p.as_object().unwrap().values())
                .filter(|op| op["operationId"] == a.name())
                .count();
            assert_eq!(n, 1, "{}", a.name());
        }
        assert!(doc["paths"]["/readyz"]["get"].is_object());
    }

    /// Every `$ref` anywhere in the document names a schema that is there.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn answers_are_the_dto_schemas_and_every_reference_resolves() {
        let doc = document();
        let answer = |path: &str, method: &str| {
            doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
                .clone()
        };
        assert_eq!(
            answer("/tasks/{task_id}", "get")["$ref"],
            "#/components/schemas/TaskInfo"
        );
        let info = &doc["components"]["schemas"]["TaskInfo"];
        assert!(
            info["required"]
                .as_array()
                .unwrap()
                .contains(&json!("task_id"))
        );
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 50, "{}", all.len());
        for r in all {
            let name = r.strip_prefix("#/components/schemas/").unwrap();
            assert!(doc["components"]["schemas"][name].is_object(), "{r}");
        }
    }
}
