//! Group commit: the engine's writes (a task started, a stage completed, a task ended) that are
//! ready at the same moment share one transaction. Classic group commit, with no timer: the first
//! writer in takes the turn and commits at once; whatever arrives meanwhile waits in the queue
//! and goes together in the next transaction. Each write is answered only once the transaction
//! holding it committed, so a caller that moves on has its write on disk.
//!
//! A write whose guard no longer holds (a lost lease, a task ended meanwhile) changes nothing and
//! answers so; it does not touch the others. A write that fails (an add-on busy, a statement
//! refused) rolls the shared transaction back, and then every write of that batch is retried in
//! a transaction of its own, so that only the failing one fails.

use super::drive::MemberTask;
use super::stages::StageWrite;
use super::tasks::TaskHead;
use super::{Backend, Res, Store};
use ack_domain::cluster::Cluster;
use ack_domain::task::{Control, Event, Outcome, Stage, Task, TaskState};
use ack_domain::{DomainError, RolloutId, TaskId};
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;

/// At most this many writes share a transaction (the engine runs 256 tasks at once by default;
/// a bigger batch would only hold the write turn longer).
const MAX_BATCH: usize = 512;

/// Batches in flight at once on PostgreSQL: two, so that one fills while the other commits (a
/// batch is a handful of statements whatever its size, so more in flight only split the writes
/// into smaller batches; `ack-bench engine` measured 2 ahead of 1, 3 and 6).
const PG_BATCHES_IN_FLIGHT: usize = 2;

pub(crate) enum Write {
    Start {
        task: Box<Task>,
        creates: Option<Box<Cluster>>,
        deletes: bool,
        /// A rollout member's start: it goes only while its guard holds.
        member: Option<Box<MemberGuard>>,
    },
    Stage(StageWrite),
    Finish {
        id: TaskId,
        head: TaskHead,
        /// The runner holding the lease; `None`: a cancel of a paused task.
        lease: Option<String>,
        outcome: Outcome,
        stages: Vec<Stage>,
        events: Vec<Event>,
        now: i64,
    },
}

impl Write {
    fn task(&self) -> &str {
        match self {
            Write::Start { task, .. } => task.id.as_str(),
            Write::Stage(s) => s.id.as_str(),
            Write::Finish { id, .. } => id.as_str(),
        }
    }
}

/// What a rollout member's start needs to hold: the driver's lease on the rollout, and the
/// member still due (pending, or moved and not yet returned).
pub(crate) struct MemberGuard {
    pub rollout: RolloutId,
    pub owner: String,
    pub kind: MemberTask,
}

/// What a write did, once committed.
#[derive(Debug)]
pub(crate) enum Written {
    Started,
    /// A member's start whose guard no longer held: nothing was written.
    NotDue,
    /// The task's state and pending control after the stage; `None`: it moved on without us.
    Stage(Option<(TaskState, Control)>),
    /// Whether the task ended here (false: it had ended already).
    Finished(bool),
}

struct Pending {
    write: Write,
    reply: oneshot::Sender<Res<Written>>,
}

pub(crate) struct Batcher {
    queue: Mutex<VecDeque<Pending>>,
    /// Held by each writer whose batch is in flight: one on SQLite (one writer at a time
    /// anyway); two on PostgreSQL, so that its round trips and fsync overlap with the next.
    turns: Arc<tokio::sync::Semaphore>,
    /// Transactions the batched writes took, and the writes.
    pub(super) transactions: AtomicU64,
    writes: AtomicU64,
}

impl Batcher {
    pub(crate) fn new(backend: Backend) -> Self {
        let turns = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => PG_BATCHES_IN_FLIGHT,
        };
        Self {
            queue: Mutex::default(),
            turns: Arc::new(tokio::sync::Semaphore::new(turns)),
            transactions: AtomicU64::default(),
            writes: AtomicU64::default(),
        }
    }
}

/// The next batch: the oldest writes first, at most `max`, and at most one per task (a second
/// write of a task waits for a later batch, so that every write of a batch is about a row of
/// its own; a runner never has two writes of one task outstanding).
fn take_batch<T>(queue: &mut VecDeque<T>, task: impl Fn(&T) -> &str, max: usize) -> Vec<T> {
    let mut seen = HashSet::new();
    let mut batch = Vec::new();
    let mut kept = VecDeque::new();
    while let Some(item) = queue.pop_front() {
        if batch.len() < max && seen.insert(task(&item).to_string()) {
            batch.push(item);
        } else {
            kept.push_back(item);
        }
    }
    *queue = kept;
    batch
}

