//! The status cache: a compact copy of what the status calls read of each cluster (its
//! Kubernetes version, each add-on's installed version and config, and its latest task), so
//! that a poll answers from memory instead of crossing to a database worker thread.
//!
//! Only a store that is the sole writer of its database keeps one (SQLite, which `serve`
//! locks to one process). Every write that changes a cluster's status rows removes the
//! cluster after its commit. A load that raced a write is not kept: each shard counts its
//! removals, a load notes the count before it reads, and stores its result only if the count
//! is unchanged. A writer commits before it removes, so a result read before a commit is
//! either refused here or removed afterwards.

mod intern;
pub(crate) mod tasks;

use ack_domain::status::{AddonState, AddonsSnapshot, Installed, LatestTask};
use ack_domain::task::UpgradeStatus;
use intern::{AddonKey, Interner, KeySym, Reader, Sym};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};

const SHARDS: usize = 64;

/// About 0.5 KB per cluster of 25 add-ons: 250,000 clusters fit in about 130 MiB.
pub const DEFAULT_CAPACITY: usize = 250_000;

/// An add-on as held: what it shows (interned, see `AddonKey`) and its latest task's times, in
/// seconds that fit 32 bits (a cluster with a time that does not is simply not kept): 12 bytes,
/// where the fields themselves took 40.
struct CachedAddon {
    key: KeySym,
    created_at: u32,
    /// `NOT_FINISHED` for a task not finished.
    finished_at: u32,
}

const NOT_FINISHED: u32 = u32::MAX;

/// A time as held, if it fits.
fn held_time(t: i64) -> Option<u32> {
    u32::try_from(t).ok().filter(|t| *t != NOT_FINISHED)
}

pub(crate) struct CachedCluster {
    account: Sym,
    kube: Sym,
    addons: Box<[CachedAddon]>,
}

/// Clusters are held inline (no `Arc`): a poll of a random cluster out of 100,000 then misses
/// the CPU cache fewer times on its way to the add-on rows.
#[derive(Default)]
struct Shard {
    map: HashMap<Box<str>, CachedCluster>,
    removals: u64,
}

/// Every shard's removal count at one moment.
pub(crate) struct Tickets(Vec<u64>);

/// A load's note of its shard's removal count.
#[derive(Clone, Copy)]
pub(crate) struct Ticket {
    shard: usize,
    removals: u64,
}

pub(crate) struct StatusCache {
    shards: Box<[RwLock<Shard>]>,
    hasher: RandomState,
    strings: Interner,
    len: AtomicUsize,
    capacity: usize,
}

/// What a lookup found.
pub(crate) enum Lookup<R, F> {
    /// The cluster, rendered by the caller's function; `None` when another account owns it.
    Hit(Option<R>),
    /// Not held: the ticket to load it with, and the function back.
    Miss(Ticket, F),
}

