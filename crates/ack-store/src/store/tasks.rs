//! Tasks: starting one (with everything it changes at once), claiming with a lease, recording
//! stages, and finishing exactly once.

use super::{Backend, Res, Store, conflict_or, fetch_cluster, insert_clusters};
use crate::{rows, unavailable};
use ack_domain::cluster::Cluster;
use ack_domain::task::{
    Control, Event, Fault, Outcome, Stage, Task, TaskAddon, TaskState, TaskSummary, UpgradeStatus,
};
use ack_domain::{ClusterId, DomainError, TaskId};
use sqlx::{Any, AnyConnection, Transaction};

/// What a new task does to clusters besides its add-ons.
pub enum TaskStart<'a> {
    /// Add-on changes on an existing running cluster.
    Addons,
    /// The cluster is created with it, in state `initial`.
    CreateCluster(&'a Cluster),
    /// The cluster goes to `deleting`.
    DeleteCluster,
}

/// A completed stage: its index, the task's stages so far (this one last), the events it
/// produced, and the lease's new end.
pub struct StageDone<'a> {
    pub index: usize,
    pub stages: &'a [Stage],
    pub events: &'a [Event],
    pub now: i64,
    pub lease_until: i64,
}

/// Who may finish a task: the runner holding its lease, or a cancel of a paused task.
pub enum FinishGuard<'a> {
    Lease(&'a str),
    Paused,
}

fn state_and_control(state: &str, control: &str) -> Res<(TaskState, Control)> {
    let state = TaskState::parse(state)
        .ok_or_else(|| DomainError::Internal(format!("task state {state:?}")))?;
    let control = Control::parse(control)
        .ok_or_else(|| DomainError::Internal(format!("task control {control:?}")))?;
    Ok((state, control))
}

fn json<T: serde::Serialize>(v: &T) -> Res<String> {
    serde_json::to_string(v).map_err(|e| DomainError::Internal(e.to_string()))
}

