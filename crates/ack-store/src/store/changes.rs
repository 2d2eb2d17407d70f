//! Keeping every replica's status cache in step with every replica's writes (PostgreSQL).
//!
//! A transaction that changes a cluster's status rows sends `NOTIFY ack_addons_status` with the
//! cluster ids in it. PostgreSQL delivers a notification only if its transaction commits, and
//! after the commit, so a replica that hears one forgets clusters whose new rows are already
//! visible: its next read loads them. The writing replica forgets them itself right after its
//! commit (read-your-write, as on SQLite).
//!
//! A replica uses its cache only while its listener is connected and has heard from the server
//! lately (every replica sends an empty heartbeat notice every few seconds). Whenever the
//! listener (re)connects or goes quiet the cache is emptied: notices sent meanwhile may be lost.

use super::{Backend, Res, Store};
use crate::unavailable;
use ack_domain::task::{Operation, Task, UpgradeStatus};
use sqlx::{Any, AssertSqlSafe, Transaction};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub(crate) const CHANNEL: &str = "ack_addons_status";
/// The same for DescribeTaskInfo's task cache: the ids of tasks a transaction changed.
pub(crate) const TASKS_CHANNEL: &str = "ack_addons_task_info";
/// A fault was armed: runners look for faults from then on.
pub(crate) const FAULTS_CHANNEL: &str = "ack_addons_faults";
/// A notice's payload is at most 8000 bytes; ids are joined by commas below that.
const PAYLOAD: usize = 7900;
/// How often each replica sends its heartbeat notice.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// A listener that heard nothing (not even a heartbeat) this long may be cut off unseen.
const QUIET: Duration = Duration::from_secs(16);

/// Whether this replica's cache may answer (always on SQLite, the only writer).
pub(crate) struct CacheLink {
    shared: bool,
    /// Heads this replica's notices, so that its listener passes over them: it forgot those
    /// clusters and tasks itself when it committed (and may have kept a start's clusters since).
    origin: String,
    connected: AtomicBool,
    started: Instant,
    /// Milliseconds after `started` when the listener last heard a notice.
    heard_ms: AtomicU64,
}

impl CacheLink {
    pub(crate) fn new(backend: Backend) -> Self {
        Self {
            shared: backend == Backend::Postgres,
            origin: uuid::Uuid::new_v4().simple().to_string(),
            connected: AtomicBool::new(false),
            started: Instant::now(),
            heard_ms: AtomicU64::new(0),
        }
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn heard(&self) {
        self.heard_ms.store(self.elapsed_ms(), Ordering::Release);
    }

    pub(crate) fn usable(&self) -> bool {
        if !self.shared {
            return true;
        }
        self.connected.load(Ordering::Acquire)
            && self
                .elapsed_ms()
                .saturating_sub(self.heard_ms.load(Ordering::Acquire))
                < QUIET.as_millis() as u64
    }
}

/// The payloads that name `clusters`, each `origin;` and comma-joined ids under the size limit.
fn payloads<'a>(origin: &str, clusters: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in clusters {
        match out.last_mut() {
            Some(p) if p.len() + 1 + c.len() <= PAYLOAD => {
                p.push(',');
                p.push_str(c);
            }
            _ => out.push(format!("{origin};{c}")),
        }
    }
    out
}

/// A notice's sender and the ids it names (none for a heartbeat).
fn parse_notice(payload: &str) -> (&str, impl Iterator<Item = &str>) {
    let (origin, ids) = payload.split_once(';').unwrap_or(("", payload));
    (origin, ids.split(',').filter(|c| !c.is_empty()))
}

