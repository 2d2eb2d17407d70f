//! Claims: a runner takes runnable tasks under a lease, keeps it alive with a heartbeat, and
//! reads what others may change meanwhile (state and pending control).

use super::tasks::state_and_control;
use super::{Backend, Res, Store, values_placeholders};
use crate::{rows, unavailable};
use ack_domain::TaskId;
use ack_domain::task::{Control, Task, TaskAddon, TaskState};
use sqlx::{AssertSqlSafe, Row};
use std::collections::HashMap;
use std::sync::atomic::Ordering;

impl Store {
    /// Claims up to `limit` runnable tasks (running, lease free or expired), oldest first.
    pub async fn claim(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Res<Vec<TaskId>> {
        let tasks = self.claim_tasks(owner, now, lease_until, limit).await?;
        Ok(tasks.into_iter().map(|t| t.id).collect())
    }

    /// `claim`, returning each claimed task with its add-ons (not its events), as `load_task`
    /// would: two statements for the whole claim instead of two per task.
    pub async fn claim_tasks(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Res<Vec<Task>> {
        // PostgreSQL: replicas claim concurrently, so rows another claim holds are skipped, not
        // waited for. SQLite: one writer at a time already.
        let sql = match self.backend {
            Backend::Postgres => {
                "UPDATE tasks SET lease_owner = $1, lease_until = $2 WHERE task_id IN (
                SELECT task_id FROM tasks WHERE state = 'running' AND (lease_until IS NULL OR lease_until < $3)
                ORDER BY created_at, seq LIMIT $4 FOR UPDATE SKIP LOCKED)
                RETURNING *, EXISTS (SELECT 1 FROM faults) AS faults_armed"
            }
            Backend::Sqlite => {
                "UPDATE tasks SET lease_owner = $1, lease_until = $2 WHERE task_id IN (
                SELECT task_id FROM tasks WHERE state = 'running' AND (lease_until IS NULL OR lease_until < $3)
                ORDER BY created_at, seq LIMIT $4) RETURNING *"
            }
        };
        let turn = self.write_turn().await;
        let claimed = sqlx::query(sql)
            .bind(owner)
            .bind(lease_until)
            .bind(now)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        drop(turn);
        // PostgreSQL: a fault another replica armed before these tasks were claimed is seen
        // here, in the claim's own snapshot (later ones are heard of; see `take_fault`).
        if let Some(row) = claimed.first()
            && self.backend == Backend::Postgres
            && row
                .try_get::<bool, _>("faults_armed")
                .map_err(unavailable)?
        {
            self.faults_armed.store(true, Ordering::SeqCst);
        }
        let mut tasks: Vec<Task> = claimed.iter().map(rows::task).collect::<Res<_>>()?;
        if tasks.is_empty() {
            return Ok(tasks);
        }
        let sql = format!(
            "SELECT * FROM task_addons WHERE task_id IN {} ORDER BY task_id, position",
            values_placeholders(self.backend, 1, tasks.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for t in &tasks {
            q = q.bind(t.id.as_str());
        }
        let mut addons: HashMap<String, Vec<TaskAddon>> = HashMap::new();
        for row in q.fetch_all(&self.pool).await.map_err(unavailable)? {
            let id: String = row.try_get("task_id").map_err(unavailable)?;
            addons.entry(id).or_default().push(rows::task_addon(&row)?);
        }
        for t in &mut tasks {
            t.addons = addons.remove(t.id.as_str()).unwrap_or_default();
        }
        self.prefetch_statuses(&tasks).await;
        Ok(tasks)
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
