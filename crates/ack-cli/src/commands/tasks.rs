//! Tasks: one (or following it), a cluster's list, and pause, resume, cancel.

use super::{Paging, emit, list, listing, text};
use crate::Output;
use crate::client::Client;
use crate::error::CliError;
use crate::progress::Progress;
use crate::request::Request;
use crate::table::{Table, fields};
use crate::watch;
use ack_domain::task::TaskState;
use ack_wire::Action;
use serde_json::Value;

#[derive(clap::Args, Debug, Clone)]
pub struct TaskArgs {
    pub id: String,
    /// Follow it stage by stage until it ends; fail if it does not succeed.
    #[arg(long)]
    pub watch: bool,
}

#[derive(clap::Args, Debug, Clone)]
pub struct TasksArgs {
    pub cluster: String,
    #[command(flatten)]
    pub paging: Paging,
}

#[derive(clap::Args, Debug, Clone)]
pub struct TaskControlArgs {
    pub id: String,
    /// Wait until it took effect: paused (pause), ended successfully (resume), canceled (cancel).
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Pause,
    Resume,
    Cancel,
}

impl Verb {
    fn action(self) -> Action {
        match self {
            Verb::Pause => Action::PauseTask,
            Verb::Resume => Action::ResumeTask,
            Verb::Cancel => Action::CancelTask,
        }
    }

    /// When waiting ends, and the state that means it worked.
    fn goal(self) -> (fn(TaskState) -> bool, TaskState) {
        match self {
            Verb::Pause => (|s| s != TaskState::Running, TaskState::Paused),
            Verb::Resume => (TaskState::is_terminal, TaskState::Success),
            Verb::Cancel => (TaskState::is_terminal, TaskState::Canceled),
        }
    }
}

pub fn control_request(verb: Verb, id: &str) -> Request {
    Request::new(verb.action()).param(id)
}

pub fn tasks_request(a: &TasksArgs) -> Request {
    a.paging
        .apply(Request::new(Action::DescribeClusterTasks).param(&a.cluster))
}

fn task_table(v: &Value) -> String {
    let error = v
        .get("error")
        .map(|e| format!("{}: {}", text(e, "code"), text(e, "message")))
        .unwrap_or_default();
    let pairs: Vec<(&str, String)> = [
        "task_id",
        "cluster_id",
        "task_type",
        "state",
        "current_stage",
        "created",
        "updated",
    ]
    .iter()
    .map(|k| (*k, text(v, k)))
    .chain(std::iter::once(("error", error)))
    .collect();
    let mut stages = Table::new(&["STAGE", "STATE", "START", "END"]);
    for s in list(v, "stages") {
        stages.row(["message", "state", "start_time", "end_time"].map(|k| text(s, k)));
    }
    let mut out = fields(&pairs);
    if !stages.is_empty() {
        out.push('\n');
        out.push_str(&stages.render());
    }
    out
}

pub async fn task(c: &Client, out: Output, a: &TaskArgs) -> Result<(), CliError> {
    if !a.watch {
        let v = c.call(&watch::describe_task(&a.id)).await?;
        emit(out, &v, task_table);
        return Ok(());
    }
    let mut progress = Progress::for_output(out);
    let t = watch::task(c, &a.id, TaskState::is_terminal, &mut progress).await?;
    if out == Output::Json {
        emit(out, &t, task_table);
    }
    watch::task_outcome(&t, &[TaskState::Success])
}

pub async fn tasks(c: &Client, out: Output, a: &TasksArgs) -> Result<(), CliError> {
    let headers = ["TASK_ID", "TYPE", "STATE", "CREATED", "UPDATED", "ERROR"];
    listing(c, out, &tasks_request(a), "tasks", &headers, |t| {
        let error = t.get("error").map(|e| text(e, "code")).unwrap_or_default();
        ["task_id", "task_type", "state", "created", "updated"]
            .iter()
            .map(|k| text(t, k))
            .chain([error])
            .collect()
    })
    .await
}

pub async fn control(
    c: &Client,
    out: Output,
    verb: Verb,
    a: &TaskControlArgs,
) -> Result<(), CliError> {
    let v = c.call(&control_request(verb, &a.id)).await?;
    if !a.wait {
        let said = format!(
            "{} {}: requested\n",
            a.id,
            format!("{verb:?}").to_lowercase()
        );
        emit(out, &v, |_| said);
        return Ok(());
    }
    let (stop, goal) = verb.goal();
    let mut progress = Progress::for_output(out);
    let t = watch::task(c, &a.id, stop, &mut progress).await?;
    if out == Output::Json {
        emit(out, &t, task_table);
    }
    watch::task_outcome(&t, &[goal])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_controls_use_the_task_routes() {
        let r = control_request(Verb::Pause, "T-1");
        assert_eq!(
            (r.method(), r.path().unwrap().as_str()),
            ("POST", "/tasks/T-1/pause")
        );
        assert_eq!(
            control_request(Verb::Cancel, "T-1").path().unwrap(),
            "/tasks/T-1/cancel"
        );
        assert_eq!(
            control_request(Verb::Resume, "T-1").action,
            Action::ResumeTask
        );
        let (stop, goal) = Verb::Pause.goal();
        assert!(stop(TaskState::Paused) && stop(TaskState::Success) && !stop(TaskState::Running));
        assert_eq!(goal, TaskState::Paused);
        let r = tasks_request(&TasksArgs {
            cluster: "c1".into(),
            paging: Paging {
                page_size: Some(3),
                page_number: Some(2),
            },
        });
        assert_eq!(r.path().unwrap(), "/clusters/c1/tasks");
        assert_eq!(r.raw_query(), "page_size=3&page_number=2");
    }

    #[test]
    fn a_task_shows_its_fields_then_its_stages() {
        let v = serde_json::json!({"task_id": "T-1", "state": "fail",
            "error": {"code": "PrecheckFailed", "message": "no"},
            "stages": [{"message": "precheck", "state": "fail", "start_time": "a", "end_time": "b"}]});
        let out = task_table(&v);
        assert!(
            out.contains("error:          PrecheckFailed: no\n"),
            "{out}"
        );
        assert!(
            out.ends_with("STAGE     STATE  START  END\nprecheck  fail   a      b\n"),
            "{out}"
        );
    }
}