impl Store {
    /// Records a task and applies what starting it means (instances to `initial`, `upgrading`,
    /// `updating` or `deleting`; upgrade status to in-flight), all or nothing. A second live
    /// task on an add-on is refused by the database's unique index.
    pub async fn start_task(&self, task: &Task, start: TaskStart<'_>) -> Res<()> {
        let (_turn, mut tx) = self.write_tx().await?;
        match start {
            TaskStart::CreateCluster(c) => {
                insert_clusters(&mut tx, self.backend, std::slice::from_ref(c)).await?
            }
            TaskStart::Addons => {
                let c = fetch_cluster(&mut tx, &task.account, &task.cluster_id).await?;
                if c.state != "running" {
                    return Err(DomainError::ClusterState {
                        cluster: c.id.to_string(),
                        state: c.state,
                        reason: "add-ons can change only while the cluster is running".into(),
                    });
                }
            }
            TaskStart::DeleteCluster => {
                let c = fetch_cluster(&mut tx, &task.account, &task.cluster_id).await?;
                let live: Option<String> = sqlx::query_scalar(
                    "SELECT task_id FROM task_addons WHERE cluster_id = $1 AND live = 1 LIMIT 1",
                )
                .bind(c.id.as_str())
                .fetch_optional(&mut *tx)
                .await
                .map_err(unavailable)?;
                if c.state == "deleting" || c.state == "initial" || live.is_some() {
                    return Err(DomainError::ClusterState {
                        cluster: c.id.to_string(),
                        state: c.state,
                        reason: format!(
                            "it cannot be deleted now{}",
                            live.map(|t| format!(": task {t} is changing its add-ons"))
                                .unwrap_or_default()
                        ),
                    });
                }
                sqlx::query(
                    "UPDATE clusters SET state = 'deleting', updated_at = $1 WHERE cluster_id = $2",
                )
                .bind(task.created_at)
                .bind(c.id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            }
        }
        sqlx::query(
            "INSERT INTO tasks (task_id, account, cluster_id, task_type, state, next_stage, control, created_at, updated_at, stages)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(task.id.as_str())
        .bind(&task.account)
        .bind(task.cluster_id.as_str())
        .bind(&task.task_type)
        .bind(task.state.as_str())
        .bind(i64::try_from(task.next_stage).unwrap_or(0))
        .bind(task.control.as_str())
        .bind(task.created_at)
        .bind(task.updated_at)
        .bind(json(&task.stages)?)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        for (position, a) in task.addons.iter().enumerate() {
            start_addon(&mut tx, task, position, a).await?;
        }
        append_events(&mut tx, &task.id, &task.events).await?;
        let committed = tx.commit().await.map_err(unavailable);
        self.changed(task.cluster_id.as_str());
        committed
    }

    /// Claims up to `limit` runnable tasks (running, lease free or expired), oldest first.
    pub async fn claim(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Res<Vec<TaskId>> {
        // PostgreSQL: replicas claim concurrently, so rows another claim holds are skipped, not
        // waited for. SQLite: one writer at a time already.
        let sql = match self.backend {
            Backend::Postgres => {
                "UPDATE tasks SET lease_owner = $1, lease_until = $2 WHERE task_id IN (
                SELECT task_id FROM tasks WHERE state = 'running' AND (lease_until IS NULL OR lease_until < $3)
                ORDER BY created_at, seq LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING task_id"
            }
            Backend::Sqlite => {
                "UPDATE tasks SET lease_owner = $1, lease_until = $2 WHERE task_id IN (
                SELECT task_id FROM tasks WHERE state = 'running' AND (lease_until IS NULL OR lease_until < $3)
                ORDER BY created_at, seq LIMIT $4) RETURNING task_id"
            }
        };
        let _turn = self.write_turn().await;
        let ids: Vec<String> = sqlx::query_scalar(sql)
            .bind(owner)
            .bind(lease_until)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        ids.iter()
            .map(|i| {
                TaskId::parse(i).map_err(|_| DomainError::Internal(format!("stored task id {i:?}")))
            })
            .collect()
    }

    /// Frees every lease: a single-process store calls it at start-up, when no runner can be alive.
    pub async fn release_all_leases(&self) -> Res<u64> {
        let r = sqlx::query(
            "UPDATE tasks SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL",
        )
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(r.rows_affected())
    }

    pub async fn renew_lease(&self, id: &TaskId, owner: &str, lease_until: i64) -> Res<bool> {
        let _turn = self.write_turn().await;
        let r = sqlx::query("UPDATE tasks SET lease_until = $1 WHERE task_id = $2 AND lease_owner = $3 AND state = 'running'")
            .bind(lease_until)
            .bind(id.as_str())
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(r.rows_affected() == 1)
    }

    /// The task with its add-ons but not its events (the engine reads none), whatever its
    /// account.
    pub async fn load_task(&self, id: &TaskId) -> Res<Task> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        load_without_events(&mut conn, None, id).await
    }

    /// The parts of a task others may change while a runner holds it: its state and pending control.
    pub async fn task_control(&self, id: &TaskId) -> Res<(TaskState, Control)> {
        let (state, control): (String, String) =
            sqlx::query_as("SELECT state, control FROM tasks WHERE task_id = $1")
                .bind(id.as_str())
                .fetch_one(&self.pool)
                .await
                .map_err(unavailable)?;
        state_and_control(&state, &control)
    }

    /// The task if it belongs to `account`.
    pub async fn task(&self, account: &str, id: &TaskId) -> Res<Task> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        load(&mut conn, Some(account), id).await
    }

