//! Finishing a task exactly once, and everything its outcome means for its add-ons and cluster.

use super::batch::{Write, Written};
use super::events::{Logged, log_task};
use super::tasks::{TaskHead, append_events, json, load_head};
use super::{Res, Store};
use crate::unavailable;
use ack_domain::task::{Event, Outcome, Stage, Task};
use ack_domain::{DomainError, TaskId};
use sqlx::{Any, AnyConnection, Transaction};

/// Who may finish a task: the runner holding its lease, or a cancel of a paused task.
pub enum FinishGuard<'a> {
    Lease(&'a str),
    Paused,
}

impl Store {
    /// Ends the task with its outcome and applies it, once: a second call finds it ended and
    /// changes nothing (false).
    /// `events` (a failed stage's output) are recorded with it. The task's add-ons, cluster and
    /// type are taken from `task` (they never change after it starts).
    pub async fn finish(
        &self,
        task: &Task,
        guard: FinishGuard<'_>,
        outcome: &Outcome,
        stages: &[Stage],
        events: &[Event],
        now: i64,
    ) -> Res<bool> {
        let head = TaskHead {
            cluster_id: task.cluster_id.to_string(),
            task_type: task.task_type.clone(),
            addons: task.addons.clone(),
        };
        let lease = match guard {
            FinishGuard::Lease(owner) => Some(owner.to_string()),
            FinishGuard::Paused => None,
        };
        match self
            .submit(Write::Finish {
                id: task.id.clone(),
                head,
                lease,
                outcome: outcome.clone(),
                stages: stages.to_vec(),
                events: events.to_vec(),
                now,
            })
            .await?
        {
            Written::Finished(ended) => Ok(ended),
            other => Err(DomainError::Internal(format!(
                "a finish answered {other:?}"
            ))),
        }
    }
}

