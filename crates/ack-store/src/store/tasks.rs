//! Tasks: starting one (with everything it changes at once), reading one, listing a cluster's.
//! Claims, stages, finishing and faults have files of their own.

use super::events::{Logged, log_task};
use super::{Res, Store, fetch_cluster, insert_clusters};
use crate::{rows, unavailable};
use ack_domain::cluster::Cluster;
use ack_domain::task::{Control, Event, Task, TaskAddon, TaskState, TaskSummary, UpgradeStatus};
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
    /// Records a task and applies what starting it means (instances to `initial`, `upgrading`,
    /// `updating` or `deleting`; upgrade status to in-flight), all or nothing. A second live
    /// task on an add-on is refused by the database's unique index.
    pub async fn start_task(&self, task: &Task, start: TaskStart<'_>) -> Res<()> {
        let (_turn, mut tx) = self.write_tx().await?;
        start_task_in(&mut tx, self.backend, task, start).await?;
        self.commit_changed(tx, &[task.cluster_id.as_str()]).await
    }

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

/// Everything `Store::start_task` does, inside the caller's transaction (a rollout starts a
/// member's task and records it in one).
pub(crate) async fn start_task_in(
    tx: &mut Transaction<'_, Any>,
    backend: super::Backend,
    task: &Task,
    start: TaskStart<'_>,
) -> Res<()> {
    let creates_cluster = matches!(start, TaskStart::CreateCluster(_));
    match start {
        TaskStart::CreateCluster(c) => {
            insert_clusters(&mut *tx, backend, std::slice::from_ref(c)).await?
        }
        TaskStart::Addons => {
            let c = fetch_cluster(tx, &task.account, &task.cluster_id).await?;
            if c.state != "running" {
                return Err(DomainError::ClusterState {
                    cluster: c.id.to_string(),
                    state: c.state,
                    reason: "add-ons can change only while the cluster is running".into(),
                });
            }
        }
        TaskStart::DeleteCluster => {
            let c = fetch_cluster(tx, &task.account, &task.cluster_id).await?;
            let live: Option<String> = sqlx::query_scalar(
                "SELECT task_id FROM task_addons WHERE cluster_id = $1 AND live = 1 LIMIT 1",
            )
            .bind(c.id.as_str())
            .fetch_optional(&mut **tx)
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
            .execute(&mut **tx)
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
    .execute(&mut **tx)
    .await
    .map_err(unavailable)?;
    for (position, a) in task.addons.iter().enumerate() {
        start_addon(&mut *tx, task, position, a).await?;
    }
    append_events(&mut *tx, &task.id, &task.events).await?;
    let ms = task.created_at * 1000;
    let created = format!("{} created", task.task_type);
    log_task(
        tx,
        task.id.as_str(),
        Logged::new("task.created", "running", "Created", &created),
        ms,
    )
    .await?;
    if creates_cluster {
        log_task(
            tx,
            task.id.as_str(),
            Logged::new(
                "cluster.created",
                "initial",
                "ClusterCreated",
                "the cluster was created",
            ),
            ms,
        )
        .await?;
    }
    Ok(())
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
        // Over a broken instance (its rollback failed) an install goes ahead, to repair it.
        let r = sqlx::query(
            "INSERT INTO addon_instances (cluster_id, name, version, config, state, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'initial', $5, $6)
             ON CONFLICT (cluster_id, name) DO UPDATE SET version = excluded.version, config = excluded.config,
               state = 'initial', updated_at = excluded.updated_at WHERE addon_instances.state = 'unhealthy'",
        )
        .bind(cid)
        .bind(name)
        .bind(&a.to_version)
        .bind(a.config.as_deref().unwrap_or("{}"))
        .bind(now)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(unavailable)?;
        if r.rows_affected() == 0 {
            return Err(DomainError::AddonAlreadyInstalled(name.to_string()));
        }
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
