//! Claims: a runner takes runnable tasks under a lease, keeps it alive with a heartbeat, and
//! reads what others may change meanwhile (state and pending control).

use super::tasks::state_and_control;
use super::{Backend, Res, Store};
use crate::unavailable;
use ack_domain::task::{Control, TaskState};
use ack_domain::{DomainError, TaskId};

impl Store {
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
}
