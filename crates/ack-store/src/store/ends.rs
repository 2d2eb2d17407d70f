//! Ending tasks in sets: the guarded end of many tasks in one statement, and what their outcomes
//! mean for their add-ons, status rows and clusters in one statement per kind of change. One
//! task's end (a cancel while paused) goes the same way, as a set of one.

use super::events::Logged;
use super::sets::Deferred;
use super::tasks::{TaskHead, json};
use super::{Backend, MAX_ROWS_PER_INSERT, Res, each_chunk, values_placeholders};
use crate::unavailable;
use ack_domain::TaskId;
use ack_domain::task::{Event, Operation as Op, Outcome, Stage};
use sqlx::{Any, AssertSqlSafe, Transaction};
use std::collections::HashSet;

/// A task to end: its id, its runner (`None`: it is paused), its outcome, stages and the time.
pub(crate) type EndRow<'a> = (&'a TaskId, Option<&'a str>, &'a Outcome, &'a [Stage], i64);

/// Ends each task of `rows` whose guard still holds (running under that runner, or paused) and
/// returns those it ended.
pub(crate) async fn ended_in(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    rows: &[EndRow<'_>],
) -> Res<HashSet<String>> {
    let mut ended = HashSet::new();
    for chunk in rows.chunks(MAX_ROWS_PER_INSERT) {
        let sql = format!(
            "WITH v (t, st, ts, c, m, sg, o) AS (VALUES {})
             UPDATE tasks SET state = v.st, control = '', rollback = '', lease_owner = NULL, lease_until = NULL,
               finished_at = v.ts, updated_at = v.ts, error_code = v.c, error_message = v.m, stages = v.sg
             FROM v WHERE tasks.task_id = v.t AND ((v.o IS NULL AND tasks.state = 'paused')
               OR (tasks.state = 'running' AND tasks.lease_owner = v.o))
             RETURNING tasks.task_id",
            values_placeholders(backend, chunk.len(), 7)
        );
        let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
        for (id, owner, outcome, stages, now) in chunk {
            let (code, message) = match outcome {
                Outcome::Failed(f) => (Some(f.code.clone()), Some(f.message.clone())),
                Outcome::Canceled(r) => (Some("Canceled".to_string()), Some(r.clone())),
                Outcome::Success => (None, None),
            };
            q = q
                .bind(id.as_str())
                .bind(outcome.task_state().as_str())
                .bind(*now)
                .bind(code)
                .bind(message)
                .bind(json(stages)?)
                .bind(owner.map(str::to_string));
        }
        ended.extend(q.fetch_all(&mut **tx).await.map_err(unavailable)?);
    }
    Ok(ended)
}

/// A task that ended here, with what its end means.
pub(crate) struct End<'a> {
    pub(crate) id: &'a TaskId,
    pub(crate) head: &'a TaskHead,
    pub(crate) outcome: &'a Outcome,
    /// The last stage's own events, recorded before the end's.
    pub(crate) events: &'a [Event],
    pub(crate) now: i64,
}

