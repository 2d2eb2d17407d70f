//! One stage of a task, as a runner runs it: the domain precheck, then any injected fault, then
//! the executor. What the stage returns is recorded by the runner; nothing here writes.

use crate::Engine;
use crate::executor::{Executor, StageResult};
use ack_domain::DomainError;
use ack_domain::lifecycle::precheck_installed;
use ack_domain::task::{Event, Task};
use tokio::sync::watch;

impl Engine {
    /// One stage: the domain precheck first, then injected faults, then the executor (once per
    /// add-on for a real executor; once for the simulated one, which only keeps time).
    pub(crate) async fn stage(
        &self,
        task: &Task,
        name: &str,
        cancel: &mut watch::Receiver<bool>,
    ) -> Result<StageResult, DomainError> {
        let started = std::time::Instant::now();
        let result = self.run_stage(task, name, cancel).await;
        crate::metrics::observe_stage(name, started.elapsed());
        result
    }

    async fn run_stage(
        &self,
        task: &Task,
        name: &str,
        cancel: &mut watch::Receiver<bool>,
    ) -> Result<StageResult, DomainError> {
        let now = self.clock.now();
        // The cluster is read only when needed: for the precheck, and for a command executor's
        // environment (the simulated one only keeps time).
        let needs_cluster =
            name == "precheck" || matches!(self.cfg.executor, Executor::Command { .. });
        // From the status cache when it holds the cluster (it follows every write, and every
        // replica's on PostgreSQL), so a precheck costs no round trip once the cluster is held.
        let kube = if needs_cluster {
            let checked = self
                .store
                .with_addons(&task.account, &task.cluster_id, None, |snap| {
                    let installed: Vec<(&str, &str)> = snap
                        .addons
                        .iter()
                        .filter_map(|a| a.installed.map(|i| (a.name, i.version)))
                        .collect();
                    let verdict = (name == "precheck").then(|| {
                        precheck_installed(
                            &self.catalog,
                            snap.kubernetes_version,
                            &installed,
                            &task.task_type,
                            &task.addons,
                        )
                    });
                    (snap.kubernetes_version.to_string(), verdict)
                })
                .await;
            match checked {
                Ok((_, Some(Err(message)))) => {
                    return Ok(StageResult::Failed {
                        code: "PrecheckFailed".into(),
                        message,
                        events: Vec::new(),
                    });
                }
                Ok((kube, _)) => kube,
                Err(DomainError::ClusterNotFound(_)) => String::new(),
                Err(e) => return Err(e),
            }
        } else {
            String::new()
        };
        for a in &task.addons {
            if let Some((code, message)) = self.store.take_fault(task, a, name).await? {
                let e = Event::new(
                    name,
                    "FaultInjected",
                    format!(
                        "{} of {}: {code}: {message}",
                        a.operation.as_str(),
                        a.component
                    ),
                    now,
                )
                .warning();
                return Ok(StageResult::Failed {
                    code,
                    message,
                    events: vec![e],
                });
            }
        }
        let mut events = Vec::new();
        let targets: Vec<Option<&ack_domain::task::TaskAddon>> = match self.cfg.executor {
            Executor::Simulated { .. } => vec![None],
            Executor::Command { .. } if task.addons.is_empty() => vec![None],
            Executor::Command { .. } => task.addons.iter().map(Some).collect(),
        };
        for a in targets {
            match self
                .cfg
                .executor
                .run(task, &kube, a, name, cancel, now)
                .await
            {
                StageResult::Done(mut e) => events.append(&mut e),
                StageResult::Failed {
                    code,
                    message,
                    events: mut e,
                } => {
                    events.append(&mut e);
                    return Ok(StageResult::Failed {
                        code,
                        message,
                        events,
                    });
                }
                StageResult::Interrupted(mut e) => {
                    events.append(&mut e);
                    return Ok(StageResult::Interrupted(events));
                }
            }
        }
        Ok(StageResult::Done(events))
    }
}
