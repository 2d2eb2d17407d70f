//! The rows every start writes, however it started: the task, and each of its add-ons' live
//! task row, instance and upgrade status, each kind in as few statements as the rows allow.

use super::sql::{text, write_chunks};
use super::tasks::json;
use super::{AnyQuery, Backend, Res, each_chunk};
use crate::unavailable;
use ack_domain::DomainError;
use ack_domain::task::{Operation as Op, Task, TaskAddon};
use sqlx::{Any, Transaction};
use std::collections::HashSet;

/// The started tasks' rows, in as few statements as their number allows.
pub(crate) async fn insert_tasks(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    tasks: &[&Task],
) -> Res<()> {
    let mut rows = Vec::with_capacity(tasks.len());
    for t in tasks {
        rows.push((*t, json(&t.stages)?));
    }
    let sql = "INSERT INTO tasks (task_id, account, cluster_id, task_type, state, next_stage, control, created_at, updated_at, stages)
               VALUES {}";
    write_chunks(
        tx,
        backend,
        (sql, 10),
        &rows,
        |q, (t, stages)| {
            q.bind(t.id.to_string())
                .bind(t.account.clone())
                .bind(t.cluster_id.to_string())
                .bind(t.task_type.clone())
                .bind(t.state.as_str())
                .bind(i64::try_from(t.next_stage).unwrap_or(0))
                .bind(t.control.as_str())
                .bind(t.created_at)
                .bind(t.updated_at)
                .bind(stages.clone())
        },
        unavailable,
    )
    .await
}

/// Each started add-on's rows: its live task, its instance (a new one, or a broken one
/// repaired, for an install; to its in-flight state otherwise) and its upgrade status.
pub(crate) async fn write_addons(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    addons: &[(&Task, usize, &TaskAddon)],
) -> Res<()> {
    // Looked for first; a live task that appeared since is another replica's start committed
    // meanwhile, and the unique index decides the race.
    let sql = "INSERT INTO task_addons (task_id, cluster_id, component, operation, from_version, to_version, config, live, position)
               VALUES {}";
    let name = addons
        .first()
        .map_or_else(String::new, |(_, _, a)| a.component.to_string());
    let bind = |q: AnyQuery, (t, p, a): &(&Task, usize, &TaskAddon)| {
        q.bind(t.id.to_string())
            .bind(t.cluster_id.to_string())
            .bind(a.component.to_string())
            .bind(a.operation.as_str())
            .bind(a.from_version.clone())
            .bind(a.to_version.clone())
            .bind(a.config.clone())
            .bind(1_i64)
            .bind(i64::try_from(*p).unwrap_or(i64::MAX))
    };
    let busy = |e: sqlx::Error| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => DomainError::AddonBusy {
            name: name.clone(),
            task: "started concurrently".into(),
        },
        _ => unavailable(e),
    };
    write_chunks(tx, backend, (sql, 9), addons, bind, busy).await?;
    let (installs, changes): (Vec<_>, Vec<_>) = addons
        .iter()
        .partition(|(_, _, a)| a.operation == Op::Install);
    let key = |row: &sqlx::any::AnyRow| Ok::<_, DomainError>((text(row, 0)?, text(row, 1)?));
    let mut written = HashSet::new();
    // Over a broken instance (its rollback failed) an install goes ahead, to repair it.
    let sql = "INSERT INTO addon_instances (cluster_id, name, version, config, state, created_at, updated_at)
               VALUES {}
               ON CONFLICT (cluster_id, name) DO UPDATE SET version = excluded.version, config = excluded.config,
                 state = 'initial', updated_at = excluded.updated_at WHERE addon_instances.state = 'unhealthy'
               RETURNING cluster_id, name";
    for row in each_chunk(tx, backend, sql, 7, &installs, |q, (t, _, a)| {
        q.bind(t.cluster_id.to_string())
            .bind(a.component.to_string())
            .bind(a.to_version.clone())
            .bind(a.config.clone().unwrap_or_else(|| "{}".into()))
            .bind("initial")
            .bind(t.created_at)
            .bind(t.created_at)
    })
    .await?
    {
        written.insert(key(&row)?);
    }
    let sql = "WITH v (c, n, st, ts) AS (VALUES {})
               UPDATE addon_instances SET state = v.st, updated_at = v.ts
               FROM v WHERE addon_instances.cluster_id = v.c AND addon_instances.name = v.n
               RETURNING addon_instances.cluster_id, addon_instances.name";
    for row in each_chunk(tx, backend, sql, 4, &changes, |q, (t, _, a)| {
        let state = match a.operation {
            Op::Upgrade => "upgrading",
            Op::Modify => "updating",
            _ => "deleting",
        };
        q.bind(t.cluster_id.to_string())
            .bind(a.component.to_string())
            .bind(state)
            .bind(t.created_at)
    })
    .await?
    {
        written.insert(key(&row)?);
    }
    for (t, _, a) in addons {
        if !written.contains(&(t.cluster_id.to_string(), a.component.to_string())) {
            let name = a.component.as_str();
            return Err(match a.operation {
                Op::Install => DomainError::AddonAlreadyInstalled(name.to_string()),
                _ => DomainError::addon_not_found(name),
            });
        }
    }
    let sql = "INSERT INTO addon_status (cluster_id, component, task_id, status, created_at, finished_at, is_canceled, message)
               VALUES {}
               ON CONFLICT (cluster_id, component) DO UPDATE SET task_id = excluded.task_id, status = excluded.status,
                 created_at = excluded.created_at, finished_at = NULL, is_canceled = 0, message = ''";
    let bind = |q: AnyQuery, (t, _, a): &(&Task, usize, &TaskAddon)| {
        q.bind(t.cluster_id.to_string())
            .bind(a.component.to_string())
            .bind(t.id.to_string())
            .bind(a.operation.in_flight_status().as_str())
            .bind(t.created_at)
            .bind(None::<i64>)
            .bind(0_i64)
            .bind("")
    };
    write_chunks(tx, backend, (sql, 8), addons, bind, unavailable).await
}
