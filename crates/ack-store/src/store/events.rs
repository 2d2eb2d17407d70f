//! The event log: written inside the transaction of the change it records (one statement, the
//! account and cluster read from the task or rollout row in the same statement), and read newest
//! first by the event APIs.

use super::{Res, Store};
use crate::unavailable;
use ack_domain::DomainError;
use ack_domain::event::EventRecord;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

/// What one change logs.
pub(crate) struct Logged<'a> {
    pub kind: &'a str,
    pub state: &'a str,
    pub level: &'a str,
    pub reason: &'a str,
    pub message: &'a str,
}

impl<'a> Logged<'a> {
    pub(crate) fn new(kind: &'a str, state: &'a str, reason: &'a str, message: &'a str) -> Self {
        Self {
            kind,
            state,
            level: "Normal",
            reason,
            message,
        }
    }

    pub(crate) fn warning(mut self) -> Self {
        self.level = "Warning";
        self
    }
}

/// Logs a change of a task (its account, cluster and single add-on from its rows).
pub(crate) async fn log_task(
    tx: &mut Transaction<'_, Any>,
    task_id: &str,
    e: Logged<'_>,
    time_ms: i64,
) -> Res<()> {
    insert(
        tx,
        "INSERT INTO events (account, type, cluster_id, task_id, addon, state, level, reason, message, time_ms)
         SELECT t.account, $2, t.cluster_id, t.task_id,
           (SELECT CASE WHEN COUNT(*) = 1 THEN MIN(a.component) ELSE '' END
              FROM task_addons a WHERE a.task_id = t.task_id),
           $3, $4, $5, $6, $7 FROM tasks t WHERE t.task_id = $1
         RETURNING event_id, account, type",
        task_id,
        e,
        time_ms,
    )
    .await
}

/// Logs a change of a rollout.
pub(crate) async fn log_rollout(
    tx: &mut Transaction<'_, Any>,
    rollout_id: &str,
    e: Logged<'_>,
    time_ms: i64,
) -> Res<()> {
    insert(
        tx,
        "INSERT INTO events (account, type, rollout_id, addon, state, level, reason, message, time_ms)
         SELECT r.account, $2, r.rollout_id, r.addon, $3, $4, $5, $6, $7 FROM rollouts r WHERE r.rollout_id = $1
         RETURNING event_id, account, type",
        rollout_id,
        e,
        time_ms,
    )
    .await
}

/// Runs one of the inserts above: `$1` the row the event is about, `$2…$7` the event. The
/// webhooks that want it get their delivery row in the same transaction (the outbox).
async fn insert(
    tx: &mut Transaction<'_, Any>,
    sql: &'static str,
    id: &str,
    e: Logged<'_>,
    time_ms: i64,
) -> Res<()> {
    let row = sqlx::query(sql)
        .bind(id)
        .bind(e.kind)
        .bind(e.state)
        .bind(e.level)
        .bind(e.reason)
        .bind(e.message)
        .bind(time_ms)
        .fetch_optional(&mut **tx)
        .await
        .map_err(unavailable)?;
    if let Some(r) = row {
        let event_id: i64 = r.try_get("event_id").map_err(unavailable)?;
        let account: String = r.try_get("account").map_err(unavailable)?;
        super::webhook_outbox::enqueue(tx, event_id, &account, e.kind, time_ms).await?;
    }
    Ok(())
}

fn event_row(row: &sqlx::any::AnyRow) -> Res<EventRecord> {
    let s = |c: &str| -> Res<String> {
        row.try_get(c)
            .map_err(|e| DomainError::Internal(format!("{c}: {e}")))
    };
    let i = |c: &str| -> Res<i64> {
        row.try_get(c)
            .map_err(|e| DomainError::Internal(format!("{c}: {e}")))
    };
    Ok(EventRecord {
        id: i("event_id")?,
        account: s("account")?,
        kind: s("type")?,
        cluster_id: s("cluster_id")?,
        task_id: s("task_id")?,
        rollout_id: s("rollout_id")?,
        addon: s("addon")?,
        state: s("state")?,
        level: s("level")?,
        reason: s("reason")?,
        message: s("message")?,
        time_ms: i("time_ms")?,
    })
}

/// What the event APIs filter on; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub cluster_id: Option<String>,
    pub task_id: Option<String>,
    /// A type, or a prefix ending in `*`.
    pub kind: Option<String>,
}

/// The `WHERE` clause of the account's events that match `f`, with its values.
fn filtered(account: &str, f: &EventFilter) -> (String, Vec<String>) {
    let mut where_sql = "account = $1".to_string();
    let mut binds = vec![account.to_string()];
    for (col, v) in [("cluster_id", &f.cluster_id), ("task_id", &f.task_id)] {
        if let Some(v) = v {
            binds.push(v.clone());
            where_sql.push_str(&format!(" AND {col} = ${}", binds.len()));
        }
    }
    if let Some(k) = &f.kind {
        match k.strip_suffix('*') {
            Some(prefix) => {
                binds.push(prefix.to_string());
                let n = binds.len();
                where_sql.push_str(&format!(" AND substr(type, 1, length(${n})) = ${n}"));
            }
            None => {
                binds.push(k.clone());
                where_sql.push_str(&format!(" AND type = ${}", binds.len()));
            }
        }
    }
    (where_sql, binds)
}

impl Store {
    /// One page of the account's events, newest first, and how many match.
    pub async fn events(
        &self,
        account: &str,
        f: &EventFilter,
        page_number: u32,
        page_size: u32,
    ) -> Res<(Vec<EventRecord>, u64)> {
        let (where_sql, binds) = filtered(account, f);
        let (rows, total) = self
            .page_of(
                "events",
                &where_sql,
                binds,
                "event_id DESC",
                page_number,
                page_size,
            )
            .await?;
        let events = rows.iter().map(event_row).collect::<Res<Vec<_>>>()?;
        Ok((events, total))
    }

    /// The account's events after `after` that match `f`, oldest first, at most `limit` (what a
    /// stream follows).
    pub async fn events_after(
        &self,
        account: &str,
        f: &EventFilter,
        after: i64,
        limit: u32,
    ) -> Res<Vec<EventRecord>> {
        let (where_sql, binds) = filtered(account, f);
        let n = binds.len();
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "SELECT * FROM events WHERE {where_sql} AND event_id > ${} ORDER BY event_id LIMIT ${}",
            n + 1,
            n + 2
        )));
        for b in binds {
            q = q.bind(b);
        }
        q.bind(after)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?
            .iter()
            .map(event_row)
            .collect()
    }

    /// The newest event's id (0 before any): where a stream without a resume point starts.
    pub async fn last_event_id(&self) -> Res<i64> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(event_id) FROM events")
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(id.unwrap_or(0))
    }

    /// One event by its id, whatever its account (the deliverer read its id from its webhook).
    pub(crate) async fn event_by_id(&self, id: i64) -> Res<Option<EventRecord>> {
        sqlx::query("SELECT * FROM events WHERE event_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .as_ref()
            .map(event_row)
            .transpose()
    }
}
