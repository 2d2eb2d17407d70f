//! A batch's plain starts (add-on changes on running clusters; a rollout step's members are
//! these) in one set of statements, however many: the members' guards, the clusters and the
//! add-ons in the way read at once, then every row a start writes inserted or updated at once.
//! A start that is refused (its cluster gone or busy, its add-on busy, missing or installed)
//! fails the batch, which the batcher then retries one write at a time, so that only that start
//! fails, with the same error as a set of one gives.

use super::batch::MemberGuard;
use super::drive::MemberTask;
use super::events::Logged;
use super::sets::Deferred;
use super::sql::text;
use super::start_rows::{insert_tasks, write_addons};
use super::{Backend, Res, each_chunk};
use crate::unavailable;
use ack_domain::DomainError;
use ack_domain::task::{Task, TaskAddon};
use sqlx::{Any, Transaction};
use std::collections::{HashMap, HashSet};

/// A start of add-on changes on an existing cluster; `member`: a rollout member's, which goes
/// only while its guard holds.
#[derive(Clone, Copy)]
pub(crate) struct PlainStart<'a> {
    pub task: &'a Task,
    pub member: Option<&'a MemberGuard>,
}

/// Which members are still due: the driver holds the rollout's lease and the member's row
/// moved to its task here. The others write nothing.
async fn members_due(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    starts: &[PlainStart<'_>],
) -> Res<Vec<bool>> {
    let mut held: HashMap<(&str, &str), bool> = HashMap::new();
    for m in starts.iter().filter_map(|s| s.member) {
        let key = (m.rollout.as_str(), m.owner.as_str());
        if held.contains_key(&key) {
            continue;
        }
        let row: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM rollouts WHERE rollout_id = $1 AND lease_owner = $2 AND live = 1",
        )
        .bind(key.0)
        .bind(key.1)
        .fetch_optional(&mut **tx)
        .await
        .map_err(unavailable)?;
        held.insert(key, row.is_some());
    }
    let mut moved: HashSet<(String, String)> = HashSet::new();
    for (kind, sql) in [
        (
            MemberTask::Forward,
            "WITH v (r, c, t) AS (VALUES {}) UPDATE rollout_clusters SET state = 'running', task_id = v.t
             FROM v WHERE rollout_clusters.rollout_id = v.r AND rollout_clusters.cluster_id = v.c
               AND rollout_clusters.state = 'pending'
             RETURNING rollout_clusters.rollout_id, rollout_clusters.cluster_id",
        ),
        (
            MemberTask::Rollback,
            "WITH v (r, c, t) AS (VALUES {}) UPDATE rollout_clusters SET rollback_task_id = v.t
             FROM v WHERE rollout_clusters.rollout_id = v.r AND rollout_clusters.cluster_id = v.c
               AND rollout_clusters.state = 'success' AND rollout_clusters.rollback_task_id = ''
             RETURNING rollout_clusters.rollout_id, rollout_clusters.cluster_id",
        ),
    ] {
        let rows: Vec<(&MemberGuard, &Task)> = starts
            .iter()
            .filter_map(|s| Some((s.member?, s.task)))
            .filter(|(m, _)| m.kind == kind && held[&(m.rollout.as_str(), m.owner.as_str())])
            .collect();
        for row in each_chunk(tx, backend, sql, 3, &rows, |q, (m, t)| {
            q.bind(m.rollout.to_string())
                .bind(t.cluster_id.to_string())
                .bind(t.id.to_string())
        })
        .await?
        {
            moved.insert((text(&row, 0)?, text(&row, 1)?));
        }
    }
    Ok(starts
        .iter()
        .map(|s| {
            s.member.is_none_or(|m| {
                moved.contains(&(m.rollout.to_string(), s.task.cluster_id.to_string()))
            })
        })
        .collect())
}

/// Refuses the first start whose cluster is missing or not running, or one of whose add-ons has
/// a live task (in the database, or an earlier start of the batch).
async fn check_clusters_and_addons(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    tasks: &[&Task],
) -> Res<()> {
    let sql = "WITH v (c) AS (VALUES {}) SELECT cluster_id, account, state FROM clusters
               WHERE cluster_id IN (SELECT c FROM v)";
    let bind = |q: super::AnyQuery, t: &&Task| q.bind(t.cluster_id.to_string());
    let mut clusters: HashMap<String, (String, String)> = HashMap::new();
    for row in each_chunk(tx, backend, sql, 1, tasks, bind).await? {
        clusters.insert(text(&row, 0)?, (text(&row, 1)?, text(&row, 2)?));
    }
    let sql = "WITH v (c) AS (VALUES {}) SELECT cluster_id, component, task_id FROM task_addons
               WHERE live = 1 AND cluster_id IN (SELECT c FROM v)";
    let mut live: HashMap<(String, String), String> = HashMap::new();
    for row in each_chunk(tx, backend, sql, 1, tasks, bind).await? {
        live.insert((text(&row, 0)?, text(&row, 1)?), text(&row, 2)?);
    }
    let mut taken = HashSet::new();
    for t in tasks {
        let cid = t.cluster_id.as_str();
        let Some((_, state)) = clusters.get(cid).filter(|(a, _)| *a == t.account) else {
            return Err(DomainError::ClusterNotFound(cid.to_string()));
        };
        if state != "running" {
            return Err(DomainError::ClusterState {
                cluster: cid.to_string(),
                state: state.clone(),
                reason: "add-ons can change only while the cluster is running".into(),
            });
        }
        for a in &t.addons {
            let key = (cid.to_string(), a.component.to_string());
            let busy = live.get(&key).cloned().or_else(|| {
                (!taken.insert(key.clone())).then(|| "started concurrently".to_string())
            });
            if let Some(task) = busy {
                return Err(DomainError::AddonBusy {
                    name: a.component.to_string(),
                    task,
                });
            }
        }
    }
    Ok(())
}

/// Writes `starts` (each a plain start) and returns, in order, whether each started (false: a
/// member no longer due). Their events and log lines go to `d`.
pub(crate) async fn plain_starts_in(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    starts: &[PlainStart<'_>],
    d: &mut Deferred,
) -> Res<Vec<bool>> {
    let due = members_due(tx, backend, starts).await?;
    let tasks: Vec<&Task> = starts
        .iter()
        .zip(&due)
        .filter(|(_, due)| **due)
        .map(|(s, _)| s.task)
        .collect();
    if tasks.is_empty() {
        return Ok(due);
    }
    check_clusters_and_addons(tx, backend, &tasks).await?;
    insert_tasks(tx, backend, &tasks).await?;
    let addons: Vec<(&Task, usize, &TaskAddon)> = tasks
        .iter()
        .flat_map(|t| t.addons.iter().enumerate().map(move |(p, a)| (*t, p, a)))
        .collect();
    write_addons(tx, backend, &addons).await?;
    for t in &tasks {
        d.events(&t.id, &t.events);
        let created = format!("{} created", t.task_type);
        let logged = Logged::new("task.created", "running", "Created", &created);
        d.log(t.id.as_str(), logged, t.created_at * 1000);
    }
    Ok(due)
}
