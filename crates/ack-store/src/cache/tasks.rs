//! DescribeTaskInfo's cache: whole tasks (with add-ons, stages and events) by id, so that a
//! client polling a task until it ends (Terraform, every SDK waiter) is answered from memory.
//!
//! Every transaction that changes what DescribeTaskInfo shows of a task forgets it after its
//! commit (and tells the other replicas, on PostgreSQL). A load that raced such a write is not
//! kept, by the same removal tickets as the status cache. When full, a shard gives up its
//! oldest-loaded entry for a new one, so the tasks being polled now are the ones held.

use ack_domain::task::Task;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, PoisonError, RwLock};

const SHARDS: usize = 16;

/// Tasks held (a few KB each with their events).
pub const DEFAULT_CAPACITY: usize = 20_000;

#[derive(Default)]
struct Shard {
    map: HashMap<Box<str>, Arc<Task>>,
    /// Ids in the order they were loaded (some may be gone already).
    order: VecDeque<Box<str>>,
    removals: u64,
}

/// A load's note of its shard's removal count.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    shard: usize,
    removals: u64,
}

pub(crate) struct TaskCache {
    shards: Box<[RwLock<Shard>]>,
    hasher: RandomState,
    per_shard: usize,
}

impl TaskCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            hasher: RandomState::new(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    fn shard_of(&self, id: &str) -> usize {
        (self.hasher.hash_one(id) as usize) % SHARDS
    }

    /// The task, or the ticket to load it with.
    pub(crate) fn lookup(&self, id: &str) -> Result<Arc<Task>, Ticket> {
        let shard = self.shard_of(id);
        let s = self.shards[shard]
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        match s.map.get(id) {
            Some(t) => Ok(Arc::clone(t)),
            None => Err(Ticket {
                shard,
                removals: s.removals,
            }),
        }
    }

    /// Keeps a loaded task unless a write forgot something in its shard since the ticket.
    pub(crate) fn store(&self, ticket: Ticket, task: Arc<Task>) {
        let mut s = self.shards[ticket.shard]
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if s.removals != ticket.removals {
            return;
        }
        while s.map.len() >= self.per_shard {
            let Some(old) = s.order.pop_front() else {
                break;
            };
            s.map.remove(&old);
        }
        let id: Box<str> = task.id.as_str().into();
        if s.map.insert(id.clone(), task).is_none() {
            s.order.push_back(id);
        }
        // Ids of entries forgotten by writes linger in `order`; drop them before it grows far
        // past what the map holds.
        if s.order.len() > 2 * self.per_shard {
            let Shard { map, order, .. } = &mut *s;
            order.retain(|i| map.contains_key(i));
        }
    }

    /// Forgets a task that a committed write changed.
    pub(crate) fn remove(&self, id: &str) {
        let mut s = self.shards[self.shard_of(id)]
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        s.removals += 1;
        s.map.remove(id);
    }

    /// Forgets everything (a replica that may have missed notices).
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            let mut s = shard.write().unwrap_or_else(PoisonError::into_inner);
            s.removals += 1;
            s.map.clear();
            s.order.clear();
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(PoisonError::into_inner).map.len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ack_domain::ClusterId;

    fn task(n: u32) -> Arc<Task> {
        let cluster = ClusterId::parse("c1").unwrap();
        let mut t = Task::new("a", &cluster, "addon_upgrade", i64::from(n), vec![]);
        t.task_type = format!("t{n}");
        Arc::new(t)
    }

    #[test]
    fn a_load_that_raced_a_write_is_not_kept_and_a_full_cache_turns_over() {
        let c = TaskCache::new(SHARDS);
        let t = task(1);
        let Err(ticket) = c.lookup(t.id.as_str()) else {
            panic!("empty cache")
        };
        c.remove(t.id.as_str());
        c.store(ticket, Arc::clone(&t));
        assert!(c.lookup(t.id.as_str()).is_err(), "raced a write");
        let Err(ticket) = c.lookup(t.id.as_str()) else {
            panic!("not held")
        };
        c.store(ticket, Arc::clone(&t));
        assert_eq!(c.lookup(t.id.as_str()).unwrap().task_type, "t1");
        // One per shard: many more loads keep it bounded, the latest held.
        let mut last = None;
        for n in 2..200 {
            let t = task(n);
            if let Err(ticket) = c.lookup(t.id.as_str()) {
                c.store(ticket, Arc::clone(&t));
            }
            last = Some(t);
        }
        assert!(c.len() <= SHARDS);
        let last = last.unwrap();
        assert!(c.lookup(last.id.as_str()).is_ok());
        c.clear();
        assert_eq!(c.len(), 0);
    }
}
