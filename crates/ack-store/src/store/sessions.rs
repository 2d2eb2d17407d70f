//! Console sessions, keyed by the SHA-256 of the cookie's token (the console hashes it), so that
//! every replica sees every login and a copy of the database opens none.

use super::{Res, Store};
use crate::unavailable;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub account: String,
    pub access_key_id: String,
    /// The token every changing form must carry (compared in constant time by the console).
    pub csrf: String,
    pub created_ms: i64,
    pub expires_ms: i64,
}

impl Store {
    /// Records a login, and forgets the sessions that have expired.
    pub async fn create_session(&self, token_hash: &str, s: &SessionRecord) -> Res<()> {
        let (_turn, mut tx) = self.write_tx().await?;
        sqlx::query("DELETE FROM console_sessions WHERE expires_ms <= $1")
            .bind(s.created_ms)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        sqlx::query(
            "INSERT INTO console_sessions (token_hash, account, access_key_id, csrf, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash)
        .bind(&s.account)
        .bind(&s.access_key_id)
        .bind(&s.csrf)
        .bind(s.created_ms)
        .bind(s.expires_ms)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(())
    }

    /// The session, unless it is unknown or has expired by `now_ms`.
    pub async fn session(&self, token_hash: &str, now_ms: i64) -> Res<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT account, access_key_id, csrf, created_ms, expires_ms FROM console_sessions WHERE token_hash = $1 AND expires_ms > $2",
        )
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        let Some(r) = row else { return Ok(None) };
        let get = |c: &str| r.try_get::<String, _>(c).map_err(unavailable);
        Ok(Some(SessionRecord {
            account: get("account")?,
            access_key_id: get("access_key_id")?,
            csrf: get("csrf")?,
            created_ms: r.try_get("created_ms").map_err(unavailable)?,
            expires_ms: r.try_get("expires_ms").map_err(unavailable)?,
        }))
    }

    /// Logout: the session is gone on every replica at once.
    pub async fn delete_session(&self, token_hash: &str) -> Res<()> {
        let _turn = self.write_turn().await;
        sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
