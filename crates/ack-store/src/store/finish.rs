//! Finishing a task exactly once, and everything its outcome means for its add-ons and cluster.

use super::batch::{Write, Written};
use super::ends::{End, apply_ends, ended_in};
use super::sets::Deferred;
use super::tasks::TaskHead;
use super::{Backend, Res, Store};
use ack_domain::task::{Event, Outcome, Stage, Task};
use ack_domain::{DomainError, TaskId};
use sqlx::{Any, Transaction};

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

/// The guarded end of one task (a cancel while it is paused) and everything it means, inside
/// the caller's transaction, as a batch's ends go: the task's cluster when it ended here, `None`
/// when it had ended already.
pub(crate) async fn finish_in(
    tx: &mut Transaction<'_, Any>,
    id: &TaskId,
    head: TaskHead,
    guard: FinishGuard<'_>,
    outcome: &Outcome,
    stages: &[Stage],
    now: i64,
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
    let end = End {
        id,
        head: &head,
        outcome,
        events: &[],
        now,
    };
    let mut d = Deferred::default();
    apply_ends(tx, backend, std::slice::from_ref(&end), &mut d).await?;
    d.flush(tx, backend).await?;
    Ok(Some(head.cluster_id))
}
