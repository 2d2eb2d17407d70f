//! Injected faults (the emulator surface): armed per account, used up by the first matching stage.

use super::changes::FAULTS_CHANNEL;
use super::{Backend, Res, Store};
use crate::unavailable;
use ack_domain::task::{Fault, Task, TaskAddon};
use std::sync::atomic::Ordering;

impl Store {
    pub async fn add_fault(&self, account: &str, f: &Fault) -> Res<()> {
        self.faults_armed.store(true, Ordering::SeqCst);
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        sqlx::query("INSERT INTO faults (account, cluster_id, component, operation, stage, error_code, message) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(account)
            .bind(f.cluster_id.as_str())
            .bind(&f.component)
            .bind(f.operation.as_str())
            .bind(&f.stage)
            .bind(&f.error_code)
            .bind(&f.message)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        if self.backend == Backend::Postgres {
            // Every replica's runners look for faults from now on (heard with the commit).
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(FAULTS_CHANNEL)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)
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
        // Nothing to take while no fault was ever armed: known here for a SQLite file (only we
        // arm), and on PostgreSQL while this replica hears the others' notices (each arm
        // notifies; a claim sees those armed before it). Otherwise, ask.
        let heard_all = self.backend == Backend::Sqlite || self.caches_usable();
        if heard_all && !self.faults_armed.load(Ordering::SeqCst) {
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
