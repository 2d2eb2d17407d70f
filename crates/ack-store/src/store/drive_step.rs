//! What the rollout driver writes: a step's changes to the rollout's own rows, a member's task
//! started, a member failed; every write guarded by the driver's lease.

use super::batch::{MemberGuard, Write, Written};
use super::drive::MemberTask;
use super::events::{Logged, log_rollout};
use super::{Res, Store};
use crate::unavailable;
use ack_domain::fleet::Step;
use ack_domain::rollout::{RolloutState, WaveState};
use ack_domain::task::Task;
use ack_domain::{ClusterId, RolloutId};

impl Store {
    /// Applies a step's changes to the rollout's own rows, if this driver still holds its lease;
    /// false when it does not (another driver took over: stop).
    pub async fn apply_rollout_step(
        &self,
        id: &RolloutId,
        owner: &str,
        step: &Step,
        now_ms: i64,
    ) -> Res<bool> {
        let (_turn, mut tx) = self.write_tx().await?;
        let held = sqlx::query("UPDATE rollouts SET updated_ms = $1 WHERE rollout_id = $2 AND lease_owner = $3 AND live = 1")
            .bind(now_ms)
            .bind(id.as_str())
            .bind(owner)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        if held.rows_affected() == 0 {
            return Ok(false);
        }
        let exec = |sql: &'static str| sqlx::query(sql);
        if step.trip {
            exec("UPDATE rollouts SET tripped = 1 WHERE rollout_id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        for w in &step.waves {
            let what = match (w.state, w.finished_ms) {
                (WaveState::Running, _) => Some(format!("wave {} started", w.index)),
                (state, Some(_)) => Some(format!("wave {} ended {}", w.index, state.as_str())),
                _ => None,
            };
            if let Some(what) = what {
                log_rollout(
                    &mut tx,
                    id.as_str(),
                    Logged::new("rollout.wave", "running", "Wave", &what),
                    now_ms,
                )
                .await?;
            }
            exec(
                "UPDATE rollout_waves SET state = $1, started_ms = COALESCE($2, started_ms), finished_ms = COALESCE($3, finished_ms)
                 WHERE rollout_id = $4 AND idx = $5",
            )
            .bind(w.state.as_str())
            .bind(w.started_ms)
            .bind(w.finished_ms)
            .bind(id.as_str())
            .bind(i64::try_from(w.index).unwrap_or(i64::MAX))
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        if let Some(cw) = step.current_wave {
            exec("UPDATE rollouts SET current_wave = $1 WHERE rollout_id = $2")
                .bind(i64::try_from(cw).unwrap_or(i64::MAX))
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        if step.pause {
            let why = "paused after the canary wave succeeded";
            log_rollout(
                &mut tx,
                id.as_str(),
                Logged::new("rollout.paused", "paused", "PausedAfterCanary", why),
                now_ms,
            )
            .await?;
            exec(
                "UPDATE rollouts SET state = 'paused' WHERE rollout_id = $1 AND state = 'running'",
            )
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        if let Some(end) = &step.end {
            let (kind, reason) = match end.state {
                RolloutState::Success => ("rollout.succeeded", "RolloutSucceeded"),
                RolloutState::Canceled => ("rollout.canceled", "RolloutCanceled"),
                _ => ("rollout.failed", "RolloutFailed"),
            };
            let what = if end.error_message.is_empty() {
                format!("the rollout ended {}", end.state.as_str())
            } else {
                format!("{}: {}", end.error_code, end.error_message)
            };
            let mut logged = Logged::new(kind, end.state.as_str(), reason, &what);
            if end.state != RolloutState::Success {
                logged = logged.warning();
            }
            log_rollout(&mut tx, id.as_str(), logged, now_ms).await?;
            if end.state != RolloutState::Success {
                let why = format!(
                    "the rollout ended {} before this cluster's turn",
                    end.state.as_str()
                );
                exec("UPDATE rollout_clusters SET state = 'canceled', message = $1 WHERE rollout_id = $2 AND state = 'pending'")
                    .bind(why)
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(unavailable)?;
            }
            exec(
                "UPDATE rollouts SET state = $1, live = 0, finished_ms = $2, error_code = $3, error_message = $4,
                 lease_owner = NULL, lease_until = NULL WHERE rollout_id = $5",
            )
            .bind(end.state.as_str())
            .bind(now_ms)
            .bind(&end.error_code)
            .bind(&end.error_message)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(true)
    }

    /// Starts a member's task and records it in one transaction, if this driver holds the lease
    /// and the member is still due (pending, or moved and not yet returned): false otherwise.
    /// A refusal of the task itself (the add-on busy, the cluster gone) is returned as is. It
    /// goes through the engine's group commit, so the starts a step makes at once share one.
    pub async fn start_member_task(
        &self,
        id: &RolloutId,
        owner: &str,
        task: &Task,
        kind: MemberTask,
    ) -> Res<bool> {
        let written = self
            .submit(Write::Start {
                task: Box::new(task.clone()),
                creates: None,
                deletes: false,
                member: Some(Box::new(MemberGuard {
                    rollout: id.clone(),
                    owner: owner.to_string(),
                    kind,
                })),
            })
            .await?;
        Ok(matches!(written, Written::Started))
    }

    /// Ends a member that cannot start (its cluster or add-on went away) as failed.
    pub async fn fail_member(&self, id: &RolloutId, cluster: &ClusterId, message: &str) -> Res<()> {
        let _turn = self.write_turn().await;
        sqlx::query("UPDATE rollout_clusters SET state = 'fail', message = $1 WHERE rollout_id = $2 AND cluster_id = $3 AND state = 'pending'")
            .bind(message)
            .bind(id.as_str())
            .bind(cluster.as_str())
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
