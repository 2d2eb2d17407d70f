//! Injected faults (the emulator surface): armed per account, used up by the first matching stage.

use super::{Backend, Res, Store};
use crate::unavailable;
use ack_domain::task::{Fault, Task, TaskAddon};

impl Store {
    pub async fn add_fault(&self, account: &str, f: &Fault) -> Res<()> {
        self.faults_armed
            .store(true, std::sync::atomic::Ordering::SeqCst);
        sqlx::query("INSERT INTO faults (account, cluster_id, component, operation, stage, error_code, message) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(account)
            .bind(f.cluster_id.as_str())
            .bind(&f.component)
            .bind(f.operation.as_str())
            .bind(&f.stage)
            .bind(&f.error_code)
            .bind(&f.message)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    pub async fn clear_faults(&self, account: &str) -> Res<u64> {
        let r = sqlx::query("DELETE FROM faults WHERE account = $1")
            .bind(account)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(r.rows_affected())
    }

    /// Takes (deletes and returns) the oldest fault matching this stage of this add-on change.
    pub async fn take_fault(
        &self,
        task: &Task,
        a: &TaskAddon,
        stage: &str,
    ) -> Res<Option<(String, String)>> {
        // Another replica may arm faults in a shared database; a SQLite file has only us.
        if self.backend == Backend::Sqlite
            && !self.faults_armed.load(std::sync::atomic::Ordering::SeqCst)
        {
            return Ok(None);
        }
        sqlx::query_as(
            "DELETE FROM faults WHERE fault_id = (SELECT fault_id FROM faults WHERE account = $1 AND cluster_id = $2
               AND (component = $3 OR component = '') AND operation = $4 AND stage = $5 ORDER BY fault_id LIMIT 1)
             RETURNING error_code, message",
        )
        .bind(&task.account)
        .bind(task.cluster_id.as_str())
        .bind(a.component.as_str())
        .bind(a.operation.as_str())
        .bind(stage)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)
    }
}
