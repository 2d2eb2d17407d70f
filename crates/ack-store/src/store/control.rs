//! Pause, resume and cancel requests. They are recorded on the task and carried out between
//! stages by whichever runner holds it; a paused task is canceled right here.

use super::events::{Logged, log_task};
use super::finish::{FinishGuard, finish_in};
use super::tasks::{append_events, load_head, set_live_status};
use super::{Res, Store};
use crate::unavailable;
use ack_domain::task::{Control, Event, Outcome, ROLLBACK_STAGE, TaskState, rollback_due};
use ack_domain::{AddonName, ClusterId, DomainError, TaskId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlRequest {
    Pause,
    Resume,
    Cancel,
}

/// What a control request did, so the caller knows whom to wake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlEffect {
    /// Recorded; the runner acts on it at the next stage boundary (or interrupts, for cancel).
    Requested,
    /// The task is runnable again: wake the engine.
    Resumed,
    /// Done already (cancel of a paused task), or nothing to do.
    Done,
}

impl Store {
    pub async fn control(
        &self,
        account: &str,
        id: &TaskId,
        req: ControlRequest,
        now: i64,
    ) -> Res<ControlEffect> {
        let (_turn, mut tx) = self.write_tx().await?;
        let row: Option<(String, String, String, i64)> = sqlx::query_as(
            "SELECT state, control, rollback, next_stage FROM tasks WHERE task_id = $1 AND account = $2",
        )
        .bind(id.as_str())
        .bind(account)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let Some((state, control, rollback, next_stage)) = row else {
            return Err(DomainError::TaskNotFound(id.to_string()));
        };
        let state = TaskState::parse(&state)
            .ok_or_else(|| DomainError::Internal(format!("task state {state:?}")))?;
        let control = Control::parse(&control)
            .ok_or_else(|| DomainError::Internal(format!("task control {control:?}")))?;
        let refuse = |action: &str| DomainError::TaskState {
            task: id.to_string(),
            state: state.as_str().into(),
            action: action.into(),
        };
        let set_control = |c: Control| {
            sqlx::query("UPDATE tasks SET control = $1, updated_at = $2 WHERE task_id = $3")
                .bind(c.as_str())
                .bind(now)
                .bind(id.as_str())
        };
        // The cluster whose status rows this changes, if any (for the status cache).
        let mut changed = None;
        let effect = match (req, state) {
            (_, s) if s.is_terminal() => return Err(refuse(verb(req))),
            // A rollback runs to its end: stopping it half-way would leave the add-on broken.
            _ if !rollback.is_empty() => {
                return Err(DomainError::TaskState {
                    task: id.to_string(),
                    state: "rolling back".into(),
                    action: verb(req).into(),
                });
            }
            // A pending cancel is final: nothing overrides it.
            (ControlRequest::Pause | ControlRequest::Resume, _) if control == Control::Cancel => {
                return Err(refuse(verb(req)));
            }
            (ControlRequest::Pause, TaskState::Paused) => ControlEffect::Done,
            (ControlRequest::Pause, _) => {
                set_control(Control::Pause)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                append_events(
                    &mut tx,
                    id,
                    &[Event::new(
                        "Pause",
                        "PauseRequested",
                        "pause requested; it takes effect between stages",
                        now,
                    )],
                )
                .await?;
                ControlEffect::Requested
            }
            (ControlRequest::Resume, TaskState::Paused) => {
                sqlx::query("UPDATE tasks SET state = 'running', control = '', lease_owner = NULL, lease_until = NULL, updated_at = $1 WHERE task_id = $2")
                    .bind(now)
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                changed = Some(set_live_status(&mut tx, id, None).await?);
                let resumed = Logged::new(
                    "task.resumed",
                    "running",
                    "TaskResumed",
                    "resumed from the next stage",
                );
                log_task(&mut tx, id.as_str(), resumed, now * 1000).await?;
                append_events(
                    &mut tx,
                    id,
                    &[Event::new(
                        "Resume",
                        "TaskResumed",
                        "resumed from the next stage",
                        now,
                    )],
                )
                .await?;
                ControlEffect::Resumed
            }
            (ControlRequest::Resume, _) => {
                // Running with a pause still pending: withdraw it.
                if control == Control::Pause {
                    set_control(Control::None)
                        .execute(&mut *tx)
                        .await
                        .map_err(unavailable)?;
                    append_events(
                        &mut tx,
                        id,
                        &[Event::new(
                            "Resume",
                            "PauseWithdrawn",
                            "resumed before the pause took effect",
                            now,
                        )],
                    )
                    .await?;
                }
                ControlEffect::Done
            }
            (ControlRequest::Cancel, TaskState::Paused) => {
                let head = load_head(&mut tx, id).await?;
                // Paused after its apply stage: the change is undone before the task ends, so
                // it runs again, towards its rollback stage.
                let apply_started = usize::try_from(next_stage).unwrap_or(0) >= 2;
                if apply_started && rollback_due(&head.task_type, &head.addons, 1) {
                    sqlx::query(
                        "UPDATE tasks SET state = 'running', control = '', rollback = 'canceled', error_code = 'Canceled',
                         error_message = 'canceled while paused', lease_owner = NULL, lease_until = NULL, updated_at = $1
                         WHERE task_id = $2",
                    )
                    .bind(now)
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                    changed = Some(set_live_status(&mut tx, id, None).await?);
                    let why = "canceled while paused: rolling back";
                    log_task(
                        &mut tx,
                        id.as_str(),
                        Logged::new("task.stage", "running", "RollbackStarted", why).warning(),
                        now * 1000,
                    )
                    .await?;
                    append_events(
                        &mut tx,
                        id,
                        &[Event::new(
                            ROLLBACK_STAGE,
                            "RollbackStarted",
                            "canceled while paused: rolling back",
                            now,
                        )
                        .warning()],
                    )
                    .await?;
                    ControlEffect::Resumed
                } else {
                    let stages: String =
                        sqlx::query_scalar("SELECT stages FROM tasks WHERE task_id = $1")
                            .bind(id.as_str())
                            .fetch_one(&mut *tx)
                            .await
                            .map_err(unavailable)?;
                    let stages: Vec<ack_domain::task::Stage> =
                        serde_json::from_str(&stages).unwrap_or_default();
                    changed = finish_in(
                        &mut tx,
                        id,
                        head,
                        FinishGuard::Paused,
                        &Outcome::Canceled("canceled while paused".into()),
                        &stages,
                        now,
                    )
                    .await?;
                    ControlEffect::Done
                }
            }
            (ControlRequest::Cancel, _) => {
                set_control(Control::Cancel)
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                append_events(
                    &mut tx,
                    id,
                    &[Event::new(
                        "Cancel",
                        "CancelRequested",
                        "cancel requested",
                        now,
                    )],
                )
                .await?;
                ControlEffect::Requested
            }
        };
        let changed: Vec<&str> = changed.iter().map(String::as_str).collect();
        self.commit_touching(tx, &changed, &[id.as_str()])
            .await
            .map(|()| effect)
    }

    /// The live task of one add-on (for the component-level pause, resume and cancel).
    pub async fn live_task(
        &self,
        account: &str,
        cluster: &ClusterId,
        component: &AddonName,
    ) -> Res<Option<TaskId>> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT a.task_id FROM task_addons a JOIN tasks t ON t.task_id = a.task_id
             WHERE a.cluster_id = $1 AND a.component = $2 AND a.live = 1 AND t.account = $3",
        )
        .bind(cluster.as_str())
        .bind(component.as_str())
        .bind(account)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        id.map(|i| TaskId::parse(&i)).transpose()
    }
}

fn verb(req: ControlRequest) -> &'static str {
    match req {
        ControlRequest::Pause => "paused",
        ControlRequest::Resume => "resumed",
        ControlRequest::Cancel => "canceled",
    }
}
