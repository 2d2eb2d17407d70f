//! The rows a batch of engine writes adds to the two logs (the task's own events, shown by
//! DescribeTaskInfo, and the event log with its webhook outbox), collected while the batch's
//! writes run and written at its end in one statement per table, instead of one per row: on
//! either back end a statement costs far more than the rows it carries, and a batch holds
//! hundreds of tasks' writes.

use super::events::Logged;
use super::{Backend, Res, values_placeholders};
use crate::unavailable;
use ack_domain::TaskId;
use ack_domain::task::Event;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};
use std::collections::{BTreeSet, HashMap};

/// Rows per statement: 8 values each, well inside both back ends' limits on bound values.
const ROWS: usize = 1000;

/// One line of the event log about a task (account, cluster and add-on are read from its rows).
struct TaskLog {
    task: String,
    kind: String,
    state: String,
    level: String,
    reason: String,
    message: String,
    time_ms: i64,
}

/// What a batch will log, in the order its writes logged it.
#[derive(Default)]
pub(crate) struct Deferred {
    events: Vec<(String, Event)>,
    logs: Vec<TaskLog>,
}

impl Deferred {
    /// The task's own events, after those it has.
    pub(crate) fn events(&mut self, id: &TaskId, events: &[Event]) {
        self.events
            .extend(events.iter().map(|e| (id.to_string(), e.clone())));
    }

    /// A line of the event log about the task, as `log_task` writes one.
    pub(crate) fn log(&mut self, id: &str, e: Logged<'_>, time_ms: i64) {
        self.logs.push(TaskLog {
            task: id.to_string(),
            kind: e.kind.to_string(),
            state: e.state.to_string(),
            level: e.level.to_string(),
            reason: e.reason.to_string(),
            message: e.message.to_string(),
            time_ms,
        });
    }

    /// Writes everything collected, inside the batch's transaction.
    pub(crate) async fn flush(self, tx: &mut Transaction<'_, Any>, backend: Backend) -> Res<()> {
        for chunk in self.events.chunks(ROWS) {
            task_events(tx, backend, chunk).await?;
        }
        if self.logs.is_empty() {
            return Ok(());
        }
        // Without a webhook anywhere there is no delivery to queue, so the logged rows need not
        // come back. A webhook made meanwhile waits for this batch's write lock on SQLite; on
        // PostgreSQL it misses these events, as it would if made just after the outbox's own
        // lookup of the accounts' webhooks.
        let hooked = super::webhooks::any_webhook(&mut **tx).await?;
        for chunk in self.logs.chunks(ROWS) {
            let logged = log(tx, backend, chunk, hooked).await?;
            super::webhook_outbox::enqueue_all(tx, &logged).await?;
        }
        Ok(())
    }
}

/// Each row's number among the rows of its task in `ids`, from 1: added to the task's last
/// stored number (which the statement reads before any of its own rows land).
pub(crate) fn ordinals<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<i64> {
    let mut seen: HashMap<&str, i64> = HashMap::new();
    ids.map(|id| {
        let n = seen.entry(id).or_insert(0);
        *n += 1;
        *n
    })
    .collect()
}

async fn task_events(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    rows: &[(String, Event)],
) -> Res<()> {
    let sql = format!(
        "WITH v (t, k, a, l, m, r, s, ts) AS (VALUES {})
         INSERT INTO task_events (task_id, seq, action, level, message, reason, source, timestamp)
         SELECT v.t, (SELECT COALESCE(MAX(e.seq), 0) FROM task_events e WHERE e.task_id = v.t) + v.k,
           v.a, v.l, v.m, v.r, v.s, v.ts FROM v",
        values_placeholders(backend, rows.len(), 8)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for ((id, e), k) in rows.iter().zip(ordinals(rows.iter().map(|r| r.0.as_str()))) {
        q = q
            .bind(id.as_str())
            .bind(k)
            .bind(&e.action)
            .bind(&e.level)
            .bind(&e.message)
            .bind(&e.reason)
            .bind(&e.source)
            .bind(e.timestamp);
    }
    q.execute(&mut **tx).await.map_err(unavailable)?;
    Ok(())
}

/// A logged event as the outbox needs it.
pub(crate) struct LoggedRow {
    pub(crate) event_id: i64,
    pub(crate) account: String,
    pub(crate) kind: String,
    pub(crate) time_ms: i64,
}

async fn log(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    rows: &[TaskLog],
    returning: bool,
) -> Res<Vec<LoggedRow>> {
    // Ordered by the row's place, so that event ids keep the order the writes logged in. The
    // add-on is named when the task has exactly one.
    let sql = format!(
        "WITH v (o, t, ty, st, lv, rs, ms, tm) AS (VALUES {})
         INSERT INTO events (account, type, cluster_id, task_id, addon, state, level, reason, message, time_ms)
         SELECT t.account, v.ty, t.cluster_id, t.task_id,
           (SELECT CASE WHEN COUNT(*) = 1 THEN MIN(a.component) ELSE '' END
              FROM task_addons a WHERE a.task_id = t.task_id),
           v.st, v.lv, v.rs, v.ms, v.tm FROM v JOIN tasks t ON t.task_id = v.t ORDER BY v.o{}",
        values_placeholders(backend, rows.len(), 8),
        if returning {
            " RETURNING event_id, account, type, time_ms"
        } else {
            ""
        }
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for (o, r) in rows.iter().enumerate() {
        q = q
            .bind(i64::try_from(o).unwrap_or(i64::MAX))
            .bind(r.task.as_str())
            .bind(r.kind.as_str())
            .bind(r.state.as_str())
            .bind(r.level.as_str())
            .bind(r.reason.as_str())
            .bind(r.message.as_str())
            .bind(r.time_ms);
    }
    if !returning {
        q.execute(&mut **tx).await.map_err(unavailable)?;
        return Ok(Vec::new());
    }
    let got = q.fetch_all(&mut **tx).await.map_err(unavailable)?;
    got.iter()
        .map(|r| {
            Ok(LoggedRow {
                event_id: r.try_get("event_id").map_err(unavailable)?,
                account: r.try_get("account").map_err(unavailable)?,
                kind: r.try_get("type").map_err(unavailable)?,
                time_ms: r.try_get("time_ms").map_err(unavailable)?,
            })
        })
        .collect()
}

/// The distinct accounts of `rows`, for one lookup of their webhooks.
pub(crate) fn accounts(rows: &[LoggedRow]) -> Vec<&str> {
    let set: BTreeSet<&str> = rows.iter().map(|r| r.account.as_str()).collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::ordinals;

    #[test]
    fn each_row_is_numbered_among_its_tasks_rows() {
        let ids = ["a", "b", "a", "a", "c", "b"];
        assert_eq!(ordinals(ids.into_iter()), [1, 1, 2, 3, 1, 2]);
        assert!(ordinals([].into_iter()).is_empty());
    }
}