impl StatusCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            hasher: RandomState::new(),
            strings: Interner::default(),
            len: AtomicUsize::new(0),
            capacity,
        }
    }

    fn shard_of(&self, cluster: &str) -> usize {
        (self.hasher.hash_one(cluster) as usize) % SHARDS
    }

    fn shard(&self, i: usize) -> &RwLock<Shard> {
        &self.shards[i]
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Renders the cached cluster with `f`, or says how to load it. With `only`, the snapshot
    /// holds those add-ons (the ones the cluster has) rather than all of them.
    pub(crate) fn lookup<R, F: FnOnce(&AddonsSnapshot<'_>) -> R>(
        &self,
        account: &str,
        cluster: &str,
        only: Option<&[&str]>,
        f: F,
    ) -> Lookup<R, F> {
        let i = self.shard_of(cluster);
        let s = self.shard(i).read().unwrap_or_else(PoisonError::into_inner);
        let Some(c) = s.map.get(cluster) else {
            return Lookup::Miss(
                Ticket {
                    shard: i,
                    removals: s.removals,
                },
                f,
            );
        };
        let r = self.strings.reader();
        if r.get(c.account) != account {
            return Lookup::Hit(None);
        }
        Lookup::Hit(Some(f(&snapshot(&r, c, only))))
    }

    /// Notes every shard's removal count before a load of many clusters (the warm-up).
    pub(crate) fn tickets(&self) -> Tickets {
        Tickets(
            self.shards
                .iter()
                .map(|s| s.read().unwrap_or_else(PoisonError::into_inner).removals)
                .collect(),
        )
    }

    /// The ticket of one cluster out of `tickets`.
    pub(crate) fn ticket_in(&self, tickets: &Tickets, cluster: &str) -> Ticket {
        let shard = self.shard_of(cluster);
        Ticket {
            shard,
            removals: tickets.0[shard],
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len() >= self.capacity
    }

    /// Keeps a loaded cluster unless a write removed something in its shard since the ticket,
    /// or the cache is full.
    pub(crate) fn store(
        &self,
        ticket: Ticket,
        cluster: &str,
        account: &str,
        snap: &AddonsSnapshot<'_>,
    ) {
        if self.is_full() {
            return;
        }
        let Some(compact) = self.compact(account, snap) else {
            return;
        };
        let mut s = self
            .shard(ticket.shard)
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if s.removals != ticket.removals {
            return;
        }
        if s.map.insert(cluster.into(), compact).is_none() {
            self.len.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Forgets a cluster whose status rows a committed write changed.
    pub(crate) fn remove(&self, cluster: &str) {
        let mut s = self
            .shard(self.shard_of(cluster))
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        s.removals += 1;
        if s.map.remove(cluster).is_some() {
            self.len.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// A committed start of tasks on a cluster's add-ons: each named add-on's latest task is now
    /// in flight since `created_at` (nothing else a status call shows changed). Kept in place when
    /// the cluster is held with every one of them installed, forgotten otherwise (an install
    /// changes what is installed). Either way a load that raced the start is refused.
    pub(crate) fn started(&self, cluster: &str, addons: &[(&str, UpgradeStatus, i64)]) {
        let empty = self.strings.intern("");
        let mut s = self
            .shard(self.shard_of(cluster))
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        s.removals += 1;
        let Some(c) = s.map.get_mut(cluster) else {
            return;
        };
        let r = self.strings.reader();
        let at: Option<Vec<(usize, AddonKey, u32)>> = addons
            .iter()
            .map(|(name, _, created_at)| {
                let t = held_time(*created_at)?;
                let i = c
                    .addons
                    .binary_search_by(|a| r.key(a.key).map_or("", |k| r.get(k.name)).cmp(name))
                    .ok()?;
                let key = *r.key(c.addons[i].key)?;
                key.version.is_some().then_some((i, key, t))
            })
            .collect();
        drop(r);
        let Some(at) = at else {
            s.map.remove(cluster);
            self.len.fetch_sub(1, Ordering::Relaxed);
            return;
        };
        for ((i, key, created_at), (_, status, _)) in at.into_iter().zip(addons) {
            let key = AddonKey {
                status: Some(*status),
                is_canceled: false,
                message: Some(empty),
                ..key
            };
            let a = &mut c.addons[i];
            a.key = self.strings.intern_key(key);
            a.created_at = created_at;
            a.finished_at = NOT_FINISHED;
        }
    }

    /// Forgets every cluster: this replica may have missed other replicas' notices.
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            let mut s = shard.write().unwrap_or_else(PoisonError::into_inner);
            s.removals += 1;
            self.len.fetch_sub(s.map.len(), Ordering::Relaxed);
            s.map.clear();
        }
    }

    /// The cluster as held; `None` when one of its times does not fit.
    fn compact(&self, account: &str, snap: &AddonsSnapshot<'_>) -> Option<CachedCluster> {
        let s = &self.strings;
        let addons = snap
            .addons
            .iter()
            .map(|a| {
                let key = AddonKey {
                    name: s.intern(a.name),
                    version: a.installed.map(|i| s.intern(i.version)),
                    config: a.installed.map(|i| s.intern(i.config)),
                    status: a.latest.map(|t| t.status),
                    is_canceled: a.latest.is_some_and(|t| t.is_canceled),
                    message: a.latest.map(|t| s.intern(t.message)),
                };
                Some(CachedAddon {
                    key: s.intern_key(key),
                    created_at: held_time(a.latest.map_or(0, |t| t.created_at))?,
                    finished_at: match a.latest.and_then(|t| t.finished_at) {
                        Some(t) => held_time(t)?,
                        None => NOT_FINISHED,
                    },
                })
            })
            .collect::<Option<_>>()?;
        Some(CachedCluster {
            account: s.intern(account),
            kube: s.intern(snap.kubernetes_version),
            addons,
        })
    }
}

fn snapshot<'r>(r: &'r Reader<'_>, c: &CachedCluster, only: Option<&[&str]>) -> AddonsSnapshot<'r> {
    let state = |a: &CachedAddon| {
        let k = r.key(a.key)?;
        Some(AddonState {
            name: r.get(k.name),
            installed: k.version.map(|v| Installed {
                version: r.get(v),
                config: k.config.map_or("", |c| r.get(c)),
            }),
            latest: k.status.map(|status| LatestTask {
                status,
                created_at: i64::from(a.created_at),
                finished_at: (a.finished_at != NOT_FINISHED).then_some(i64::from(a.finished_at)),
                is_canceled: k.is_canceled,
                message: k.message.map_or("", |m| r.get(m)),
            }),
        })
    };
    let name = |a: &CachedAddon| r.key(a.key).map_or("", |k| r.get(k.name));
    let addons = match only {
        None => c.addons.iter().filter_map(state).collect(),
        Some(names) => {
            let mut found: Vec<AddonState<'r>> = names
                .iter()
                .filter_map(|n| {
                    let i = c.addons.binary_search_by(|a| name(a).cmp(n)).ok()?;
                    state(&c.addons[i])
                })
                .collect();
            found.sort_by(|a, b| a.name.cmp(b.name));
            found.dedup_by(|a, b| a.name == b.name);
            found
        }
    };
    AddonsSnapshot {
        kubernetes_version: r.get(c.kube),
        addons,
    }
}

#[cfg(test)]
mod tests;
