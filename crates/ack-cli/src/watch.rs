//! Watching a task or a rollout until it reaches a state: the event stream says when to look
//! again, the describe call says what is true. The stream is opened before the first full read,
//! so no change between the two is missed.

use crate::client::Client;
use crate::error::CliError;
use crate::progress::{Progress, Step};
use crate::request::Request;
use crate::stream::{Events, Next};
use ack_domain::rollout::RolloutState;
use ack_domain::task::TaskState;
use ack_wire::Action;
use serde_json::Value;
use std::time::Duration;

/// How often to read again when the stream is broken.
const POLL: Duration = Duration::from_millis(300);
/// How long to trust a quiet stream before reading anyway.
const QUIET: Duration = Duration::from_secs(1);

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn n(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}

/// Waits until an event `relevant` says matters, the stream has been quiet a while, or (with no
/// stream) a poll interval has passed.
async fn cue(events: &mut Events, relevant: impl Fn(&Value) -> bool) {
    let deadline = tokio::time::Instant::now() + QUIET;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match events.next(left).await {
            Next::Event(e) if relevant(&e) => return,
            Next::Event(_) => {}
            Next::Quiet => return,
            Next::Broken => return tokio::time::sleep(POLL.min(left)).await,
        }
    }
}

pub fn describe_task(id: &str) -> Request {
    Request::new(Action::DescribeTaskInfo).param(id)
}

pub fn describe_rollout(id: &str) -> Request {
    Request::new(Action::DescribeAddonRollout).param(id)
}

/// A stage's name: its message up to the first `:` (`rollback: CODE: message`).
fn stage_name(stage: &Value) -> &str {
    let m = s(stage, "message");
    m.split(':').next().unwrap_or(m)
}

/// One DescribeTaskInfo answer as a progress step: the stage it is at, or how it ended.
/// `stages` lists the stages that ended; `current_stage` names the one under way.
pub fn task_step(t: &Value) -> Step {
    let id = s(t, "task_id");
    let stages = t.get("stages").and_then(Value::as_array);
    let stages = stages.map(Vec::as_slice).unwrap_or_default();
    let done = stages
        .iter()
        .filter(|st| s(st, "state") == "success")
        .count() as u64;
    let state = s(t, "state");
    let current = s(t, "current_stage");
    let under_way = u64::from(state == "running" && !current.is_empty());
    let total = (stages.len() as u64 + under_way).max(3);
    let line = match (state, stages.last()) {
        ("running", _) if !current.is_empty() => format!("{id} stage {current} running"),
        ("paused", Some(st)) => format!("{id} paused after stage {}", stage_name(st)),
        _ => match t.get("error") {
            Some(e) if !s(e, "code").is_empty() => {
                format!("{id} {state}: {}: {}", s(e, "code"), s(e, "message"))
            }
            _ => format!("{id} {state}"),
        },
    };
    Step { line, done, total }
}

/// One DescribeAddonRollout answer as a progress step: its wave and member counts.
pub fn rollout_step(r: &Value) -> Step {
    let id = s(r, "rollout_id");
    let c = r.get("counts").cloned().unwrap_or_default();
    let waves = r.get("waves").and_then(Value::as_array).map_or(0, Vec::len);
    let wave = r
        .get("current_wave")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .min(waves.saturating_sub(1) as u64)
        + 1;
    let mut line = format!(
        "rollout {id} wave {wave}/{waves}: {} success, {} fail, {} running",
        n(&c, "success"),
        n(&c, "fail"),
        n(&c, "running")
    );
    let state = s(r, "state");
    if state != "running" {
        line.push_str(&format!(" ({state})"));
    }
    let e = r.get("error").cloned().unwrap_or_default();
    if !s(&e, "code").is_empty() {
        line.push_str(&format!(": {}: {}", s(&e, "code"), s(&e, "message")));
    }
    let total = n(&c, "total");
    let open = n(&c, "pending") + n(&c, "running");
    Step {
        line,
        done: total.saturating_sub(open),
        total,
    }
}