/// What an ended task does to one of its add-ons' instances.
enum Instance {
    /// Gone: a finished uninstall, or an install that did not finish.
    Delete,
    /// Active at the new version (and config, when the change carried one).
    Upgraded,
    /// This state, as it was otherwise.
    State(&'static str),
}

fn instance(op: Op, outcome: &Outcome) -> Instance {
    let (success, broken) = (*outcome == Outcome::Success, outcome.leaves_broken());
    match (op, success) {
        (Op::Uninstall, true) | (Op::Install, false) if !broken => Instance::Delete,
        (Op::Upgrade | Op::Modify, true) => Instance::Upgraded,
        // A finished install becomes active; a failed or canceled change leaves the add-on as it
        // was, active; a failed rollback leaves nobody knowing what runs, so it shows unhealthy
        // until a repair succeeds.
        _ if broken => Instance::State("unhealthy"),
        _ => Instance::State("active"),
    }
}

/// Applies the ends of `ends` (tasks that ended in this transaction) to their add-ons, status
/// rows and clusters, and logs them, in order.
pub(crate) async fn apply_ends(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    ends: &[End<'_>],
    d: &mut Deferred,
) -> Res<()> {
    type Key<'a> = (&'a str, &'a str);
    let (mut deletes, mut upgrades, mut states, mut status) = (vec![], vec![], vec![], vec![]);
    for e in ends {
        let cid = e.head.cluster_id.as_str();
        for a in &e.head.addons {
            let key: Key = (cid, a.component.as_str());
            match instance(a.operation, e.outcome) {
                Instance::Delete => deletes.push(key),
                Instance::Upgraded => upgrades.push((key, a, e.now)),
                Instance::State(s) => states.push((key, s, e.now)),
            }
            status.push((key, e));
        }
    }
    each_chunk(tx, backend,
        "WITH v (c, n) AS (VALUES {}) DELETE FROM addon_instances WHERE (cluster_id, name) IN (SELECT c, n FROM v)",
        2, &deletes, |q, (c, n)| q.bind(c.to_string()).bind(n.to_string())).await?;
    each_chunk(tx, backend,
        "WITH v (c, n, ver, cfg, ts) AS (VALUES {})
         UPDATE addon_instances SET state = 'active', version = v.ver, config = COALESCE(v.cfg, config), updated_at = v.ts
         FROM v WHERE addon_instances.cluster_id = v.c AND addon_instances.name = v.n",
        5, &upgrades, |q, ((c, n), a, ts)| {
            q.bind(c.to_string()).bind(n.to_string()).bind(a.to_version.clone()).bind(a.config.clone()).bind(*ts)
        }).await?;
    each_chunk(
        tx,
        backend,
        "WITH v (c, n, st, ts) AS (VALUES {})
         UPDATE addon_instances SET state = v.st, updated_at = v.ts
         FROM v WHERE addon_instances.cluster_id = v.c AND addon_instances.name = v.n",
        4,
        &states,
        |q, ((c, n), st, ts)| {
            q.bind(c.to_string())
                .bind(n.to_string())
                .bind(*st)
                .bind(*ts)
        },
    )
    .await?;
    each_chunk(tx, backend,
        "WITH v (c, n, t, s, ts, k, m) AS (VALUES {})
         UPDATE addon_status SET status = v.s, finished_at = v.ts, is_canceled = v.k, message = v.m
         FROM v WHERE addon_status.cluster_id = v.c AND addon_status.component = v.n AND addon_status.task_id = v.t",
        7, &status, |q, ((c, n), e)| {
            q.bind(c.to_string())
                .bind(n.to_string())
                .bind(e.id.to_string())
                .bind(e.outcome.upgrade_status().as_str())
                .bind(e.now)
                .bind(i64::from(matches!(e.outcome, Outcome::Canceled(_))))
                .bind(e.outcome.message())
        }).await?;
    each_chunk(tx, backend,
        "WITH v (t) AS (VALUES {}) UPDATE task_addons SET live = 0 WHERE task_id IN (SELECT t FROM v)",
        1, ends, |q, e| q.bind(e.id.to_string())).await?;
    for e in ends {
        cluster_end(tx, e).await?;
        log_end(e, d);
    }
    Ok(())
}

/// What a cluster task's end does to its cluster (rare: one statement each).
async fn cluster_end(tx: &mut Transaction<'_, Any>, e: &End<'_>) -> Res<()> {
    let (cid, success) = (e.head.cluster_id.as_str(), *e.outcome == Outcome::Success);
    let q = match (e.head.task_type.as_str(), success) {
        ("cluster_create", ok) => {
            sqlx::query("UPDATE clusters SET state = $1, updated_at = $2 WHERE cluster_id = $3")
                .bind(if ok { "running" } else { "failed" })
                .bind(e.now)
                .bind(cid)
        }
        ("cluster_delete", true) => {
            sqlx::query("DELETE FROM clusters WHERE cluster_id = $1").bind(cid)
        }
        ("cluster_delete", false) => sqlx::query(
            "UPDATE clusters SET state = 'running', updated_at = $1 WHERE cluster_id = $2",
        )
        .bind(e.now)
        .bind(cid),
        _ => return Ok(()),
    };
    q.execute(&mut **tx).await.map_err(unavailable)?;
    Ok(())
}

/// The end's lines in the event log and the task's own events.
fn log_end(e: &End<'_>, d: &mut Deferred) {
    let success = *e.outcome == Outcome::Success;
    let (reason, text) = match e.outcome {
        Outcome::Success => ("TaskSucceeded", "the task succeeded".to_string()),
        Outcome::Failed(f) => (
            "TaskFailed",
            format!("the task failed: {}: {}", f.code, f.message),
        ),
        Outcome::Canceled(r) => ("TaskCanceled", format!("the task was canceled: {r}")),
    };
    let kind = match e.outcome {
        Outcome::Success => "task.succeeded",
        Outcome::Failed(_) => "task.failed",
        Outcome::Canceled(_) => "task.canceled",
    };
    let (id, ms) = (e.id.as_str(), e.now * 1000);
    d.events(e.id, e.events);
    let state = e.outcome.task_state();
    let mut logged = Logged::new(kind, state.as_str(), reason, &text);
    if !success {
        logged = logged.warning();
    }
    d.log(id, logged, ms);
    if e.head.task_type == "cluster_delete" && success {
        let what = "the cluster was deleted";
        let logged = Logged::new("cluster.deleted", "deleted", "ClusterDeleted", what);
        d.log(id, logged, ms);
    }
    let mut end = Event::new("Finish", reason, text, e.now);
    if !success {
        end = end.warning();
    }
    d.events(e.id, &[end]);
}
