//! Executors do a stage's real work. `Simulated` waits `stage_duration`; `Command` runs a
//! program per add-on and stage (e.g. a script calling `helm upgrade --install`). Either may be
//! called again for a stage that a crash cut short, so what they do must be safe to repeat.

use ack_domain::task::{Event, Task, TaskAddon};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub enum Executor {
    Simulated { stage_duration: Duration },
    Command { program: PathBuf, timeout: Duration },
}

/// How one stage went.
pub enum StageResult {
    Done(Vec<Event>),
    Failed {
        code: String,
        message: String,
        events: Vec<Event>,
    },
    Interrupted(Vec<Event>),
}

/// Resolves when a cancel is signalled; a closed channel means nobody can cancel any more.
async fn canceled(cancel: &mut watch::Receiver<bool>) {
    if cancel.wait_for(|c| *c).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The grace a program gets between SIGTERM and SIGKILL.
const KILL_GRACE: Duration = Duration::from_secs(5);

impl Executor {
    pub(crate) async fn run(
        &self,
        task: &Task,
        kube: &str,
        addon: Option<&TaskAddon>,
        stage: &str,
        cancel: &mut watch::Receiver<bool>,
        now: i64,
    ) -> StageResult {
        match self {
            Executor::Simulated { stage_duration } => {
                tokio::select! {
                    () = tokio::time::sleep(*stage_duration) => StageResult::Done(Vec::new()),
                    () = canceled(cancel) => StageResult::Interrupted(Vec::new()),
                }
            }
            Executor::Command { program, timeout } => {
                run_command(program, *timeout, task, kube, addon, stage, cancel, now).await
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_command(
    program: &PathBuf,
    timeout: Duration,
    task: &Task,
    kube: &str,
    addon: Option<&TaskAddon>,
    stage: &str,
    cancel: &mut watch::Receiver<bool>,
    now: i64,
) -> StageResult {
    let mut cmd = Command::new(program);
    cmd.env("ACK_TASK_ID", task.id.as_str())
        .env("ACK_TASK_TYPE", &task.task_type)
        .env("ACK_CLUSTER_ID", task.cluster_id.as_str())
        .env("ACK_KUBERNETES_VERSION", kube)
        .env("ACK_STAGE", stage)
        .env("ACK_ADDON", addon.map_or("", |a| a.component.as_str()))
        .env("ACK_OPERATION", addon.map_or("", |a| a.operation.as_str()))
        .env(
            "ACK_FROM_VERSION",
            addon.map_or("", |a| a.from_version.as_str()),
        )
        .env(
            "ACK_TO_VERSION",
            addon.map_or("", |a| a.to_version.as_str()),
        )
        .env(
            "ACK_CONFIG",
            addon.and_then(|a| a.config.as_deref()).unwrap_or(""),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that cancel and timeout reach everything it started.
        .process_group(0)
        .kill_on_drop(true);
    let what = format!(
        "{stage} of {}",
        addon.map_or("the cluster", |a| a.component.as_str())
    );
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return StageResult::Failed {
                code: "ExecutorFailed".into(),
                message: format!("{what}: cannot run {}: {e}", program.display()),
                events: Vec::new(),
            };
        }
    };
    let pid = child.id();
    let (out, err) = (child.stdout.take(), child.stderr.take());
    let source = stage.to_string();
    let collect = tokio::spawn(async move {
        let mut events = Vec::new();
        let mut last_err = String::new();
        let mut out = out.map(|o| BufReader::new(o).lines());
        let mut err = err.map(|e| BufReader::new(e).lines());
        loop {
            tokio::select! {
                line = async { match out.as_mut() { Some(l) => l.next_line().await, None => std::future::pending().await } } => match line {
                    Ok(Some(l)) => events.push(Event { source: "command".into(), ..Event::new(&source, "ExecutorOutput", l, now) }),
                    _ => out = None,
                },
                line = async { match err.as_mut() { Some(l) => l.next_line().await, None => std::future::pending().await } } => match line {
                    Ok(Some(l)) => {
                        last_err.clone_from(&l);
                        events.push(Event { source: "command".into(), ..Event::new(&source, "ExecutorOutput", l, now) }.warning());
                    }
                    _ => err = None,
                },
            }
            if out.is_none() && err.is_none() {
                break;
            }
        }
        (events, last_err)
    });
    enum End {
        Exited(std::io::Result<std::process::ExitStatus>),
        TimedOut,
        Canceled,
    }
    let end = tokio::select! {
        s = child.wait() => End::Exited(s),
        () = tokio::time::sleep(timeout) => End::TimedOut,
        () = canceled(cancel) => End::Canceled,
    };
    let mut collect = collect;
    if !matches!(end, End::Exited(_)) {
        stop_group(pid, &mut child).await;
    }
    // Something it left running may still hold its output open: give it a moment, then end it.
    let (events, last_err) = match tokio::time::timeout(Duration::from_secs(2), &mut collect).await
    {
        Ok(done) => done.unwrap_or_default(),
        Err(_) => {
            if let Some(pid) = pid {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pid}")])
                    .stderr(Stdio::null())
                    .status()
                    .await;
            }
            collect.await.unwrap_or_default()
        }
    };
    match end {
        End::Exited(Ok(s)) if s.success() => StageResult::Done(events),
        End::Exited(Ok(s)) => StageResult::Failed {
            code: "ExecutorFailed".into(),
            message: format!(
                "{what} exited with {s}{}",
                if last_err.is_empty() {
                    String::new()
                } else {
                    format!(": {last_err}")
                }
            ),
            events,
        },
        End::Exited(Err(e)) => StageResult::Failed {
            code: "ExecutorFailed".into(),
            message: format!("{what}: {e}"),
            events,
        },
        End::TimedOut => StageResult::Failed {
            code: "StageTimeout".into(),
            message: format!("{what} did not finish within {}s", timeout.as_secs_f64()),
            events,
        },
        End::Canceled => StageResult::Interrupted(events),
    }
}

/// SIGTERM to the whole process group, then SIGKILL if it outlives the grace period. Done with
/// `kill(1)` so that no unsafe code is needed.
async fn stop_group(pid: Option<u32>, child: &mut tokio::process::Child) {
    let Some(pid) = pid else { return };
    let group = format!("-{pid}");
    let _ = Command::new("kill")
        .args(["-TERM", "--", &group])
        .status()
        .await;
    if tokio::time::timeout(KILL_GRACE, child.wait())
        .await
        .is_err()
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .status()
            .await;
        let _ = child.wait().await;
    } else {
        // The leader is gone; anything left in its group gets no second chance.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status()
            .await;
    }
}
