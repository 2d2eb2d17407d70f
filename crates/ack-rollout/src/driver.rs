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
use ack_store::{ClusterAddons, ControlEffect, ControlRequest, MemberTask, Store};
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
            self.start_all(r, &step.start, &step.start_rollback).await?;
            for t in &step.cancel {
                self.cancel(&r.account, t).await;
            }
            if !step.changes_rollout() || step.end.is_some() {
                break;
            }
        }
        Ok(())
    }

    /// Starts a step's members at once: their clusters read in one statement, their starts
    /// sharing the engine's group commit rather than taking a transaction each, the runners told
    /// once. The first error is returned after every start has had its go (each is guarded on
    /// its own).
    async fn start_all(
        &self,
        r: &RolloutRecord,
        forward: &[ClusterId],
        back: &[(ClusterId, String)],
    ) -> Result<(), DomainError> {
        if forward.is_empty() && back.is_empty() {
            return Ok(());
        }
        let r = Arc::new(r.clone());
        let ids: Vec<ClusterId> = forward
            .iter()
            .chain(back.iter().map(|(c, _)| c))
            .cloned()
            .collect();
        let mut read = self
            .store
            .clusters_addons(&r.account, &ids, Some(&r.addon))
            .await?;
        let mut starts = tokio::task::JoinSet::new();
        let members = forward
            .iter()
            .map(|c| (c.clone(), None))
            .chain(back.iter().map(|(c, had)| (c.clone(), Some(had.clone()))));
        for (cluster, back_to) in members {
            let (me, r) = (self.clone(), Arc::clone(&r));
            let ca = read
                .remove(&cluster)
                .ok_or_else(|| DomainError::ClusterNotFound(cluster.to_string()));
            starts.spawn(async move { me.start(&r, &cluster, ca, back_to.as_ref()).await });
        }
        let (mut started, mut first_error) = (false, None);
        while let Some(done) = starts.join_next().await {
            match done {
                Ok(Ok(s)) => started |= s,
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => {
                    first_error.get_or_insert(DomainError::Internal(format!(
                        "a member's start stopped: {e}"
                    )));
                }
            }
        }
        if started {
            self.signals.wake();
            self.store.notify_tasks().await;
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Starts a member's upgrade, or (with the version it had) its return to that version; true
    /// when a task started. An add-on busy with a task of its own waits for the next step; a
    /// cluster that cannot take the change any more fails.
    async fn start(
        &self,
        r: &RolloutRecord,
        cluster: &ClusterId,
        ca: Result<ClusterAddons, DomainError>,
        back_to: Option<&String>,
    ) -> Result<bool, DomainError> {
        let refused =
            |e: &DomainError| !matches!(e, DomainError::Unavailable(_) | DomainError::Internal(_));
        let ca = match ca {
            Ok(ca) => ca,
            Err(e) if refused(&e) && back_to.is_none() => {
                return self.fail(r, cluster, &e).await;
            }
            Err(e) => return Err(e),
        };
        if ca
            .statuses
            .iter()
            .any(|s| s.component.as_str() == r.addon && s.status.in_flight())
        {
            return Ok(false);
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
            Err(e) if back_to.is_none() => return self.fail(r, cluster, &e).await,
            Err(e) => {
                tracing::warn!(rollout = %r.id, %cluster, error = %e, "cannot return the cluster to its version");
                return Ok(false);
            }
        };
        let task = Task::new(&r.account, cluster, task_type, self.clock.now(), addons);
        match self
            .store
            .start_member_task(&r.id, &self.owner, &task, kind)
            .await
        {
            Ok(started) => Ok(started),
            Err(DomainError::AddonBusy { .. }) => Ok(false),
            Err(e) if refused(&e) && back_to.is_none() => self.fail(r, cluster, &e).await,
            Err(e) => Err(e),
        }
    }

    async fn fail(
        &self,
        r: &RolloutRecord,
        cluster: &ClusterId,
        e: &DomainError,
    ) -> Result<bool, DomainError> {
        self.store
            .fail_member(&r.id, cluster, &e.to_string())
            .await
            .map(|()| false)
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