/// Follows task `id` until `stop` says its state is far enough; answers its last DescribeTaskInfo.
pub async fn task(
    client: &Client,
    id: &str,
    stop: impl Fn(TaskState) -> bool,
    progress: &mut Progress,
) -> Result<Value, CliError> {
    let first = client.call(&describe_task(id)).await?;
    let cluster = s(&first, "cluster_id").to_string();
    let mut events = Events::open(client, &[("cluster_id", &cluster), ("type", "task.*")]).await;
    loop {
        let t = client.call(&describe_task(id)).await?;
        let step = task_step(&t);
        if TaskState::parse(s(&t, "state")).is_none_or(&stop) {
            progress.finish(&step);
            return Ok(t);
        }
        progress.show(&step);
        cue(&mut events, |e| s(e, "task_id") == id).await;
    }
}

/// Follows rollout `id` until it ends (or, with `paused_too`, pauses).
pub async fn rollout(
    client: &Client,
    id: &str,
    paused_too: bool,
    progress: &mut Progress,
) -> Result<Value, CliError> {
    // Members' tasks move the counts, and their events carry no rollout id: every event is a cue.
    let mut events = Events::open(client, &[]).await;
    loop {
        let r = client.call(&describe_rollout(id)).await?;
        let step = rollout_step(&r);
        let ended = RolloutState::parse(s(&r, "state"))
            .is_none_or(|st| st.is_terminal() || (paused_too && st == RolloutState::Paused));
        if ended {
            progress.finish(&step);
            return Ok(r);
        }
        progress.show(&step);
        cue(&mut events, |_| true).await;
    }
}

/// Success, or the task's end as an error naming its code and message.
pub fn task_outcome(t: &Value, accept: &[TaskState]) -> Result<(), CliError> {
    match TaskState::parse(s(t, "state")) {
        Some(st) if accept.contains(&st) => Ok(()),
        _ => Err(CliError::Ended(format!("task {}", task_step(t).line))),
    }
}

pub fn rollout_outcome(r: &Value, accept: &[RolloutState]) -> Result<(), CliError> {
    match RolloutState::parse(s(r, "state")) {
        Some(st) if accept.contains(&st) => Ok(()),
        _ => Err(CliError::Ended(rollout_step(r).line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_task_reads_as_its_current_stage_or_its_end() {
        let mut t = json!({"task_id": "T-1", "state": "running", "current_stage": "apply",
            "stages": [{"state": "success", "message": "precheck"}]});
        let st = task_step(&t);
        assert_eq!(
            (st.line.as_str(), st.done, st.total),
            ("T-1 stage apply running", 1, 3)
        );
        t["state"] = json!("paused");
        assert_eq!(task_step(&t).line, "T-1 paused after stage precheck");
        t["state"] = json!("fail");
        t["error"] = json!({"code": "HelmReleaseFailed", "message": "pod crashloop"});
        assert_eq!(
            task_step(&t).line,
            "T-1 fail: HelmReleaseFailed: pod crashloop"
        );
        let e = task_outcome(&t, &[TaskState::Success])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "task T-1 fail: HelmReleaseFailed: pod crashloop");
        t["state"] = json!("canceled");
        assert!(task_outcome(&t, &[TaskState::Canceled]).is_ok());
        let four = json!({"task_id": "T-2", "state": "running", "current_stage": "rollback",
            "stages": [{"state": "success", "message": "precheck"},
            {"state": "success", "message": "apply"}, {"state": "failed", "message": "verify: X: y"}]});
        let st = task_step(&four);
        assert_eq!(
            (st.line.as_str(), st.total),
            ("T-2 stage rollback running", 4)
        );
    }

    #[test]
    fn a_rollout_reads_as_its_wave_and_counts() {
        let r = json!({"rollout_id": "R-1", "state": "running", "current_wave": 0,
            "waves": [{}, {}, {}], "error": {"code": "", "message": ""},
            "counts": {"total": 9, "pending": 4, "running": 3, "success": 2, "fail": 0}});
        let st = rollout_step(&r);
        assert_eq!(
            st.line,
            "rollout R-1 wave 1/3: 2 success, 0 fail, 3 running"
        );
        assert_eq!((st.done, st.total), (2, 9));
        let mut failed = r.clone();
        failed["state"] = json!("fail");
        failed["current_wave"] = json!(7);
        failed["error"] = json!({"code": "RolloutFailureThreshold", "message": "1 failed"});
        let e = rollout_outcome(&failed, &[RolloutState::Success])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "rollout R-1 wave 3/3: 2 success, 0 fail, 3 running (fail): RolloutFailureThreshold: 1 failed"
        );
    }
}
