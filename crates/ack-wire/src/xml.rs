//! XML rendering of success bodies, as the API reference samples show them: no declaration and
//! no single root, one element per object key, arrays as repeated sibling elements, an empty
//! string as `<key/>`.

use quick_xml::escape::escape;
use serde_json::Value;

pub fn render(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                element(&mut out, k, v);
            }
        }
        other => text(&mut out, other),
    }
    out
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Array(items) => {
            for item in items {
                element(out, name, item);
            }
        }
        Value::Null => empty(out, name),
        Value::String(s) if s.is_empty() => empty(out, name),
        Value::Object(map) if map.is_empty() => empty(out, name),
        Value::Object(map) => {
            open(out, name);
            for (k, v) in map {
                element(out, k, v);
            }
            close(out, name);
        }
        scalar => {
            open(out, name);
            text(out, scalar);
            close(out, name);
        }
    }
}

fn text(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => out.push_str(&escape(s.as_str())),
        Value::Null => {}
        other => out.push_str(&other.to_string()),
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn empty(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push_str("/>");
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_rootless_elements_like_the_api_reference() {
        let v = serde_json::json!({"m": {"addon_info": {"version": "", "ready": "a<b"}, "xs": [1, 2], "ok": true}});
        assert_eq!(
            super::render(&v),
            "<m><addon_info><version/><ready>a&lt;b</ready></addon_info><xs>1</xs><xs>2</xs><ok>true</ok></m>"
        );
    }
}
