//! The runner: claim, run stage by stage, record, finish. Bounded by a semaphore.

use crate::Signals;
use crate::executor::{Executor, StageResult};
use ack_domain::task::{Control, Event, Outcome, STAGES, Stage, Task, TaskFailure, TaskState};
use ack_domain::{Catalog, Clock, DomainError, TaskId};
use ack_store::{FinishGuard, StageDone, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, watch};

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub executor: Executor,
    /// Tasks run at once by this process.
    pub max_concurrent: usize,
    /// How long a claim holds without a heartbeat.
    pub lease: Duration,
    /// How often to look for runnable tasks when nothing wakes the engine.
    pub poll: Duration,
}

#[derive(Clone)]
pub struct Engine {
    pub(crate) store: Store,
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) clock: Clock,
    signals: Arc<Signals>,
    pub(crate) cfg: Arc<EngineConfig>,
    pub(crate) owner: Arc<str>,
}

impl Engine {
    pub fn new(
        store: Store,
        catalog: Arc<Catalog>,
        clock: Clock,
        signals: Arc<Signals>,
        cfg: EngineConfig,
    ) -> Self {
        let owner: Arc<str> = format!("runner-{}", uuid::Uuid::new_v4().simple()).into();
        Self {
            store,
            catalog,
            clock,
            signals,
            cfg: Arc::new(cfg),
            owner,
        }
    }

