//! Server-Sent Events framing, pure: one logged event becomes `id:`, `event:` and one `data:`
//! line holding a JSON object; a comment keeps idle proxies from closing the stream.

use ack_domain::event::EventRecord;
use serde_json::{Map, Value, json};

/// The JSON object a stream (and later a webhook) carries for an event: at least its type, time,
/// cluster, task or rollout, state and add-on.
pub fn payload(e: &EventRecord) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(e.id));
    m.insert("type".into(), json!(e.kind));
    m.insert("time".into(), json!(rfc3339_ms(e.time_ms)));
    m.insert("cluster_id".into(), json!(e.cluster_id));
    if e.rollout_id.is_empty() {
        m.insert("task_id".into(), json!(e.task_id));
    } else {
        m.insert("rollout_id".into(), json!(e.rollout_id));
    }
    m.insert("state".into(), json!(e.state));
    m.insert("addon".into(), json!(e.addon));
    m.insert("level".into(), json!(e.level));
    m.insert("reason".into(), json!(e.reason));
    m.insert("message".into(), json!(e.message));
    Value::Object(m)
}

/// RFC 3339 with milliseconds (`2026-12-02T01:02:03.456Z`): finer than the ACK APIs' seconds, so a
/// client can order what it sees without the id.
fn rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let base = ack_wire::time::rfc3339(secs);
    format!("{}.{:03}Z", &base[..base.len() - 1], ms.rem_euclid(1000))
}

/// One event as a stream frame. The JSON never holds a raw newline, so one `data:` line suffices.
pub fn frame(e: &EventRecord) -> String {
    format!("id: {}\nevent: {}\ndata: {}\n\n", e.id, e.kind, payload(e))
}

/// The keep-alive comment.
pub const KEEP_ALIVE: &str = ": keep-alive\n\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(rollout: &str) -> EventRecord {
        EventRecord {
            id: 42,
            account: "a".into(),
            kind: "task.stage".into(),
            cluster_id: "c1".into(),
            task_id: "T-1".into(),
            rollout_id: rollout.into(),
            addon: "coredns".into(),
            state: "running".into(),
            level: "Normal".into(),
            reason: "StageSucceeded".into(),
            message: "stage apply succeeded\nwith a newline".into(),
            time_ms: 1_764_637_323_456,
        }
    }

    #[test]
    fn frames_are_one_data_line_of_json() {
        let f = frame(&ev(""));
        let lines: Vec<&str> = f.trim_end().split('\n').collect();
        assert_eq!(lines[0], "id: 42");
        assert_eq!(lines[1], "event: task.stage");
        assert_eq!(lines.len(), 3, "{f}");
        let v: Value = serde_json::from_str(lines[2].strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(v["task_id"], "T-1");
        assert_eq!(v["time"], "2025-12-02T01:02:03.456Z");
        assert!(v.get("rollout_id").is_none());
        assert!(f.ends_with("\n\n"));
        let r = payload(&ev("R-1"));
        assert_eq!(
            (r["rollout_id"].as_str(), r.get("task_id")),
            (Some("R-1"), None)
        );
    }
}
