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
use intern::{Interner, Reader, Sym};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};

const SHARDS: usize = 64;

/// About 1.2 KB per cluster of 25 add-ons: 250,000 clusters fit in 300 MiB.
pub const DEFAULT_CAPACITY: usize = 250_000;

struct CachedAddon {
    name: Sym,
    version: Option<Sym>,
    config: Option<Sym>,
    status: Option<UpgradeStatus>,
    is_canceled: bool,
    message: Option<Sym>,
    created_at: i64,
    /// `i64::MIN` for a task not finished (saves the 8 bytes of an `Option`).
    finished_at: i64,
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
        let compact = self.compact(account, snap);
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
        let at: Option<Vec<usize>> = addons
            .iter()
            .map(|(name, _, _)| {
                let i = c
                    .addons
                    .binary_search_by(|a| r.get(a.name).cmp(name))
                    .ok()?;
                c.addons[i].version.is_some().then_some(i)
            })
            .collect();
        drop(r);
        let Some(at) = at else {
            s.map.remove(cluster);
            self.len.fetch_sub(1, Ordering::Relaxed);
            return;
        };
        for (i, (_, status, created_at)) in at.into_iter().zip(addons) {
            let a = &mut c.addons[i];
            a.status = Some(*status);
            a.is_canceled = false;
            a.message = Some(empty);
            a.created_at = *created_at;
            a.finished_at = i64::MIN;
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

    fn compact(&self, account: &str, snap: &AddonsSnapshot<'_>) -> CachedCluster {
        let s = &self.strings;
        let addons = snap
            .addons
            .iter()
            .map(|a| CachedAddon {
                name: s.intern(a.name),
                version: a.installed.map(|i| s.intern(i.version)),
                config: a.installed.map(|i| s.intern(i.config)),
                status: a.latest.map(|t| t.status),
                is_canceled: a.latest.is_some_and(|t| t.is_canceled),
                message: a.latest.map(|t| s.intern(t.message)),
                created_at: a.latest.map_or(0, |t| t.created_at),
                finished_at: a.latest.and_then(|t| t.finished_at).unwrap_or(i64::MIN),
            })
            .collect();
        CachedCluster {
            account: s.intern(account),
            kube: s.intern(snap.kubernetes_version),
            addons,
        }
    }
}

fn snapshot<'r>(r: &'r Reader<'_>, c: &CachedCluster, only: Option<&[&str]>) -> AddonsSnapshot<'r> {
    let state = |a: &CachedAddon| AddonState {
        name: r.get(a.name),
        installed: a.version.map(|v| Installed {
            version: r.get(v),
            config: a.config.map_or("", |c| r.get(c)),
        }),
        latest: a.status.map(|status| LatestTask {
            status,
            created_at: a.created_at,
            finished_at: (a.finished_at != i64::MIN).then_some(a.finished_at),
            is_canceled: a.is_canceled,
            message: a.message.map_or("", |m| r.get(m)),
        }),
    };
    let addons = match only {
        None => c.addons.iter().map(state).collect(),
        Some(names) => {
            let mut found: Vec<AddonState<'r>> = names
                .iter()
                .filter_map(|n| {
                    let i = c.addons.binary_search_by(|a| r.get(a.name).cmp(n)).ok()?;
                    Some(state(&c.addons[i]))
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
mod tests {
    use super::*;

    fn snap(version: &str) -> AddonsSnapshot<'_> {
        AddonsSnapshot::merge(
            "1.31.1-aliyun.1",
            [(
                "coredns",
                Installed {
                    version,
                    config: "{}",
                },
            )],
            [],
        )
    }

    fn shown(c: &StatusCache, account: &str, cluster: &str) -> Option<Option<String>> {
        match c.lookup(account, cluster, None, |s| format!("{s:?}")) {
            Lookup::Hit(r) => Some(r),
            Lookup::Miss(..) => None,
        }
    }

    fn ticket(c: &StatusCache, cluster: &str) -> Ticket {
        match c.lookup("a", cluster, None, |_| ()) {
            Lookup::Miss(t, _) => t,
            Lookup::Hit(_) => panic!("{cluster} is held"),
        }
    }

    #[test]
    fn a_load_that_raced_a_write_is_not_kept() {
        let c = StatusCache::new(10);
        let t = ticket(&c, "c1");
        // A write commits and removes the cluster while the load is reading.
        c.remove("c1");
        c.store(t, "c1", "a", &snap("v1"));
        assert_eq!(shown(&c, "a", "c1"), None);
        // A load after the write is kept, and shown to its account only.
        let t = ticket(&c, "c1");
        c.store(t, "c1", "a", &snap("v2"));
        assert_eq!(
            shown(&c, "a", "c1"),
            Some(Some(format!("{:?}", snap("v2"))))
        );
        assert_eq!(shown(&c, "b", "c1"), Some(None));
        // Asked for some add-ons, it shows those the cluster has, by name, once each.
        let some = c.lookup("a", "c1", Some(&["x", "coredns", "coredns"]), |s| {
            s.addons
                .iter()
                .map(|a| a.name.to_string())
                .collect::<Vec<_>>()
        });
        assert!(matches!(some, Lookup::Hit(Some(names)) if names == ["coredns"]));
        c.remove("c1");
        assert_eq!((shown(&c, "a", "c1"), c.len()), (None, 0));
    }

    #[test]
    fn a_full_cache_keeps_what_it_has_and_takes_no_more() {
        let c = StatusCache::new(1);
        let (t1, t2) = (ticket(&c, "c1"), ticket(&c, "c2"));
        c.store(t1, "c1", "a", &snap("v1"));
        c.store(t2, "c2", "a", &snap("v1"));
        assert!(shown(&c, "a", "c1").is_some());
        assert!(shown(&c, "a", "c2").is_none());
        assert_eq!(c.len(), 1);
    }
}
