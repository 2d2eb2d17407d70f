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

use super::{Backend, Res, Store, values_placeholders};
use crate::unavailable;
use ack_domain::DomainError;
use sqlx::{AnyConnection, AnyPool, AssertSqlSafe, Row};
use std::collections::HashSet;
use tokio::sync::{mpsc, oneshot};

/// Rows per statement (two values each, far below either back end's parameter limit).
const MAX_BATCH: usize = 512;

pub(crate) struct Ask {
    nonce: String,
    now: i64,
    not_before: i64,
    answer: oneshot::Sender<Res<bool>>,
}

pub(crate) type Batcher = mpsc::UnboundedSender<Ask>;

/// For each request of a batch, whether it goes to the database: a nonce asked for twice in
/// one batch is sent once, and its later asks are replays whatever the database says.
fn first_in_batch(nonces: &[&str]) -> Vec<bool> {
    let mut seen = HashSet::with_capacity(nonces.len());
    nonces.iter().map(|n| seen.insert(*n)).collect()
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
            nonce: nonce.to_string(),
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
        let r = sqlx::query("DELETE FROM nonces WHERE seen_at < $1")
            .bind(not_before)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(r.rows_affected())
    }
}

async fn write_batches(pool: AnyPool, backend: Backend, mut rx: mpsc::UnboundedReceiver<Ask>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // PostgreSQL: a connection of the writer's own, whose session commits without waiting for
    // the disk, so that a batch is one statement and one round trip (taken again after an error).
    let mut own: Option<AnyConnection> = None;
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
        let nonces: Vec<&str> = asks.iter().map(|a| a.nonce.as_str()).collect();
        let first = first_in_batch(&nonces);
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
                Ok(f) => Ok(first && f.contains(ask.nonce.as_str())),
                Err(e) => Err(same_error(e)),
            };
            let _ = ask.answer.send(r);
        }
    }
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

/// One statement for the whole batch; returns the nonces it recorded (new, or seen only
/// before the window).
async fn write(
    conn: &mut AnyConnection,
    backend: Backend,
    asks: &[&Ask],
    not_before: i64,
) -> Res<HashSet<String>> {
    let rows = match backend {
        // One text of the whole batch (a JSON array of [nonce, seen_at]), so that the statement
        // is the same whatever the batch's size and stays prepared on the connection.
        Backend::Postgres => {
            let batch: Vec<(&str, i64)> = asks.iter().map(|a| (a.nonce.as_str(), a.now)).collect();
            let batch = serde_json::to_string(&batch)
                .map_err(|e| DomainError::Internal(e.to_string()))?;
            sqlx::query(
                "INSERT INTO nonces (nonce, seen_at)
                 SELECT e->>0, (e->>1)::bigint FROM json_array_elements($1::json) AS e
                 ON CONFLICT (nonce) DO UPDATE SET seen_at = excluded.seen_at WHERE nonces.seen_at < $2
                 RETURNING nonce",
            )
            .bind(batch)
            .bind(not_before)
            .fetch_all(&mut *conn)
            .await
        }
        Backend::Sqlite => {
            let sql = format!(
                "INSERT INTO nonces (nonce, seen_at) VALUES {}
                 ON CONFLICT (nonce) DO UPDATE SET seen_at = excluded.seen_at WHERE nonces.seen_at < ?
                 RETURNING nonce",
                values_placeholders(backend, asks.len(), 2)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for a in asks {
                q = q.bind(a.nonce.as_str()).bind(a.now);
            }
            q.bind(not_before).fetch_all(&mut *conn).await
        }
    }
    .map_err(unavailable)?;
    rows.iter()
        .map(|r| r.try_get::<String, _>(0).map_err(unavailable))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::first_in_batch;

    #[test]
    fn a_nonce_twice_in_a_batch_is_sent_once() {
        assert_eq!(
            first_in_batch(&["a", "b", "a", "c", "b"]),
            [true, true, false, true, false]
        );
        assert!(first_in_batch(&[]).is_empty());
    }
}
