//! Signature nonces shared by every replica (PostgreSQL), written in batches.
//!
//! Every signed call spends a nonce, so a write per call would bound the whole API by the
//! database's commit rate. Calls that arrive while a batch is being written wait for the next
//! one, which records all of them in one statement (classic group commit: the first call goes
//! at once, and no timer adds latency when calls are few).
//!
//! The batch commits with `synchronous_commit = off` (the writer's own session, so a batch is
//! one statement and one round trip): PostgreSQL answers before its WAL reaches the disk. A
//! crash of the database server itself may forget the nonces of its last moment
//! (about 0.6 s, three WAL-writer rounds) and so accept a replay of those calls; nothing else
//! is written this way, and a crash of a replica loses nothing.
//!
//! A nonce is kept as a 64-bit hash (`nonce_hash`), so that the table's key is an integer, and
//! one batch is one text of them. Two nonces in the window that share a hash (odds of about one
//! in 10^5 over 15 minutes of 20,000 calls a second) cost one refused call, as in memory. The
//! writer forgets the expired nonces once a minute.
//!
//! One writer: two, each with a batch in flight, measured slower (smaller batches, so more
//! statements for a database that shares the replica's cores).

use super::{Backend, Res, Store, values_placeholders};
use crate::unavailable;
use ack_domain::DomainError;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Row};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Rows per statement (two values each, far below either back end's parameter limit).
const MAX_BATCH: usize = 512;

/// How often the writer forgets the nonces older than the window.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// The key a nonce is kept under: the first 8 bytes of its SHA-256 (the same on every replica).
fn nonce_hash(nonce: &str) -> i64 {
    let d = Sha256::digest(nonce.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    i64::from_be_bytes(b)
}

pub(crate) struct Ask {
    hash: i64,
    now: i64,
    not_before: i64,
    answer: oneshot::Sender<Res<bool>>,
}

pub(crate) type Batcher = mpsc::UnboundedSender<Ask>;

/// For each request of a batch, whether it goes to the database: a nonce (a hash) asked for
/// twice in one batch is sent once, and its later asks are replays whatever the database says.
fn first_in_batch(hashes: &[i64]) -> Vec<bool> {
    let mut seen = HashSet::with_capacity(hashes.len());
    hashes.iter().map(|h| seen.insert(*h)).collect()
}

impl Store {
    /// Records a signature nonce; false when it was seen since `not_before`. Every replica sees
    /// the same table, so a nonce used on one is refused on all.
    pub async fn first_use_of_nonce(&self, nonce: &str, now: i64, not_before: i64) -> Res<bool> {
        let batcher = self.nonce_batcher.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            // The worker holds the pool, not the store: when the last store goes, so does it.
            tokio::spawn(write_batches(self.pool.clone(), self.backend, rx));
            tx
        });
        let (answer, answered) = oneshot::channel();
        let ask = Ask {
            hash: nonce_hash(nonce),
            now,
            not_before,
            answer,
        };
        let stopped = || DomainError::Unavailable("the nonce writer stopped".into());
        batcher.send(ask).map_err(|_| stopped())?;
        answered.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// Forgets nonces older than the window.
    pub async fn prune_nonces(&self, not_before: i64) -> Res<u64> {
        prune(&self.pool, not_before).await
    }
}

async fn write_batches(pool: AnyPool, backend: Backend, mut rx: mpsc::UnboundedReceiver<Ask>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // PostgreSQL: a connection of the writer's own, whose session commits without waiting for
    // the disk, so that a batch is one statement and one round trip (taken again after an error).
    let mut own: Option<AnyConnection> = None;
    let mut pruned = Instant::now();
    let mut pruning: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        let n = tokio::select! {
            n = rx.recv_many(&mut batch, MAX_BATCH) => n,
            // A closed pool ends the writer, and with it the connection it kept aside.
            () = pool.close_event() => 0,
        };
        if n == 0 {
            break;
        }
        let asks = std::mem::take(&mut batch);
        let hashes: Vec<i64> = asks.iter().map(|a| a.hash).collect();
        let first = first_in_batch(&hashes);
        let sent: Vec<&Ask> = asks
            .iter()
            .zip(&first)
            .filter(|(_, f)| **f)
            .map(|(a, _)| a)
            .collect();
        // The earliest window start of the batch: a nonce seen within any ask's window stays
        // spent for all of them (the safe side; they differ by a second at most).
        let not_before = asks.iter().map(|a| a.not_before).min().unwrap_or(0);
        let fresh = match backend {
            Backend::Postgres => match session(&pool, &mut own).await {
                Ok(conn) => {
                    let r = write(conn, backend, &sent, not_before).await;
                    if r.is_err() {
                        own = None;
                    }
                    r
                }
                Err(e) => Err(e),
            },
            Backend::Sqlite => match pool.begin().await.map_err(unavailable) {
                Ok(mut tx) => match write(&mut tx, backend, &sent, not_before).await {
                    Ok(f) => tx.commit().await.map_err(unavailable).map(|()| f),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            },
        };
        for (ask, first) in asks.into_iter().zip(first) {
            let r = match &fresh {
                Ok(f) => Ok(first && f.contains(&ask.hash)),
                Err(e) => Err(same_error(e)),
            };
            let _ = ask.answer.send(r);
        }
        // On a pool connection of its own, beside the writer: a minute of expired nonces may
        // take seconds to delete, and no signed call should wait on that. One at a time.
        if pruned.elapsed() >= PRUNE_EVERY && pruning.as_ref().is_none_or(|p| p.is_finished()) {
            pruned = Instant::now();
            let pool = pool.clone();
            pruning = Some(tokio::spawn(async move {
                if let Err(e) = prune(&pool, not_before).await {
                    tracing::warn!(error = %e, "forgetting expired nonces failed; tried again in a minute");
                }
            }));
        }
    }
}

/// Forgets the nonces seen before `not_before` (spent for no call that can still come).
async fn prune(pool: &AnyPool, not_before: i64) -> Res<u64> {
    let r = sqlx::query("DELETE FROM nonces WHERE seen_at < $1")
        .bind(not_before)
        .execute(pool)
        .await
        .map_err(unavailable)?;
    Ok(r.rows_affected())
}

/// The batch's error, for each of its calls (a store error is internal or unavailable).
fn same_error(e: &DomainError) -> DomainError {
    match e {
        DomainError::Unavailable(m) => DomainError::Unavailable(m.clone()),
        DomainError::Internal(m) => DomainError::Internal(m.clone()),
        other => DomainError::Internal(other.to_string()),
    }
}

/// The writer's own PostgreSQL connection, opened (out of the pool's count) when missing.
async fn session<'c>(
    pool: &AnyPool,
    own: &'c mut Option<AnyConnection>,
) -> Res<&'c mut AnyConnection> {
    if own.is_none() {
        let mut conn = pool.acquire().await.map_err(unavailable)?.detach();
        sqlx::query("SET synchronous_commit = off")
            .execute(&mut conn)
            .await
            .map_err(unavailable)?;
        *own = Some(conn);
    }
    own.as_mut()
        .ok_or_else(|| DomainError::Internal("no nonce connection".into()))
}

