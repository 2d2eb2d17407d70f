//! In-process signals between the HTTP layer and the runners: "there is work" and "cancel now".

use ack_domain::TaskId;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::{Notify, watch};

#[derive(Default)]
pub struct Signals {
    wake: Notify,
    rollouts: Notify,
    running: Mutex<HashMap<String, watch::Sender<bool>>>,
}

impl Signals {
    /// A task became runnable (created, resumed) or a runner slot freed up.
    pub fn wake(&self) {
        // notify_one keeps a permit when nobody waits, so a wake is never lost.
        self.wake.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }

    /// A task ended or a rollout changed: the rollout driver has something to look at.
    pub fn wake_rollouts(&self) {
        self.rollouts.notify_one();
    }

    pub async fn rollouts_woken(&self) {
        self.rollouts.notified().await;
    }

    /// Interrupts the stage a runner in this process is running for the task, if any.
    pub fn interrupt(&self, id: &TaskId) {
        if let Some(tx) = self.lock().get(id.as_str()) {
            let _ = tx.send(true);
        }
    }

    pub(crate) fn register(&self, id: &TaskId) -> watch::Receiver<bool> {
        let (tx, rx) = watch::channel(false);
        self.lock().insert(id.to_string(), tx);
        rx
    }

    /// Forgets the runner's channel, unless a newer runner of the same task (after a pause and a
    /// resume) registered its own meanwhile.
    pub(crate) fn unregister(&self, id: &TaskId, mine: &watch::Receiver<bool>) {
        let mut running = self.lock();
        if running
            .get(id.as_str())
            .is_some_and(|tx| mine.same_channel(&tx.subscribe()))
        {
            running.remove(id.as_str());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<bool>>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