/// The guarded end of a task and everything it means, inside the caller's transaction: the
/// task's cluster when it ended here, `None` when it had ended already. `events` (the last
/// stage's own) are recorded before the end's, and only when it ended here.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn finish_in(
    tx: &mut Transaction<'_, Any>,
    id: &TaskId,
    head: Option<TaskHead>,
    guard: FinishGuard<'_>,
    outcome: &Outcome,
    stages: &[Stage],
    events: &[Event],
    now: i64,
) -> Res<Option<String>> {
    use ack_domain::task::Operation as Op;
    let (code, message) = match outcome {
        Outcome::Failed(f) => (Some(f.code.clone()), Some(f.message.clone())),
        Outcome::Canceled(reason) => (Some("Canceled".to_string()), Some(reason.clone())),
        Outcome::Success => (None, None),
    };
    macro_rules! finish_sql {
        ($guard:literal) => {
            concat!(
                "UPDATE tasks SET state = $1, control = '', rollback = '', lease_owner = NULL, lease_until = NULL, finished_at = $2,
                 updated_at = $3, error_code = $4, error_message = $5, stages = $6 WHERE task_id = $7 AND ",
                $guard
            )
        };
    }
    let q = match guard {
        FinishGuard::Lease(_) => sqlx::query(finish_sql!("state = 'running' AND lease_owner = $8")),
        FinishGuard::Paused => sqlx::query(finish_sql!("state = 'paused'")),
    };
    let mut q = q
        .bind(outcome.task_state().as_str())
        .bind(now)
        .bind(now)
        .bind(code)
        .bind(message)
        .bind(json(&stages)?)
        .bind(id.as_str());
    if let FinishGuard::Lease(owner) = guard {
        q = q.bind(owner);
    }
    if q.execute(&mut **tx)
        .await
        .map_err(unavailable)?
        .rows_affected()
        == 0
    {
        return Ok(None);
    }
    append_events(tx, id, events).await?;
    let conn: &mut AnyConnection = tx;
    let task = match head {
        Some(h) => h,
        None => load_head(conn, id).await?,
    };
    let cid = task.cluster_id.as_str();
    let success = *outcome == Outcome::Success;
    let broken = outcome.leaves_broken();
    for a in &task.addons {
        let name = a.component.as_str();
        match (a.operation, success) {
            (Op::Uninstall, true) | (Op::Install, false) if !broken => {
                sqlx::query("DELETE FROM addon_instances WHERE cluster_id = $1 AND name = $2")
                    .bind(cid)
                    .bind(name)
                    .execute(&mut *conn)
                    .await
                    .map_err(unavailable)?;
            }
            (Op::Upgrade | Op::Modify, true) => {
                sqlx::query(
                    "UPDATE addon_instances SET state = 'active', version = $1, config = COALESCE($2, config), updated_at = $3
                     WHERE cluster_id = $4 AND name = $5",
                )
                .bind(&a.to_version)
                .bind(&a.config)
                .bind(now)
                .bind(cid)
                .bind(name)
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
            }
            // A finished install becomes active; a failed or canceled change leaves the add-on
            // as it was, active; a failed rollback leaves nobody knowing what runs, so it shows
            // unhealthy until a repair succeeds.
            _ => {
                sqlx::query("UPDATE addon_instances SET state = $1, updated_at = $2 WHERE cluster_id = $3 AND name = $4")
                    .bind(if broken { "unhealthy" } else { "active" })
                    .bind(now)
                    .bind(cid)
                    .bind(name)
                    .execute(&mut *conn)
                    .await
                    .map_err(unavailable)?;
            }
        }
        sqlx::query(
            "UPDATE addon_status SET status = $1, finished_at = $2, is_canceled = $3, message = $4
             WHERE cluster_id = $5 AND component = $6 AND task_id = $7",
        )
        .bind(outcome.upgrade_status().as_str())
        .bind(now)
        .bind(i64::from(matches!(outcome, Outcome::Canceled(_))))
        .bind(outcome.message())
        .bind(cid)
        .bind(name)
        .bind(id.as_str())
        .execute(&mut *conn)
        .await
        .map_err(unavailable)?;
    }
    sqlx::query("UPDATE task_addons SET live = 0 WHERE task_id = $1")
        .bind(id.as_str())
        .execute(&mut *conn)
        .await
        .map_err(unavailable)?;
    match (task.task_type.as_str(), success) {
        ("cluster_create", ok) => {
            sqlx::query("UPDATE clusters SET state = $1, updated_at = $2 WHERE cluster_id = $3")
                .bind(if ok { "running" } else { "failed" })
                .bind(now)
                .bind(cid)
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
        }
        ("cluster_delete", true) => {
            sqlx::query("DELETE FROM clusters WHERE cluster_id = $1")
                .bind(cid)
                .execute(&mut *conn)
                .await
                .map_err(unavailable)?;
        }
        ("cluster_delete", false) => {
            sqlx::query(
                "UPDATE clusters SET state = 'running', updated_at = $1 WHERE cluster_id = $2",
            )
            .bind(now)
            .bind(cid)
            .execute(&mut *conn)
            .await
            .map_err(unavailable)?;
        }
        _ => {}
    }
    let (reason, text) = match outcome {
        Outcome::Success => ("TaskSucceeded", "the task succeeded".to_string()),
        Outcome::Failed(f) => (
            "TaskFailed",
            format!("the task failed: {}: {}", f.code, f.message),
        ),
        Outcome::Canceled(r) => ("TaskCanceled", format!("the task was canceled: {r}")),
    };
    let kind = match outcome {
        Outcome::Success => "task.succeeded",
        Outcome::Failed(_) => "task.failed",
        Outcome::Canceled(_) => "task.canceled",
    };
    let mut logged = Logged::new(kind, outcome.task_state().as_str(), reason, &text);
    if !success {
        logged = logged.warning();
    }
    log_task(tx, id.as_str(), logged, now * 1000).await?;
    if task.task_type == "cluster_delete" && success {
        log_task(
            tx,
            id.as_str(),
            Logged::new(
                "cluster.deleted",
                "deleted",
                "ClusterDeleted",
                "the cluster was deleted",
            ),
            now * 1000,
        )
        .await?;
    }
    let mut e = Event::new("Finish", reason, text, now);
    if !success {
        e = e.warning();
    }
    append_events(tx, id, &[e]).await?;
    Ok(Some(task.cluster_id))
}