impl Store {
    /// Inside a transaction that changes these clusters' status rows and these tasks' views:
    /// tells the other replicas (PostgreSQL), once it commits, in one statement for both. Nothing
    /// on SQLite, whose one process forgets them itself.
    async fn announce(
        &self,
        tx: &mut Transaction<'_, Any>,
        clusters: &[&str],
        tasks: &[&str],
    ) -> Res<()> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        let origin = &self.cache_link.origin;
        let notices: Vec<(&str, String)> = payloads(origin, clusters.iter().copied())
            .into_iter()
            .map(|p| (CHANNEL, p))
            .chain(
                payloads(origin, tasks.iter().copied())
                    .into_iter()
                    .map(|p| (TASKS_CHANNEL, p)),
            )
            .collect();
        // A notice's payload is at most 8,000 bytes; a few dozen keep a statement small.
        for chunk in notices.chunks(32) {
            let calls: Vec<String> = (0..chunk.len())
                .map(|i| format!("pg_notify(${}, ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            let mut q = sqlx::query(AssertSqlSafe(format!("SELECT {}", calls.join(", "))));
            for (channel, payload) in chunk {
                q = q.bind(*channel).bind(payload.as_str());
            }
            q.execute(&mut **tx).await.map_err(unavailable)?;
        }
        Ok(())
    }

    /// Announces, commits and forgets: the end of every write that changes status rows.
    pub(crate) async fn commit_changed(
        &self,
        tx: Transaction<'static, Any>,
        clusters: &[&str],
    ) -> Res<()> {
        self.commit_touching(tx, clusters, &[]).await
    }

    /// The same for a write that changes these clusters' status rows and what DescribeTaskInfo
    /// shows of these tasks.
    pub(crate) async fn commit_touching(
        &self,
        tx: Transaction<'static, Any>,
        clusters: &[&str],
        tasks: &[&str],
    ) -> Res<()> {
        self.commit_starting(tx, clusters, &[], tasks).await
    }

    /// The same, where `started` are tasks the transaction started on existing clusters: their
    /// clusters are announced alike, but this replica keeps them, updated, once it committed.
    pub(crate) async fn commit_starting(
        &self,
        mut tx: Transaction<'static, Any>,
        clusters: &[&str],
        started: &[&Task],
        tasks: &[&str],
    ) -> Res<()> {
        let all: Vec<&str> = clusters
            .iter()
            .copied()
            .chain(started.iter().map(|t| t.cluster_id.as_str()))
            .collect();
        self.announce(&mut tx, &all, tasks).await?;
        let committed = tx.commit().await.map_err(unavailable);
        // Forgotten even when the commit's answer was lost: it may have committed.
        for c in clusters {
            self.changed(c);
        }
        for t in started {
            match (&self.status_cache, &committed) {
                (Some(cache), Ok(()))
                    if t.addons.iter().all(|a| a.operation != Operation::Install) =>
                {
                    let addons: Vec<(&str, UpgradeStatus, i64)> = t
                        .addons
                        .iter()
                        .map(|a| {
                            (
                                a.component.as_str(),
                                a.operation.in_flight_status(),
                                t.created_at,
                            )
                        })
                        .collect();
                    cache.started(t.cluster_id.as_str(), &addons);
                }
                _ => self.changed(t.cluster_id.as_str()),
            }
        }
        if let Some(cache) = &self.task_cache {
            for t in tasks {
                cache.remove(t);
            }
        }
        committed
    }

    /// PostgreSQL: follows every replica's status notices until the process ends, so that this
    /// replica's status cache may answer. Without it the cache stays unused (and correct).
    pub async fn follow_status_changes(&self) {
        if self.backend != Backend::Postgres
            || (self.status_cache.is_none() && self.task_cache.is_none())
        {
            return;
        }
        let forget_all = || {
            if let Some(c) = &self.status_cache {
                c.clear();
            }
            if let Some(c) = &self.task_cache {
                c.clear();
            }
        };
        // Part of this future, not a task of its own, so that it ends when the follower does.
        let beat = async {
            loop {
                let _ = sqlx::query("SELECT pg_notify($1, '')")
                    .bind(CHANNEL)
                    .execute(&self.pool)
                    .await;
                tokio::time::sleep(HEARTBEAT).await;
            }
        };
        tokio::join!(beat, self.follow(forget_all));
    }

    /// The listening half of `follow_status_changes`: (re)connects for ever.
    async fn follow(&self, forget_all: impl Fn()) {
        let link = &self.cache_link;
        loop {
            match sqlx::postgres::PgListener::connect(&self.url).await {
                Ok(mut l) => match l.listen_all([CHANNEL, TASKS_CHANNEL, FAULTS_CHANNEL]).await {
                    Ok(()) => {
                        // Whatever was kept may have missed notices before this connection,
                        // a fault armed meanwhile among them.
                        forget_all();
                        let armed =
                            sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM faults)")
                                .fetch_one(&self.pool)
                                .await;
                        if !matches!(armed, Ok(false)) {
                            self.faults_armed.store(true, Ordering::SeqCst);
                        }
                        link.heard();
                        link.connected.store(true, Ordering::Release);
                        tracing::info!("following status changes of every replica");
                        while let Ok(Some(n)) = l.try_recv().await {
                            link.heard();
                            let (origin, ids) = parse_notice(n.payload());
                            let ours = origin == link.origin;
                            match (n.channel(), &self.status_cache, &self.task_cache) {
                                (CHANNEL | TASKS_CHANNEL, _, _) if ours => {}
                                (CHANNEL, Some(c), _) => ids.for_each(|id| c.remove(id)),
                                (TASKS_CHANNEL, _, Some(c)) => ids.for_each(|id| c.remove(id)),
                                (FAULTS_CHANNEL, _, _) => {
                                    self.faults_armed.store(true, Ordering::SeqCst);
                                }
                                _ => {}
                            }
                        }
                        link.connected.store(false, Ordering::Release);
                        forget_all();
                        tracing::warn!(
                            "status notices connection lost; the status cache is unused meanwhile"
                        );
                    }
                    Err(e) => tracing::warn!(error = %e, "LISTEN for status changes failed"),
                },
                Err(e) => tracing::warn!(error = %e, "cannot LISTEN for status changes"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Whether the status cache is in use now (PostgreSQL: its listener is live).
    pub fn status_cache_live(&self) -> bool {
        self.status_cache.is_some() && self.cache_link.usable()
    }

    /// Whether the caches may answer now (PostgreSQL: while the listener is live).
    pub(crate) fn caches_usable(&self) -> bool {
        self.cache_link.usable()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_join_ids_under_the_limit() {
        let id = "c".repeat(33);
        let ids: Vec<&str> = std::iter::repeat_n(id.as_str(), 500).collect();
        let ps = payloads("me", ids.iter().copied());
        assert!(ps.len() > 1);
        assert!(ps.iter().all(|p| p.len() <= PAYLOAD));
        let mut back: Vec<&str> = Vec::new();
        for p in &ps {
            let (origin, named) = parse_notice(p);
            assert_eq!(origin, "me");
            back.extend(named);
        }
        assert_eq!(back, ids);
        assert!(payloads("me", []).is_empty());
        // A heartbeat names nobody and nothing.
        let (origin, mut named) = parse_notice("");
        assert_eq!((origin, named.next()), ("", None));
    }

    #[test]
    fn sqlite_is_always_usable_and_postgres_only_once_connected() {
        assert!(CacheLink::new(Backend::Sqlite).usable());
        let l = CacheLink::new(Backend::Postgres);
        assert!(!l.usable());
        l.heard();
        l.connected.store(true, Ordering::Release);
        assert!(l.usable());
        l.connected.store(false, Ordering::Release);
        assert!(!l.usable());
    }
}
