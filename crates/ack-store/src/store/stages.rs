//! Stages: recording a completed one, carrying out a pause between two, and turning a failed
//! or canceled change into a rollback.

use super::batch::{Write, Written};
use super::events::{Logged, log_task};
use super::sets::Deferred;
use super::tasks::{append_events, json, set_live_status, state_and_control};
use super::{Backend, MAX_ROWS_PER_INSERT, Res, Store, values_placeholders};
use crate::unavailable;
use ack_domain::task::{Control, Event, Outcome, ROLLBACK_STAGE, Stage, TaskState, UpgradeStatus};
use ack_domain::{DomainError, TaskId};
use sqlx::{Any, AssertSqlSafe, Transaction};
use std::collections::HashMap;

/// A completed stage: its index, the task's stages so far (this one last), the events it
/// produced, and the lease's new end.
pub struct StageDone<'a> {
    pub index: usize,
    pub stages: &'a [Stage],
    pub events: &'a [Event],
    pub now: i64,
    pub lease_until: i64,
}

/// A completed stage as the batch carries it.
pub(crate) struct StageWrite {
    pub(crate) id: TaskId,
    pub(crate) owner: String,
    pub(crate) index: usize,
    /// The task's stages so far, as stored (JSON).
    pub(crate) stages: String,
    /// The stage's name.
    pub(crate) name: String,
    pub(crate) events: Vec<Event>,
    pub(crate) now: i64,
    pub(crate) lease_until: i64,
}

/// Records a batch's completed stages inside its transaction, in one statement (see
/// `Store::complete_stage`): for each, in order, the task's state and pending control, or
/// `None` when its guard no longer held. Their events go to `d`.
pub(crate) async fn stages_in(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    writes: &[&StageWrite],
    d: &mut Deferred,
) -> Res<Vec<Option<(TaskState, Control)>>> {
    let mut after: HashMap<String, (String, String)> = HashMap::new();
    for chunk in writes.chunks(MAX_ROWS_PER_INSERT) {
        let sql = format!(
            "WITH v (t, i, st, ts, lu, o) AS (VALUES {})
             UPDATE tasks SET next_stage = v.i + 1, stages = v.st, updated_at = v.ts, lease_until = v.lu
             FROM v WHERE tasks.task_id = v.t AND tasks.next_stage = v.i AND tasks.state = 'running'
               AND tasks.lease_owner = v.o
             RETURNING tasks.task_id, tasks.state, tasks.control",
            values_placeholders(backend, chunk.len(), 6)
        );
        let mut q = sqlx::query_as::<_, (String, String, String)>(AssertSqlSafe(sql));
        for s in chunk {
            q = q
                .bind(s.id.as_str())
                .bind(i64::try_from(s.index).unwrap_or(i64::MAX))
                .bind(&s.stages)
                .bind(s.now)
                .bind(s.lease_until)
                .bind(&s.owner);
        }
        for (id, state, control) in q.fetch_all(&mut **tx).await.map_err(unavailable)? {
            after.insert(id, (state, control));
        }
    }
    let mut out = Vec::with_capacity(writes.len());
    for s in writes {
        let Some((state, control)) = after.get(s.id.as_str()) else {
            out.push(None);
            continue;
        };
        d.events(&s.id, &s.events);
        let what = format!("stage {} succeeded", s.name);
        let logged = Logged::new("task.stage", state, "StageSucceeded", &what);
        d.log(s.id.as_str(), logged, s.now * 1000);
        out.push(Some(state_and_control(state, control)?));
    }
    Ok(out)
}

impl Store {
    /// Records stage `index` as completed, if this owner still holds the task and nobody recorded
    /// it before, and returns the task's state and pending control as of that moment (what the
    /// runner acts on next). None means the task moved on without us: stop. It shares a
    /// transaction with the other writes ready at the same moment, and returns once that
    /// transaction committed.
    pub async fn complete_stage(
        &self,
        id: &TaskId,
        owner: &str,
        done: StageDone<'_>,
    ) -> Res<Option<(TaskState, Control)>> {
        let write = StageWrite {
            id: id.clone(),
            owner: owner.to_string(),
            index: done.index,
            stages: json(&done.stages)?,
            name: done
                .stages
                .last()
                .map_or("", |s| s.name.as_str())
                .to_string(),
            events: done.events.to_vec(),
            now: done.now,
            lease_until: done.lease_until,
        };
        match self.submit(Write::Stage(write)).await? {
            Written::Stage(s) => Ok(s),
            other => Err(DomainError::Internal(format!(
                "a stage write answered {other:?}"
            ))),
        }
    }

    /// Carries out a pending pause between stages: the task stops, its add-ons show `Paused`.
    pub async fn pause_now(&self, id: &TaskId, owner: &str, now: i64) -> Res<bool> {
        let (_turn, mut tx) = self.write_tx().await?;
        let r = sqlx::query(
            "UPDATE tasks SET state = 'paused', control = '', lease_owner = NULL, lease_until = NULL, updated_at = $1
             WHERE task_id = $2 AND state = 'running' AND control = 'pause' AND lease_owner = $3",
        )
        .bind(now)
        .bind(id.as_str())
        .bind(owner)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        let cluster = set_live_status(&mut tx, id, Some(UpgradeStatus::Paused)).await?;
        log_task(
            &mut tx,
            id.as_str(),
            Logged::new(
                "task.paused",
                "paused",
                "TaskPaused",
                "paused between stages",
            ),
            now * 1000,
        )
        .await?;
        append_events(
            &mut tx,
            id,
            &[Event::new(
                "Pause",
                "TaskPaused",
                "paused between stages",
                now,
            )],
        )
        .await?;
        self.commit_touching(tx, &[&cluster], &[id.as_str()])
            .await
            .map(|()| true)
    }

    /// Turns a change that failed or was canceled after its apply stage started into a rollback:
    /// the task keeps running, now towards the rollback stage, and remembers how it ends
    /// (`outcome`). Guarded like a stage; false when the task moved on without this runner.
    pub async fn begin_rollback(
        &self,
        id: &TaskId,
        owner: &str,
        outcome: &Outcome,
        stages: &[Stage],
        events: &[Event],
        now: i64,
    ) -> Res<bool> {
        let (kind, code, message) = match outcome {
            Outcome::Failed(f) => ("fail", f.code.as_str(), f.message.as_str()),
            Outcome::Canceled(reason) => ("canceled", "Canceled", reason.as_str()),
            Outcome::Success => {
                return Err(DomainError::Internal("a success is not rolled back".into()));
            }
        };
        let (_turn, mut tx) = self.write_tx().await?;
        let r = sqlx::query(
            "UPDATE tasks SET rollback = $1, error_code = $2, error_message = $3, stages = $4, control = '', updated_at = $5
             WHERE task_id = $6 AND state = 'running' AND lease_owner = $7 AND rollback = ''",
        )
        .bind(kind)
        .bind(code)
        .bind(message)
        .bind(json(&stages)?)
        .bind(now)
        .bind(id.as_str())
        .bind(owner)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        let mut all = events.to_vec();
        all.push(
            Event::new(
                ROLLBACK_STAGE,
                "RollbackStarted",
                format!("rolling back: {}", outcome.message()),
                now,
            )
            .warning(),
        );
        append_events(&mut tx, id, &all).await?;
        let what = format!("rolling back: {}", outcome.message());
        log_task(
            &mut tx,
            id.as_str(),
            Logged::new("task.stage", "running", "RollbackStarted", &what).warning(),
            now * 1000,
        )
        .await?;
        self.commit_touching(tx, &[], &[id.as_str()]).await?;
        Ok(true)
    }
}
