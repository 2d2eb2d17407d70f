//! Tasks: reading one, listing a cluster's, and the helpers the writes share (events, live
//! status, the head). Starting one, claims, stages, finishing and faults have files of their own.

use super::{Res, Store};
use crate::{rows, unavailable};
use ack_domain::task::{Control, Event, Task, TaskAddon, TaskState, TaskSummary, UpgradeStatus};
use ack_domain::{ClusterId, DomainError, TaskId};
use sqlx::{Any, AnyConnection, Transaction};

pub(crate) fn state_and_control(state: &str, control: &str) -> Res<(TaskState, Control)> {
    let state = TaskState::parse(state)
        .ok_or_else(|| DomainError::Internal(format!("task state {state:?}")))?;
    let control = Control::parse(control)
        .ok_or_else(|| DomainError::Internal(format!("task control {control:?}")))?;
    Ok((state, control))
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Res<String> {
    serde_json::to_string(v).map_err(|e| DomainError::Internal(e.to_string()))
}

impl Store {
    /// The task with its add-ons but not its events (the engine reads none), whatever its
    /// account.
    pub async fn load_task(&self, id: &TaskId) -> Res<Task> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        load_without_events(&mut conn, None, id).await
    }

    /// The task if it belongs to `account`.
    pub async fn task(&self, account: &str, id: &TaskId) -> Res<Task> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        load(&mut conn, Some(account), id).await
    }

    /// How many tasks are still running (not paused, not ended).
    pub async fn running_tasks(&self) -> Res<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tasks WHERE state = 'running'")
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// DescribeClusterTasks: newest first.
    pub async fn list_tasks(
        &self,
        account: &str,
        cluster: &ClusterId,
        page_number: u32,
        page_size: u32,
    ) -> Res<(Vec<TaskSummary>, u64)> {
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM tasks WHERE account = $1 AND cluster_id = $2")
                .bind(account)
                .bind(cluster.as_str())
                .fetch_one(&self.pool)
                .await
                .map_err(unavailable)?;
        let rows = sqlx::query(
            "SELECT * FROM tasks WHERE account = $1 AND cluster_id = $2 ORDER BY created_at DESC, seq DESC LIMIT $3 OFFSET $4",
        )
        .bind(account)
        .bind(cluster.as_str())
        .bind(i64::from(page_size))
        .bind(i64::from(page_number.saturating_sub(1)) * i64::from(page_size))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        let tasks = rows
            .iter()
            .map(|r| {
                rows::task(r).map(|t| TaskSummary {
                    id: t.id,
                    task_type: t.task_type,
                    state: t.state,
                    created_at: t.created_at,
                    updated_at: t.updated_at,
                    error: t.error,
                })
            })
            .collect::<Res<Vec<_>>>()?;
        Ok((tasks, u64::try_from(total).unwrap_or(0)))
    }
}

pub(crate) async fn load(
    conn: &mut AnyConnection,
    account: Option<&str>,
    id: &TaskId,
) -> Res<Task> {
    let mut task = load_without_events(conn, account, id).await?;
    task.events = sqlx::query("SELECT * FROM task_events WHERE task_id = $1 ORDER BY seq")
        .bind(id.as_str())
        .fetch_all(&mut *conn)
        .await
        .map_err(unavailable)?
        .iter()
        .map(rows::event)
        .collect::<Res<_>>()?;
    Ok(task)
}

/// The task row with its add-ons, if it belongs to `account` (any account for `None`).
async fn load_without_events(
    conn: &mut AnyConnection,
    account: Option<&str>,
    id: &TaskId,
) -> Res<Task> {
    let row = sqlx::query("SELECT * FROM tasks WHERE task_id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(unavailable)?;
    let mut task = match row.as_ref().map(rows::task).transpose()? {
        Some(t) if account.is_none_or(|a| a == t.account) => t,
        _ => return Err(DomainError::TaskNotFound(id.to_string())),
    };
    task.addons = task_addons(conn, id).await?;
    Ok(task)
}

async fn task_addons(conn: &mut AnyConnection, id: &TaskId) -> Res<Vec<TaskAddon>> {
    sqlx::query("SELECT * FROM task_addons WHERE task_id = $1 ORDER BY position")
        .bind(id.as_str())
        .fetch_all(&mut *conn)
        .await
        .map_err(unavailable)?
        .iter()
        .map(rows::task_addon)
        .collect()
}

/// What ending or pausing a task touches: its cluster, its type and its add-ons (not its
/// events, which `load` would read too).
#[derive(Clone)]
pub(crate) struct TaskHead {
    pub(crate) cluster_id: String,
    pub(crate) task_type: String,
    pub(crate) addons: Vec<TaskAddon>,
}

pub(crate) async fn load_head(conn: &mut AnyConnection, id: &TaskId) -> Res<TaskHead> {
    let (cluster_id, task_type): (String, String) =
        sqlx::query_as("SELECT cluster_id, task_type FROM tasks WHERE task_id = $1")
            .bind(id.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| DomainError::TaskNotFound(id.to_string()))?;
    let addons = task_addons(conn, id).await?;
    Ok(TaskHead {
        cluster_id,
        task_type,
        addons,
    })
}

pub(crate) async fn append_events(
    tx: &mut Transaction<'_, Any>,
    id: &TaskId,
    events: &[Event],
) -> Res<()> {
    if events.is_empty() {
        return Ok(());
    }
    // The next number is taken in the insert itself: one round trip per event, and the write
    // transaction keeps anyone else from taking the same one.
    for e in events {
        sqlx::query(
            "INSERT INTO task_events (task_id, seq, action, level, message, reason, source, timestamp)
             VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM task_events WHERE task_id = $1), $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.as_str())
        .bind(&e.action)
        .bind(&e.level)
        .bind(&e.message)
        .bind(&e.reason)
        .bind(&e.source)
        .bind(e.timestamp)
        .execute(&mut **tx)
        .await
        .map_err(unavailable)?;
    }
    Ok(())
}

/// Sets the upgrade-status word of every add-on the task changes; `None` restores each one's
/// in-flight word (after a resume). Returns the task's cluster.
pub(crate) async fn set_live_status(
    tx: &mut Transaction<'_, Any>,
    id: &TaskId,
    status: Option<UpgradeStatus>,
) -> Res<String> {
    let conn: &mut AnyConnection = tx;
    let task = load_head(conn, id).await?;
    for a in &task.addons {
        let s = status.unwrap_or_else(|| a.operation.in_flight_status());
        sqlx::query("UPDATE addon_status SET status = $1 WHERE cluster_id = $2 AND component = $3 AND task_id = $4")
            .bind(s.as_str())
            .bind(&task.cluster_id)
            .bind(a.component.as_str())
            .bind(id.as_str())
            .execute(&mut *conn)
            .await
            .map_err(unavailable)?;
    }
    Ok(task.cluster_id)
}