impl Store {
    /// How many transactions the engine's batched writes took so far, and how many writes they
    /// carried: their ratio is the batches' mean size.
    pub fn group_commits(&self) -> (u64, u64) {
        let b = &self.batcher;
        (
            b.transactions.load(Ordering::Relaxed),
            b.writes.load(Ordering::Relaxed),
        )
    }

    /// Queues `write` and returns what it did once its transaction committed.
    pub(crate) async fn submit(&self, write: Write) -> Res<Written> {
        let (reply, mut answer) = oneshot::channel();
        self.batcher
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(Pending { write, reply });
        // Another writer's batch may carry ours meanwhile: then the answer comes first, and we
        // leave the turn to a writer that still has one queued (the turn is a queue itself; a
        // writer already answered that took it would commit only what trickled in since).
        let turn = tokio::select! {
            biased;
            done = &mut answer => {
                return done.map_err(|_| DomainError::Internal("a batched write was dropped".into()))?;
            }
            turn = Arc::clone(&self.batcher.turns).acquire_owned() => match turn {
                Ok(t) => t,
                Err(_) => return Err(DomainError::Internal("the write batcher is closed".into())),
            },
        };
        loop {
            let batch = take_batch(
                &mut self
                    .batcher
                    .queue
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner),
                |p: &Pending| p.write.task(),
                MAX_BATCH,
            );
            if batch.is_empty() {
                break;
            }
            let store = self.clone();
            // In a task of its own, so that a caller who stops waiting cannot cut short a
            // transaction that carries the others' writes.
            let run = tokio::spawn(async move { store.commit_batch(batch).await });
            if run.await.is_err() {
                break;
            }
            // Ours may have waited behind another write of the same task: go on until it went.
            match answer.try_recv() {
                Ok(done) => return done,
                Err(oneshot::error::TryRecvError::Empty) => {}
                Err(oneshot::error::TryRecvError::Closed) => break,
            }
        }
        drop(turn);
        answer
            .await
            .map_err(|_| DomainError::Internal("a batched write was dropped".into()))?
    }

    /// Commits a batch and answers each of its writes.
    async fn commit_batch(&self, batch: Vec<Pending>) {
        let (writes, replies): (Vec<Write>, Vec<_>) =
            batch.into_iter().map(|p| (p.write, p.reply)).unzip();
        let n = u64::try_from(writes.len()).unwrap_or(u64::MAX);
        self.batcher.writes.fetch_add(n, Ordering::Relaxed);
        match self.together(&writes).await {
            Ok(done) => {
                for (reply, d) in replies.into_iter().zip(done) {
                    let _ = reply.send(Ok(d));
                }
            }
            Err(e) if writes.len() == 1 => {
                let _ = replies.into_iter().next().map(|r| r.send(Err(e)));
            }
            Err(_) => {
                for (w, reply) in writes.iter().zip(replies) {
                    let one = self.together(std::slice::from_ref(w)).await;
                    let _ = reply.send(one.map(|mut d| d.remove(0)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::take_batch;
    use std::collections::VecDeque;

    fn queue(items: &[&'static str]) -> VecDeque<&'static str> {
        items.iter().copied().collect()
    }

    #[test]
    fn a_batch_is_everything_queued_oldest_first() {
        let mut q = queue(&["a", "b", "c"]);
        assert_eq!(take_batch(&mut q, |s| s, 10), ["a", "b", "c"]);
        assert!(q.is_empty());
        assert!(take_batch(&mut q, |s| s, 10).is_empty());
    }

    #[test]
    fn a_second_write_of_a_task_waits_for_the_next_batch_in_its_order() {
        let mut q = queue(&["a", "b", "a", "c", "a"]);
        assert_eq!(take_batch(&mut q, |s| s, 10), ["a", "b", "c"]);
        assert_eq!(q, queue(&["a", "a"]));
        assert_eq!(take_batch(&mut q, |s| s, 10), ["a"]);
        assert_eq!(take_batch(&mut q, |s| s, 10), ["a"]);
        assert!(q.is_empty());
    }

    #[test]
    fn a_batch_is_bounded_and_the_rest_keeps_its_place() {
        let mut q = queue(&["a", "b", "c", "d"]);
        assert_eq!(take_batch(&mut q, |s| s, 2), ["a", "b"]);
        assert_eq!(q, queue(&["c", "d"]));
    }
}
