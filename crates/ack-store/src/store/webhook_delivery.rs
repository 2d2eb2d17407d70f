//! What the webhook deliverer reads and writes: a lease per webhook, its oldest pending delivery,
//! each attempt's outcome, and the cursor as how far it got.

use super::webhooks::{Attempt, DeliveryRecord, WebhookRecord, delivery_row, webhook_row};
use super::{Backend, Res, Store};
use crate::unavailable;
use ack_domain::event::EventRecord;

impl Store {
    /// Frees every webhook lease: a single-process store calls it at start-up.
    pub async fn release_webhook_leases(&self) -> Res<()> {
        sqlx::query("UPDATE webhooks SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL")
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Takes (or keeps) the lease on every webhook no other deliverer holds.
    pub async fn claim_webhooks(
        &self,
        owner: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Res<Vec<WebhookRecord>> {
        let sql = match self.backend {
            Backend::Postgres => {
                "UPDATE webhooks SET lease_owner = $1, lease_until = $2 WHERE webhook_id IN (
                 SELECT webhook_id FROM webhooks WHERE lease_owner = $1 OR lease_until IS NULL OR lease_until < $3
                 FOR UPDATE SKIP LOCKED) RETURNING *"
            }
            Backend::Sqlite => {
                "UPDATE webhooks SET lease_owner = $1, lease_until = $2
                 WHERE lease_owner = $1 OR lease_until IS NULL OR lease_until < $3 RETURNING *"
            }
        };
        if !super::webhooks::any_webhook(&self.pool).await? {
            return Ok(Vec::new());
        }
        let _turn = self.write_turn().await;
        sqlx::query(sql)
            .bind(owner)
            .bind(until_ms)
            .bind(now_ms)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?
            .iter()
            .map(webhook_row)
            .collect()
    }

    /// The webhook's oldest pending delivery, which goes before every later one: the event order.
    pub async fn pending_delivery(
        &self,
        webhook: &str,
    ) -> Res<Option<(DeliveryRecord, EventRecord)>> {
        let row = sqlx::query("SELECT * FROM webhook_deliveries WHERE webhook_id = $1 AND state = 'pending' ORDER BY event_id LIMIT 1")
            .bind(webhook)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        let Some(d) = row.as_ref().map(delivery_row).transpose()? else {
            return Ok(None);
        };
        let e = self.event_by_id(d.event_id).await?;
        Ok(e.map(|e| (d, e)))
    }

    async fn move_cursor(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: &str,
        owner: &str,
        to: i64,
    ) -> Res<()> {
        sqlx::query("UPDATE webhooks SET cursor = $1 WHERE webhook_id = $2 AND lease_owner = $3 AND cursor < $1")
            .bind(to)
            .bind(id)
            .bind(owner)
            .execute(&mut **tx)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Records an attempt; a delivered or given-up event moves the cursor past it.
    pub async fn record_attempt(
        &self,
        webhook: &str,
        owner: &str,
        event_id: i64,
        now_ms: i64,
        a: &Attempt,
    ) -> Res<()> {
        let (state, status, error, next, delivered) = match a {
            Attempt::Delivered { status } => ("delivered", *status, "", now_ms, Some(now_ms)),
            Attempt::Retry {
                status,
                error,
                next_attempt_ms,
            } => ("pending", *status, error.as_str(), *next_attempt_ms, None),
            Attempt::GaveUp { status, error } => ("failed", *status, error.as_str(), now_ms, None),
        };
        let (_turn, mut tx) = self.write_tx().await?;
        let r = sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, state = $1, last_status = $2, last_error = $3,
               next_attempt_ms = $4, delivered_ms = $5
             WHERE webhook_id = $6 AND event_id = $7 AND state = 'pending'
               AND EXISTS (SELECT 1 FROM webhooks WHERE webhook_id = $6 AND lease_owner = $8)",
        )
        .bind(state)
        .bind(i64::from(status))
        .bind(error)
        .bind(next)
        .bind(delivered)
        .bind(webhook)
        .bind(event_id)
        .bind(owner)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        if r.rows_affected() == 1 && state != "pending" {
            self.move_cursor(&mut tx, webhook, owner, event_id).await?;
        }
        tx.commit().await.map_err(unavailable)
    }
}