    /// Records stage `index` as completed, if this owner still holds the task and nobody recorded
    /// it before, and returns the task's state and pending control as of that moment (what the
    /// runner acts on next). None means the task moved on without us: stop.
    pub async fn complete_stage(
        &self,
        id: &TaskId,
        owner: &str,
        done: StageDone<'_>,
    ) -> Res<Option<(TaskState, Control)>> {
        let StageDone {
            index,
            stages,
            events,
            now,
            lease_until,
        } = done;
        let (_turn, mut tx) = self.write_tx().await?;
        let idx = i64::try_from(index).unwrap_or(i64::MAX);
        let row: Option<(String, String)> = sqlx::query_as(
            "UPDATE tasks SET next_stage = $1 + 1, stages = $2, updated_at = $3, lease_until = $4
             WHERE task_id = $5 AND next_stage = $6 AND state = 'running' AND lease_owner = $7
             RETURNING state, control",
        )
        .bind(idx)
        .bind(json(&stages)?)
        .bind(now)
        .bind(lease_until)
        .bind(id.as_str())
        .bind(idx)
        .bind(owner)
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let Some((state, control)) = row else {
            return Ok(None);
        };
        append_events(&mut tx, id, events).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Some(state_and_control(&state, &control)?))
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
        let committed = tx.commit().await.map_err(unavailable);
        self.changed(&cluster);
        committed.map(|()| true)
    }

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
        let id = &task.id;
        let (_turn, mut tx) = self.write_tx().await?;
        let Some(cluster) = finish_in(&mut tx, id, Some(head), guard, outcome, stages, now).await?
        else {
            return Ok(false);
        };
        append_events(&mut tx, id, events).await?;
        let committed = tx.commit().await.map_err(unavailable);
        self.changed(&cluster);
        committed.map(|()| true)
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

    pub async fn add_fault(&self, account: &str, f: &Fault) -> Res<()> {
        self.faults_armed
            .store(true, std::sync::atomic::Ordering::SeqCst);
        sqlx::query("INSERT INTO faults (account, cluster_id, component, operation, stage, error_code, message) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(account)
            .bind(f.cluster_id.as_str())
            .bind(&f.component)
            .bind(f.operation.as_str())
            .bind(&f.stage)
            .bind(&f.error_code)
            .bind(&f.message)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    pub async fn clear_faults(&self, account: &str) -> Res<u64> {
        let r = sqlx::query("DELETE FROM faults WHERE account = $1")
            .bind(account)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(r.rows_affected())
    }

    /// Takes (deletes and returns) the oldest fault matching this stage of this add-on change.
    pub async fn take_fault(
        &self,
        task: &Task,
        a: &TaskAddon,
        stage: &str,
    ) -> Res<Option<(String, String)>> {
        // Another replica may arm faults in a shared database; a SQLite file has only us.
        if self.backend == Backend::Sqlite
            && !self.faults_armed.load(std::sync::atomic::Ordering::SeqCst)
        {
            return Ok(None);
        }
        sqlx::query_as(
            "DELETE FROM faults WHERE fault_id = (SELECT fault_id FROM faults WHERE account = $1 AND cluster_id = $2
               AND (component = $3 OR component = '') AND operation = $4 AND stage = $5 ORDER BY fault_id LIMIT 1)
             RETURNING error_code, message",
        )
        .bind(&task.account)
        .bind(task.cluster_id.as_str())
        .bind(a.component.as_str())
        .bind(a.operation.as_str())
        .bind(stage)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)
    }
}