/// One statement for the whole batch; returns the hashes it recorded (new, or seen only
/// before the window). Every row takes the batch's latest time: kept a second longer at most.
async fn write(
    conn: &mut AnyConnection,
    backend: Backend,
    asks: &[&Ask],
    not_before: i64,
) -> Res<HashSet<i64>> {
    let now = asks.iter().map(|a| a.now).max().unwrap_or(0);
    let rows = match backend {
        // One text of the whole batch, so that the statement is the same whatever the batch's
        // size and stays prepared on the connection.
        Backend::Postgres => {
            let batch: Vec<String> = asks.iter().map(|a| a.hash.to_string()).collect();
            sqlx::query(
                "INSERT INTO nonces (h, seen_at)
                 SELECT h::bigint, $2 FROM unnest(string_to_array($1, ',')) AS h
                 ON CONFLICT (h) DO UPDATE SET seen_at = excluded.seen_at WHERE nonces.seen_at < $3
                 RETURNING h",
            )
            .bind(batch.join(","))
            .bind(now)
            .bind(not_before)
            .fetch_all(&mut *conn)
            .await
        }
        Backend::Sqlite => {
            let sql = format!(
                "INSERT INTO nonces (h, seen_at) VALUES {}
                 ON CONFLICT (h) DO UPDATE SET seen_at = excluded.seen_at WHERE nonces.seen_at < ?
                 RETURNING h",
                values_placeholders(backend, asks.len(), 2)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for a in asks {
                q = q.bind(a.hash).bind(now);
            }
            q.bind(not_before).fetch_all(&mut *conn).await
        }
    }
    .map_err(unavailable)?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>(0).map_err(unavailable))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::first_in_batch;

    #[test]
    fn a_nonce_twice_in_a_batch_is_sent_once() {
        assert_eq!(
            first_in_batch(&[1, 2, 1, 3, 2]),
            [true, true, false, true, false]
        );
        assert!(first_in_batch(&[]).is_empty());
    }
}
