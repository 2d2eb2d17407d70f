//! What the rollout driver reads: leases on live rollouts, the members whose tasks ended, and the
//! view one step decides on. The step's writes, every one guarded by the lease, are in
//! `drive_step.rs`.

use super::rollout_rows::{counts_of, rollout_row, wave_row};
use super::{Backend, Res, Store};
use crate::unavailable;
use ack_domain::fleet::{GateCounts, View, WaveRecord};
use ack_domain::{ClusterId, DomainError, RolloutId, TaskId};

fn ids<T>(rows: Vec<String>, parse: impl Fn(&str) -> Result<T, DomainError>) -> Res<Vec<T>> {
    rows.iter().map(|s| parse(s)).collect()
}

/// Which task of a member a start records: its upgrade, or its return to the version it had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberTask {
    Forward,
    Rollback,
}

impl Store {
    /// Takes (or keeps) the lease on every live rollout no other driver holds.
    pub async fn claim_rollouts(
        &self,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Res<Vec<RolloutId>> {
        let any: Option<i64> = sqlx::query_scalar("SELECT 1 FROM rollouts WHERE live = 1 LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        if any.is_none() {
            return Ok(Vec::new());
        }
        let sql = match self.backend {
            Backend::Postgres => {
                "UPDATE rollouts SET lease_owner = $1, lease_until = $2 WHERE rollout_id IN (
                 SELECT rollout_id FROM rollouts WHERE live = 1 AND (lease_owner = $1 OR lease_until IS NULL OR lease_until < $3)
                 FOR UPDATE SKIP LOCKED) RETURNING rollout_id"
            }
            Backend::Sqlite => {
                "UPDATE rollouts SET lease_owner = $1, lease_until = $2
                 WHERE live = 1 AND (lease_owner = $1 OR lease_until IS NULL OR lease_until < $3) RETURNING rollout_id"
            }
        };
        let _turn = self.write_turn().await;
        let rows: Vec<String> = sqlx::query_scalar(sql)
            .bind(owner)
            .bind(until_ms)
            .bind(now_ms)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        ids(rows, RolloutId::parse)
    }