async fn start_addon(
    tx: &mut Transaction<'_, Any>,
    task: &Task,
    position: usize,
    a: &TaskAddon,
) -> Res<()> {
    use ack_domain::task::Operation as Op;
    let (cid, name, now) = (
        task.cluster_id.as_str(),
        a.component.as_str(),
        task.created_at,
    );
    // Name the task in the way first; the unique index still decides a race between two starts
    // (after a failed statement PostgreSQL accepts no more in the transaction, so look before).
    let live: Option<String> = sqlx::query_scalar(
        "SELECT task_id FROM task_addons WHERE cluster_id = $1 AND component = $2 AND live = 1",
    )
    .bind(cid)
    .bind(name)
    .fetch_optional(&mut **tx)
    .await
    .map_err(unavailable)?;
    if let Some(task) = live {
        return Err(DomainError::AddonBusy {
            name: name.to_string(),
            task,
        });
    }
    let ins = sqlx::query(
        "INSERT INTO task_addons (task_id, cluster_id, component, operation, from_version, to_version, config, live, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)",
    )
    .bind(task.id.as_str())
    .bind(cid)
    .bind(name)
    .bind(a.operation.as_str())
    .bind(&a.from_version)
    .bind(&a.to_version)
    .bind(&a.config)
    .bind(i64::try_from(position).unwrap_or(i64::MAX))
    .execute(&mut **tx)
    .await;
    if let Err(e) = ins {
        if matches!(&e, sqlx::Error::Database(d) if d.is_unique_violation()) {
            return Err(DomainError::AddonBusy {
                name: name.to_string(),
                task: "started concurrently".into(),
            });
        }
        return Err(unavailable(e));
    }
    if a.operation == Op::Install {
        sqlx::query(
            "INSERT INTO addon_instances (cluster_id, name, version, config, state, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'initial', $5, $6)",
        )
        .bind(cid)
        .bind(name)
        .bind(&a.to_version)
        .bind(a.config.as_deref().unwrap_or("{}"))
        .bind(now)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(|e| match conflict_or(e, "name", "") {
            DomainError::InvalidParameter { .. } => DomainError::AddonAlreadyInstalled(name.to_string()),
            other => other,
        })?;
    } else {
        let state = match a.operation {
            Op::Upgrade => "upgrading",
            Op::Modify => "updating",
            _ => "deleting",
        };
        let r = sqlx::query("UPDATE addon_instances SET state = $1, updated_at = $2 WHERE cluster_id = $3 AND name = $4")
            .bind(state)
            .bind(now)
            .bind(cid)
            .bind(name)
            .execute(&mut **tx)
            .await
            .map_err(unavailable)?;
        if r.rows_affected() == 0 {
            return Err(DomainError::addon_not_found(name));
        }
    }
    sqlx::query(
        "INSERT INTO addon_status (cluster_id, component, task_id, status, created_at, finished_at, is_canceled, message)
         VALUES ($1, $2, $3, $4, $5, NULL, 0, '')
         ON CONFLICT (cluster_id, component) DO UPDATE SET task_id = excluded.task_id, status = excluded.status,
           created_at = excluded.created_at, finished_at = NULL, is_canceled = 0, message = ''",
    )
    .bind(cid)
    .bind(name)
    .bind(task.id.as_str())
    .bind(a.operation.in_flight_status().as_str())
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(unavailable)?;
    Ok(())
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

/// The guarded end of a task and everything it means, inside the caller's transaction: the
/// task's cluster when it ended here, `None` when it had ended already.
pub(crate) async fn finish_in(
    tx: &mut Transaction<'_, Any>,
    id: &TaskId,
    head: Option<TaskHead>,
    guard: FinishGuard<'_>,
    outcome: &Outcome,
    stages: &[Stage],
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
                "UPDATE tasks SET state = $1, control = '', lease_owner = NULL, lease_until = NULL, finished_at = $2,
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
    let conn: &mut AnyConnection = tx;
    let task = match head {
        Some(h) => h,
        None => load_head(conn, id).await?,
    };
    let cid = task.cluster_id.as_str();
    let success = *outcome == Outcome::Success;
    for a in &task.addons {
        let name = a.component.as_str();
        match (a.operation, success) {
            (Op::Uninstall, true) | (Op::Install, false) => {
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
            // as it was, active.
            (Op::Install, true) | (Op::Upgrade | Op::Modify | Op::Uninstall, false) => {
                sqlx::query("UPDATE addon_instances SET state = 'active', updated_at = $1 WHERE cluster_id = $2 AND name = $3")
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
    let mut e = Event::new("Finish", reason, text, now);
    if !success {
        e = e.warning();
    }
    append_events(tx, id, &[e]).await?;
    Ok(Some(task.cluster_id))
}
