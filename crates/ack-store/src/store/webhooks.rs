//! Webhooks: subscriptions, their deliveries (an outbox: a pending row per wanted event, written
//! with the event in the change's transaction), and what the deliverer reads and writes (a lease
//! per webhook, its oldest pending row first, the cursor as how far it got).

use super::sets::{LoggedRow, accounts};
use super::{Backend, Res, Store};
use crate::unavailable;
use ack_domain::DomainError;
use ack_domain::event::EventRecord;
use ack_domain::webhook::{WebhookSecret, wants};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

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

fn err(e: sqlx::Error) -> DomainError {
    DomainError::Internal(e.to_string())
}

fn webhook_row(r: &AnyRow) -> Res<WebhookRecord> {
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

fn delivery_row(r: &AnyRow) -> Res<DeliveryRecord> {
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

/// The outbox: a pending delivery, for each of the account's webhooks that wants `kind`, of the
/// event just logged in `tx`.
pub(crate) async fn enqueue(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    event_id: i64,
    account: &str,
    kind: &str,
    time_ms: i64,
) -> Res<()> {
    let row = LoggedRow {
        event_id,
        account: account.to_string(),
        kind: kind.to_string(),
        time_ms,
    };
    enqueue_all(tx, std::slice::from_ref(&row)).await
}

/// The outbox for events just logged in `tx`: one lookup of their accounts' webhooks, one
/// insert of the deliveries due (each webhook that wants the event's type, by the domain's one
/// rule for patterns).
pub(crate) async fn enqueue_all(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    logged: &[LoggedRow],
) -> Res<()> {
    let accounts = accounts(logged);
    if accounts.is_empty() {
        return Ok(());
    }
    let backend = Backend::of(tx);
    let sql = format!(
        "SELECT webhook_id, account, events FROM webhooks WHERE account IN {}",
        super::values_placeholders(backend, 1, accounts.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for a in &accounts {
        q = q.bind(*a);
    }
    let hooks = q.fetch_all(&mut **tx).await.map_err(unavailable)?;
    if hooks.is_empty() {
        return Ok(());
    }
    let mut wanted: Vec<(String, Vec<String>, String)> = Vec::new();
    for h in hooks {
        let events: String = h.try_get("events").map_err(err)?;
        wanted.push((
            h.try_get("webhook_id").map_err(err)?,
            serde_json::from_str(&events).unwrap_or_default(),
            h.try_get("account").map_err(err)?,
        ));
    }
    let due: Vec<(&str, &LoggedRow)> = logged
        .iter()
        .flat_map(|e| {
            wanted
                .iter()
                .filter(move |(_, patterns, account)| {
                    *account == e.account && wants(patterns, &e.kind)
                })
                .map(move |(id, _, _)| (id.as_str(), e))
        })
        .collect();
    super::each_chunk(
        tx,
        backend,
        "WITH v (w, e, t, ms) AS (VALUES {})
         INSERT INTO webhook_deliveries (webhook_id, event_id, type, attempts, state, last_status, last_error, first_ms, next_attempt_ms)
         SELECT v.w, v.e, v.t, 0, 'pending', 0, '', v.ms, v.ms FROM v",
        4,
        &due,
        |q, (id, e)| {
            q.bind(id.to_string())
                .bind(e.event_id)
                .bind(e.kind.clone())
                .bind(e.time_ms)
        },
    )
    .await
    .map(drop)
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
        let any: Option<i64> = sqlx::query_scalar("SELECT 1 FROM webhooks LIMIT 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        if any.is_none() {
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
