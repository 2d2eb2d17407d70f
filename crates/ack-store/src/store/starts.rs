//! Starting a task: the task row and everything starting it changes at once (its add-ons'
//! instances and upgrade status, the cluster it creates or deletes), in a batch's transaction.
//! Add-on changes on existing clusters start as a set (`plain_starts`); a start that creates
//! or deletes its cluster starts here, one at a time.

use super::batch::Write;
use super::events::Logged;
use super::sets::Deferred;
use super::start_rows::{insert_tasks, write_addons};
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

/// A start that creates or deletes its cluster (the others go as a set, `plain_starts_in`).
pub(crate) enum ClusterChange<'a> {
    Create(&'a Cluster),
    Delete,
}

/// A start of `change`, inside the batch's transaction, checking what the batch's earlier
/// writes took; its events go to `d`, for the caller to write.
pub(crate) async fn start_task_in(
    tx: &mut Transaction<'_, Any>,
    backend: super::Backend,
    task: &Task,
    change: ClusterChange<'_>,
    d: &mut Deferred,
) -> Res<()> {
    let creates_cluster = matches!(change, ClusterChange::Create(_));
    match change {
        ClusterChange::Create(c) => {
            insert_clusters(&mut *tx, backend, std::slice::from_ref(c)).await?
        }
        ClusterChange::Delete => {
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
    insert_tasks(tx, backend, &[task]).await?;
    // A new cluster has no live task yet, and a deleted one was just checked for any, so the
    // add-ons need no look first.
    let addons: Vec<(&Task, usize, &TaskAddon)> = task
        .addons
        .iter()
        .enumerate()
        .map(|(p, a)| (task, p, a))
        .collect();
    write_addons(tx, backend, &addons).await?;
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