    /// Frees every rollout lease: a single-process store calls it at start-up.
    pub async fn release_rollout_leases(&self) -> Res<()> {
        sqlx::query("UPDATE rollouts SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL")
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Moves members whose task ended to that task's outcome, and members whose rollback task
    /// ended to `rolled_back` (or notes that it failed). `rollback_task_id > ''` is migration
    /// 10's index range: members with a rollback task, not every succeeded one.
    pub async fn observe_rollout(&self, id: &RolloutId) -> Res<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            // One join, each running member's task read once (three subqueries a member read it
            // three times: 2.9 ms a step on PostgreSQL for 256 running members).
            "UPDATE rollout_clusters SET
               state = CASE t.state WHEN 'success' THEN 'success' WHEN 'fail' THEN 'fail' ELSE 'canceled' END,
               message = CASE WHEN t.state <> 'success' THEN COALESCE(t.error_code || ': ' || t.error_message, '') ELSE '' END
             FROM tasks t
             WHERE rollout_clusters.rollout_id = $1 AND rollout_clusters.state = 'running'
               AND t.task_id = rollout_clusters.task_id AND t.state IN ('success', 'fail', 'canceled')",
        )
        .bind(id.as_str())
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        sqlx::query(
            "UPDATE rollout_clusters SET state = 'rolled_back', message = 'returned to ' || from_version
             WHERE rollout_id = $1 AND state = 'success' AND rollback_task_id > '' AND EXISTS (SELECT 1 FROM tasks t
               WHERE t.task_id = rollout_clusters.rollback_task_id AND t.state = 'success')",
        )
        .bind(id.as_str())
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        sqlx::query(
            "UPDATE rollout_clusters SET message = 'its rollback task ' || rollback_task_id || ' did not succeed'
             WHERE rollout_id = $1 AND state = 'success' AND rollback_task_id > '' AND message = '' AND EXISTS (SELECT 1 FROM tasks t
               WHERE t.task_id = rollout_clusters.rollback_task_id AND t.state IN ('fail', 'canceled'))",
        )
        .bind(id.as_str())
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    /// A fresh view of a live rollout for one step of the driver.
    pub async fn rollout_view(&self, id: &RolloutId) -> Res<View> {
        let row = sqlx::query("SELECT * FROM rollouts WHERE rollout_id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| DomainError::RolloutNotFound(id.to_string()))?;
        let rollout = rollout_row(&row)?;
        let w = i64::try_from(rollout.current_wave).unwrap_or(0);
        let waves: Vec<WaveRecord> =
            sqlx::query("SELECT * FROM rollout_waves WHERE rollout_id = $1 AND idx IN ($2, $3)")
                .bind(id.as_str())
                .bind(w)
                .bind(w - 1)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?
                .iter()
                .map(wave_row)
                .collect::<Res<_>>()?;
        let current = waves
            .iter()
            .find(|x| x.index == rollout.current_wave)
            .cloned();
        let previous = waves
            .into_iter()
            .find(|x| x.index + 1 == rollout.current_wave);
        // Running and failed members alone, over the index on (rollout_id, state): as many rows
        // as run or failed, not the whole rollout.
        let whole = counts_of(
            sqlx::query_as(
                "SELECT state, COUNT(*) FROM rollout_clusters
                 WHERE rollout_id = $1 AND state IN ('running', 'fail') GROUP BY state",
            )
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?,
        )?;
        let counts = GateCounts {
            running: whole.running,
            fail: whole.fail,
        };
        let wave_counts = counts_of(
            sqlx::query_as("SELECT state, COUNT(*) FROM rollout_clusters WHERE rollout_id = $1 AND wave = $2 GROUP BY state")
                .bind(id.as_str())
                .bind(w)
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?,
        )?;
        let limit = i64::from(rollout.strategy.max_parallel);
        let scalar_list = |sql: &'static str, bind_w: bool| {
            let mut q = sqlx::query_scalar(sql).bind(id.as_str());
            if bind_w {
                q = q.bind(w).bind(limit);
            }
            q
        };
        let pending: Vec<String> = scalar_list(
            "SELECT cluster_id FROM rollout_clusters WHERE rollout_id = $1 AND wave = $2 AND state = 'pending' ORDER BY cluster_id LIMIT $3",
            true,
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        let gate = rollout.tripped || counts.fail > u64::from(rollout.strategy.max_failures);
        let candidates: Vec<(String, String)> = if gate
            && counts.running == 0
            && rollout.strategy.rollback_on_failure
        {
            sqlx::query_as(
                "SELECT cluster_id, from_version FROM rollout_clusters WHERE rollout_id = $1 AND state = 'success'
                 AND rollback_task_id = '' ORDER BY cluster_id",
            )
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?
        } else {
            Vec::new()
        };
        // Judged from the members as `observe_rollout` left them, not from the tasks: a rollback
        // task that ended since then must still be observed before the rollout may end.
        let rollbacks_live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM rollout_clusters
             WHERE rollout_id = $1 AND state = 'success' AND rollback_task_id > '' AND message = ''",
        )
        .bind(id.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable)?;
        let cancelable: Vec<String> = if rollout.canceling {
            scalar_list(
                "SELECT t.task_id FROM rollout_clusters rc JOIN tasks t ON t.task_id = rc.task_id
                 WHERE rc.rollout_id = $1 AND rc.state = 'running' AND t.state IN ('running', 'paused')
                   AND t.control <> 'cancel' AND t.rollback = ''",
                false,
            )
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?
        } else {
            Vec::new()
        };
        Ok(View {
            rollout,
            current,
            previous,
            counts,
            wave_counts,
            pending_in_wave: ids(pending, ClusterId::parse)?,
            rollback_candidates: candidates
                .into_iter()
                .map(|(c, v)| Ok((ClusterId::parse(&c)?, v)))
                .collect::<Res<_>>()?,
            rollbacks_live: u64::try_from(rollbacks_live).unwrap_or(0),
            cancelable: ids(cancelable, TaskId::parse)?,
        })
    }
}
