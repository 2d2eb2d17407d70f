//! The driver: every tick (or when a task ends), each live rollout this replica holds the lease
//! on takes a step: read a fresh view, let `plan::decide` choose, apply it under the lease, then
//! start (or cancel) the cluster tasks it names. A crash between any two of those leaves a state
//! the next step continues from: a member's task is started and recorded in one transaction, so
//! no cluster is upgraded twice.

use crate::plan;
use ack_domain::fleet::RolloutRecord;
use ack_domain::lifecycle::{AddonChange, plan as plan_change};
use ack_domain::task::{Operation, ROLLBACK_TASK_TYPE, Task, TaskAddon};
use ack_domain::{AddonName, Catalog, Clock, ClusterId, DomainError, RolloutId, TaskId};
use ack_engine::Signals;
use ack_store::{ControlEffect, ControlRequest, MemberTask, Store};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// How long a rollout stays with a replica without a step.
    pub lease: Duration,
    /// How often to look when nothing wakes the driver (another replica's tasks, soaks).
    pub tick: Duration,
}

#[derive(Clone)]
pub struct Driver {
    store: Store,
    catalog: Arc<Catalog>,
    clock: Clock,
    signals: Arc<Signals>,
    cfg: DriverConfig,
    owner: Arc<str>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Driver {
    pub fn new(
        store: Store,
        catalog: Arc<Catalog>,
        clock: Clock,
        signals: Arc<Signals>,
        cfg: DriverConfig,
    ) -> Self {
        let owner: Arc<str> = format!("driver-{}", uuid::Uuid::new_v4().simple()).into();
        Self {
            store,
            catalog,
            clock,
            signals,
            cfg,
            owner,
        }
    }

    /// Runs until the process ends.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move { self.run().await })
    }

    async fn run(self) {
        let lease = i64::try_from(self.cfg.lease.as_millis()).unwrap_or(30_000);
        loop {
            let now = now_ms();
            match self
                .store
                .claim_rollouts(&self.owner, now, now + lease)
                .await
            {
                Ok(ids) => {
                    for id in ids {
                        if let Err(e) = self.drive(&id).await {
                            tracing::warn!(rollout = %id, error = %e, "rollout step failed; retrying");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "claiming rollouts failed; retrying"),
            }
            tokio::select! {
                () = self.signals.rollouts_woken() => {},
                () = tokio::time::sleep(self.cfg.tick) => {},
            }
        }
    }

    /// Steps one rollout until a step changes nothing of its own (a wave that ends lets the next
    /// one start in the same turn), a few steps at most.
    async fn drive(&self, id: &RolloutId) -> Result<(), DomainError> {
        for _ in 0..4 {
            self.store.observe_rollout(id).await?;
            let view = self.store.rollout_view(id).await?;
            let now = now_ms();
            let step = plan::decide(&view, now);
            if !self
                .store
                .apply_rollout_step(id, &self.owner, &step, now)
                .await?
            {
                return Ok(());
            }
            let r = &view.rollout;
            for c in &step.start {
                self.start(r, c, None).await?;
            }
            for (c, had) in &step.start_rollback {
                self.start(r, c, Some(had)).await?;
            }
            for t in &step.cancel {
                self.cancel(&r.account, t).await;
            }
            if !step.changes_rollout() || step.end.is_some() {
                break;
            }
        }
        Ok(())
    }

    /// Starts a member's upgrade, or (with the version it had) its return to that version. An
    /// add-on busy with a task of its own waits for the next step; a cluster that cannot take the
    /// change any more fails.
    async fn start(
        &self,
        r: &RolloutRecord,
        cluster: &ClusterId,
        back_to: Option<&String>,
    ) -> Result<(), DomainError> {
        let refused =
            |e: &DomainError| !matches!(e, DomainError::Unavailable(_) | DomainError::Internal(_));
        let ca = match self.store.cluster_addons(&r.account, cluster).await {
            Ok(ca) => ca,
            Err(e) if refused(&e) && back_to.is_none() => {
                return self.store.fail_member(&r.id, cluster, &e.to_string()).await;
            }
            Err(e) => return Err(e),
        };
        if ca
            .statuses
            .iter()
            .any(|s| s.component.as_str() == r.addon && s.status.in_flight())
        {
            return Ok(());
        }
        let (task_type, addons, kind) = match back_to {
            None => {
                let change = AddonChange {
                    name: r.addon.clone(),
                    version: Some(r.version.clone()),
                    config: r.config.clone(),
                };
                let addons = plan_change(
                    &self.catalog,
                    &ca.cluster,
                    &ca.instances,
                    Operation::Upgrade,
                    &[change],
                );
                ("addon_upgrade", addons, MemberTask::Forward)
            }
            Some(had) => {
                let now_at = ca
                    .instances
                    .iter()
                    .find(|i| i.name.as_str() == r.addon)
                    .map(|i| i.version.clone());
                let addons = match (now_at, AddonName::parse(&r.addon)) {
                    (Some(from), Ok(component)) => Ok(vec![TaskAddon {
                        component,
                        operation: Operation::Upgrade,
                        from_version: from,
                        to_version: had.clone(),
                        config: None,
                    }]),
                    _ => Err(DomainError::addon_not_found(&r.addon)),
                };
                (ROLLBACK_TASK_TYPE, addons, MemberTask::Rollback)
            }
        };
        let addons = match addons {
            Ok(a) => a,
            Err(e) if back_to.is_none() => {
                return self.store.fail_member(&r.id, cluster, &e.to_string()).await;
            }
            Err(e) => {
                tracing::warn!(rollout = %r.id, %cluster, error = %e, "cannot return the cluster to its version");
                return Ok(());
            }
        };
        let task = Task::new(&r.account, cluster, task_type, self.clock.now(), addons);
        match self
            .store
            .start_member_task(&r.id, &self.owner, &task, kind)
            .await
        {
            Ok(true) => {
                self.signals.wake();
                self.store.notify_tasks().await;
                Ok(())
            }
            Ok(false) | Err(DomainError::AddonBusy { .. }) => Ok(()),
            Err(e) if refused(&e) && back_to.is_none() => {
                self.store.fail_member(&r.id, cluster, &e.to_string()).await
            }
            Err(e) => Err(e),
        }
    }

    /// Cancels a member's running task as CancelTask would (its rollback included).
    async fn cancel(&self, account: &str, task: &TaskId) {
        match self
            .store
            .control(account, task, ControlRequest::Cancel, self.clock.now())
            .await
        {
            Ok(ControlEffect::Requested) => {
                self.signals.interrupt(task);
                self.store.notify_cancel(task.as_str()).await;
            }
            Ok(ControlEffect::Resumed) => {
                self.signals.wake();
                self.store.notify_tasks().await;
            }
            Ok(ControlEffect::Done) => {}
            Err(e) => tracing::debug!(%task, error = %e, "cancel of a rollout's task refused"),
        }
    }
}