    /// Runs until the process ends. Work is never lost by stopping: unfinished tasks keep their
    /// last completed stage and are claimed again.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        let (store, wake, cancel) = (
            self.store.clone(),
            Arc::clone(&self.signals),
            Arc::clone(&self.signals),
        );
        tokio::spawn(async move {
            store
                .listen(
                    move || wake.wake(),
                    move |id| {
                        if let Ok(id) = TaskId::parse(id) {
                            cancel.interrupt(&id);
                        }
                    },
                )
                .await;
        });
        tokio::spawn(async move { self.run().await })
    }

    async fn run(self) {
        let slots = Arc::new(Semaphore::new(self.cfg.max_concurrent.max(1)));
        loop {
            let free = u32::try_from(slots.available_permits()).unwrap_or(u32::MAX);
            if free > 0 {
                let now = self.clock.now();
                match self
                    .store
                    .claim_tasks(&self.owner, now, now + lease_secs(&self.cfg), free)
                    .await
                {
                    Ok(tasks) => {
                        for task in tasks {
                            let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                                break;
                            };
                            let me = self.clone();
                            tokio::spawn(async move {
                                me.run_task(task).await;
                                drop(permit);
                                me.signals.wake();
                                me.signals.wake_rollouts();
                            });
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming tasks failed; retrying"),
                }
            }
            // A freed slot, a new task or a resume wakes us; the poll covers another replica's
            // work and expired leases.
            tokio::select! {
                () = self.signals.woken() => {},
                () = tokio::time::sleep(self.cfg.poll) => {},
            }
        }
    }

    async fn run_task(&self, task: Task) {
        let id = &task.id.clone();
        let mut cancel = self.signals.register(id);
        let mine = cancel.clone();
        let heartbeat = {
            let (store, id, owner, cfg, clock) = (
                self.store.clone(),
                id.clone(),
                Arc::clone(&self.owner),
                Arc::clone(&self.cfg),
                self.clock.clone(),
            );
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(cfg.lease / 3).await;
                    if !matches!(
                        store
                            .renew_lease(&id, &owner, clock.now() + lease_secs(&cfg))
                            .await,
                        Ok(true)
                    ) {
                        break;
                    }
                }
            })
        };
        // Run the task in its own tokio task so that even a panic ends the heartbeat: the lease
        // then expires and the task is claimed again from its last completed stage.
        let me = self.clone();
        let driven = tokio::spawn(async move { me.drive(task, &mut cancel).await }).await;
        match driven {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(task = %id, error = %e, "task step failed; it will be retried when its lease expires")
            }
            Err(e) => {
                tracing::error!(task = %id, error = %e, "task runner crashed; it will be retried when its lease expires")
            }
        }
        heartbeat.abort();
        self.signals.unregister(id, &mine);
    }

    async fn drive(
        &self,
        mut task: Task,
        cancel: &mut watch::Receiver<bool>,
    ) -> Result<(), DomainError> {
        // Read once, by the claim; after that only this runner moves the stages on, so each turn
        // re-reads just the state and the pending control that others may change.
        let id = &task.id.clone();
        loop {
            if task.state != TaskState::Running {
                return Ok(());
            }
            if let Some(outcome) = task.rollback.clone() {
                return self.roll_back(&task, &outcome).await;
            }
            let owner = FinishGuard::Lease(&self.owner);
            match task.control {
                Control::Cancel => {
                    let reason = format!("canceled by request before {}", task.current_stage());
                    let outcome = Outcome::Canceled(reason);
                    // Between stages, the last one started is the last one completed.
                    let last = task.next_stage.saturating_sub(1);
                    let stages = task.stages.clone();
                    if self.end(&mut task, last, outcome, stages, &[]).await? {
                        continue;
                    }
                    return Ok(());
                }
                Control::Pause => {
                    if self
                        .store
                        .pause_now(id, &self.owner, self.clock.now())
                        .await?
                    {
                        return Ok(());
                    }
                    // A resume withdrew the pause (or a cancel replaced it) since we read the
                    // task: read it again and go on.
                    (task.state, task.control) = self.store.task_control(id).await?;
                    continue;
                }
                Control::None => {}
            }
            if task.next_stage >= STAGES.len() {
                self.store
                    .finish(
                        &task,
                        owner,
                        &Outcome::Success,
                        &task.stages,
                        &[],
                        self.clock.now(),
                    )
                    .await?;
                return Ok(());
            }
            let index = task.next_stage;
            let name = STAGES[index];
            let started = self.clock.now();
            let result = self.stage(&task, name, cancel).await?;
            let now = self.clock.now();
            let mut stages = task.stages.clone();
            let mut stage = Stage::succeeded(name, started, now);
            match result {
                StageResult::Done(mut events) => {
                    stages.push(stage);
                    // The source names the runner, so a takeover by another replica shows.
                    events.push(Event {
                        source: self.owner.to_string(),
                        ..Event::new(
                            name,
                            "StageSucceeded",
                            format!("stage {name} succeeded"),
                            now,
                        )
                    });
                    let now_state = self
                        .store
                        .complete_stage(
                            id,
                            &self.owner,
                            StageDone {
                                index,
                                stages: &stages,
                                events: &events,
                                now,
                                lease_until: now + lease_secs(&self.cfg),
                            },
                        )
                        .await?;
                    let Some(now_state) = now_state else {
                        return Ok(());
                    };
                    task.next_stage = index + 1;
                    task.stages = stages;
                    (task.state, task.control) = now_state;
                }
                StageResult::Failed {
                    code,
                    message,
                    events,
                } => {
                    stage.state = "failed".into();
                    stage.message.clone_from(&message);
                    stages.push(stage);
                    let outcome = Outcome::Failed(TaskFailure { code, message });
                    if self.end(&mut task, index, outcome, stages, &events).await? {
                        continue;
                    }
                    return Ok(());
                }
                StageResult::Interrupted(events) => {
                    stage.state = "canceled".into();
                    stages.push(stage);
                    let outcome = Outcome::Canceled(format!("canceled by request during {name}"));
                    if self.end(&mut task, index, outcome, stages, &events).await? {
                        continue;
                    }
                    return Ok(());
                }
            }
        }
    }
}

fn lease_secs(cfg: &EngineConfig) -> i64 {
    i64::try_from(cfg.lease.as_secs()).unwrap_or(60).max(1)
}
