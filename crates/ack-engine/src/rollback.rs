//! Undoing a change: a task that fails or is canceled once its apply stage has started runs a
//! rollback stage before it ends (each add-on back to the version and config it had).

use crate::executor::StageResult;
use crate::runner::Engine;
use ack_domain::DomainError;
use ack_domain::task::{Event, Outcome, ROLLBACK_FAILED, ROLLBACK_STAGE, Stage, Task, TaskFailure};
use ack_store::FinishGuard;
use tokio::sync::watch;

impl Engine {
    /// Ends a task that failed or was canceled with stage `last` the last one started, or, when
    /// its change must be undone first, records that it now rolls back (and moves the runner's
    /// copy along). True: go on driving it (towards its rollback stage).
    pub(crate) async fn end(
        &self,
        task: &mut Task,
        last: usize,
        outcome: Outcome,
        stages: Vec<Stage>,
        events: &[Event],
    ) -> Result<bool, DomainError> {
        let now = self.clock.now();
        if !task.rollback_due(last) {
            let owner = FinishGuard::Lease(&self.owner);
            self.store
                .finish(task, owner, &outcome, &stages, events, now)
                .await?;
            return Ok(false);
        }
        if !self
            .store
            .begin_rollback(&task.id, &self.owner, &outcome, &stages, events, now)
            .await?
        {
            return Ok(false);
        }
        task.stages = stages;
        task.rollback = Some(outcome);
        Ok(true)
    }

    /// The rollback stage: each changed add-on back to the version and config it had, then the
    /// task ends as it would have (`outcome`), or `RollbackFailed` with its add-ons broken. A
    /// crash here runs it again; a cancel cannot stop it.
    pub(crate) async fn roll_back(
        &self,
        task: &Task,
        outcome: &Outcome,
    ) -> Result<(), DomainError> {
        let started = self.clock.now();
        let previous = match self
            .store
            .cluster_addons(&task.account, &task.cluster_id)
            .await
        {
            Ok(ca) => ca.instances,
            Err(DomainError::ClusterNotFound(_)) => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut reversed = task.clone();
        reversed.addons = task.rollback_addons(|name| {
            previous
                .iter()
                .find(|i| i.name.as_str() == name)
                .map(|i| i.config.clone())
        });
        // Nothing cancels a rollback: its sender is gone, so the receiver never fires.
        let mut never = watch::channel(false).1;
        let result = self.stage(&reversed, ROLLBACK_STAGE, &mut never).await?;
        let now = self.clock.now();
        let mut stages = task.stages.clone();
        let mut stage = Stage::succeeded(ROLLBACK_STAGE, started, now);
        let names: Vec<String> = reversed
            .addons
            .iter()
            .map(|a| {
                let to = if a.to_version.is_empty() {
                    "not installed"
                } else {
                    &a.to_version
                };
                format!("{} to {to}", a.component)
            })
            .collect();
        let (end, events) = match result {
            StageResult::Done(mut events) => {
                events.push(Event {
                    source: self.owner.to_string(),
                    ..Event::new(
                        ROLLBACK_STAGE,
                        "RolledBack",
                        format!("the change was rolled back: {}", names.join(", ")),
                        now,
                    )
                });
                (outcome.clone(), events)
            }
            StageResult::Failed {
                code,
                message,
                events,
            } => {
                stage.state = "failed".into();
                stage.message = format!("{code}: {message}");
                let failure = TaskFailure {
                    code: ROLLBACK_FAILED.into(),
                    message: format!(
                        "the rollback ({}) failed with {code}: {message}; it was undoing: {}",
                        names.join(", "),
                        outcome.message()
                    ),
                };
                (Outcome::Failed(failure), events)
            }
            StageResult::Interrupted(events) => (outcome.clone(), events),
        };
        stages.push(stage);
        self.store
            .finish(
                task,
                FinishGuard::Lease(&self.owner),
                &end,
                &stages,
                &events,
                now,
            )
            .await?;
        Ok(())
    }
}
