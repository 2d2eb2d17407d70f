//! Finishing a task exactly once, and everything its outcome means for its add-ons and cluster.

use super::batch::{Write, Written};
use super::ends::{End, apply_ends, ended_in};
use super::sets::Deferred;
use super::tasks::{TaskHead, load_head};
use super::{Backend, Res, Store};
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
    d: &mut Deferred,
) -> Res<Option<String>> {
    let backend = Backend::of(tx);
    let owner = match guard {
        FinishGuard::Lease(o) => Some(o),
        FinishGuard::Paused => None,
    };
    let ended = ended_in(tx, backend, &[(id, owner, outcome, stages, now)]).await?;
    if ended.is_empty() {
        return Ok(None);
    }
    let head = match head {
        Some(h) => h,
        None => {
            let conn: &mut AnyConnection = tx;
            load_head(conn, id).await?
        }
    };
    let end = End {
        id,
        head: &head,
        outcome,
        events,
        now,
    };
    apply_ends(tx, backend, std::slice::from_ref(&end), d).await?;
    Ok(Some(head.cluster_id))
}
