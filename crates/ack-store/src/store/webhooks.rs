//! Webhooks: subscriptions and their deliveries as the API sees them. The outbox (a pending row
//! per wanted event, written with the event in the change's transaction) is `webhook_outbox.rs`;
//! what the deliverer reads and writes (a lease per webhook, its oldest pending row first, the
//! cursor as how far it got) is `webhook_delivery.rs`.

use super::{Res, Store};
use crate::unavailable;
use ack_domain::DomainError;
use ack_domain::webhook::WebhookSecret;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct WebhookRecord {
    pub id: String,
    pub account: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: WebhookSecret,
    pub created_ms: i64,
    /// The last event id handled (delivered, given up, or not wanted).
    pub cursor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub event_id: i64,
    pub kind: String,
    pub attempts: u32,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub last_status: u16,
    pub last_error: String,
    pub first_ms: i64,
    pub next_attempt_ms: i64,
    pub delivered_ms: Option<i64>,
}

/// How one attempt went.
pub enum Attempt {
    Delivered {
        status: u16,
    },
    Retry {
        status: u16,
        error: String,
        next_attempt_ms: i64,
    },
    GaveUp {
        status: u16,
        error: String,
    },
}

/// Whether any webhook exists at all: without one there is nothing to deliver or to queue.
pub(crate) async fn any_webhook<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
) -> Res<bool> {
    let any: Option<i64> = sqlx::query_scalar("SELECT 1 FROM webhooks LIMIT 1")
        .fetch_optional(e)
        .await
        .map_err(unavailable)?;
    Ok(any.is_some())
}

pub(crate) fn err(e: sqlx::Error) -> DomainError {
    DomainError::Internal(e.to_string())
}

pub(crate) fn webhook_row(r: &AnyRow) -> Res<WebhookRecord> {
    let events: String = r.try_get("events").map_err(err)?;
    Ok(WebhookRecord {
        id: r.try_get("webhook_id").map_err(err)?,
        account: r.try_get("account").map_err(err)?,
        url: r.try_get("url").map_err(err)?,
        events: serde_json::from_str(&events)
            .map_err(|_| DomainError::Internal(format!("stored events {events:?}")))?,
        secret: WebhookSecret::stored(r.try_get("secret").map_err(err)?),
        created_ms: r.try_get("created_ms").map_err(err)?,
        cursor: r.try_get("cursor").map_err(err)?,
    })
}

pub(crate) fn delivery_row(r: &AnyRow) -> Res<DeliveryRecord> {
    Ok(DeliveryRecord {
        event_id: r.try_get("event_id").map_err(err)?,
        kind: r.try_get("type").map_err(err)?,
        attempts: u32::try_from(r.try_get::<i64, _>("attempts").map_err(err)?).unwrap_or(0),
        state: r.try_get("state").map_err(err)?,
        last_status: u16::try_from(r.try_get::<i64, _>("last_status").map_err(err)?).unwrap_or(0),
        last_error: r.try_get("last_error").map_err(err)?,
        first_ms: r.try_get("first_ms").map_err(err)?,
        next_attempt_ms: r.try_get("next_attempt_ms").map_err(err)?,
        delivered_ms: r.try_get("delivered_ms").map_err(err)?,
    })
}

impl Store {
    pub async fn create_webhook(&self, w: &WebhookRecord) -> Res<()> {
        let _turn = self.write_turn().await;
        sqlx::query(
            "INSERT INTO webhooks (webhook_id, account, url, events, secret, created_ms, cursor) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&w.id)
        .bind(&w.account)
        .bind(&w.url)
        .bind(serde_json::to_string(&w.events).unwrap_or_else(|_| "[]".into()))
        .bind(w.secret.expose())
        .bind(w.created_ms)
        .bind(w.cursor)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }

    /// The account's webhooks, oldest first.
    pub async fn webhooks(&self, account: &str) -> Res<Vec<WebhookRecord>> {
        sqlx::query("SELECT * FROM webhooks WHERE account = $1 ORDER BY created_ms, webhook_id")
            .bind(account)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?
            .iter()
            .map(webhook_row)
            .collect()
    }

    async fn own_webhook(&self, account: &str, id: &str) -> Res<()> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM webhooks WHERE webhook_id = $1 AND account = $2")
                .bind(id)
                .bind(account)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        found
            .map(|_| ())
            .ok_or_else(|| DomainError::WebhookNotFound(id.to_string()))
    }

    pub async fn delete_webhook(&self, account: &str, id: &str) -> Res<()> {
        self.own_webhook(account, id).await?;
        let (_turn, mut tx) = self.write_tx().await?;
        for sql in [
            "DELETE FROM webhook_deliveries WHERE webhook_id = $1",
            "DELETE FROM webhooks WHERE webhook_id = $1",
        ] {
            sqlx::query(sql)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)
    }

    /// DescribeWebhookDeliveries: newest event first.
    pub async fn deliveries(
        &self,
        account: &str,
        id: &str,
        page_number: u32,
        page_size: u32,
    ) -> Res<(Vec<DeliveryRecord>, u64)> {
        self.own_webhook(account, id).await?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await
                .map_err(unavailable)?;
        let rows = sqlx::query("SELECT * FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY event_id DESC LIMIT $2 OFFSET $3")
            .bind(id)
            .bind(i64::from(page_size))
            .bind(i64::from(page_number.saturating_sub(1)) * i64::from(page_size))
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok((
            rows.iter().map(delivery_row).collect::<Res<_>>()?,
            u64::try_from(total).unwrap_or(0),
        ))
    }
}
