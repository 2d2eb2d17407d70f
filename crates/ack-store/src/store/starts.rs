//! Starting a task: the task row and everything starting it changes at once (its add-ons'
//! instances and upgrade status, the cluster it creates or deletes), in a batch's transaction.

use super::batch::Write;
use super::events::Logged;
use super::sets::Deferred;
use super::tasks::json;
use super::{Res, Store, fetch_cluster, insert_clusters};
use crate::unavailable;
use ack_domain::DomainError;
use ack_domain::cluster::Cluster;
use ack_domain::task::{Task, TaskAddon};
use sqlx::{Any, Transaction};

/// What a new task does to clusters besides its add-ons.
pub enum TaskStart<'a> {
    /// Add-on changes on an existing running cluster.
    Addons,
    /// The cluster is created with it, in state `initial`.
    CreateCluster(&'a Cluster),
    /// The cluster goes to `deleting`.
    DeleteCluster,
}

impl Store {
    /// Records a task and applies what starting it means (instances to `initial`, `upgrading`,
    /// `updating` or `deleting`; upgrade status to in-flight), all or nothing. A second live
    /// task on an add-on is refused by the database's unique index.
    pub async fn start_task(&self, task: &Task, start: TaskStart<'_>) -> Res<()> {
        let (creates, deletes) = match start {
            TaskStart::Addons => (None, false),
            TaskStart::CreateCluster(c) => (Some(Box::new(c.clone())), false),
            TaskStart::DeleteCluster => (None, true),
        };
        self.submit(Write::Start {
            task: Box::new(task.clone()),
            creates,
            deletes,
            member: None,
        })
        .await
        .map(|_| ())
    }
}

/// Everything `Store::start_task` does, inside the caller's transaction (a rollout starts a
/// member's task and records it in one); its events go to `d`, for the caller to write.
pub(crate) async fn start_task_in(
    tx: &mut Transaction<'_, Any>,
    backend: super::Backend,
    task: &Task,
    start: TaskStart<'_>,
    d: &mut Deferred,
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
    d.events(&task.id, &task.events);
    let ms = task.created_at * 1000;
    let created = format!("{} created", task.task_type);
    let logged = Logged::new("task.created", "running", "Created", &created);
    d.log(task.id.as_str(), logged, ms);
    if creates_cluster {
        let what = "the cluster was created";
        let logged = Logged::new("cluster.created", "initial", "ClusterCreated", what);
        d.log(task.id.as_str(), logged, ms);
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
