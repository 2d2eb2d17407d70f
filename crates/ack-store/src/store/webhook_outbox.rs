//! The webhooks' outbox: in the transaction that logs events, a pending delivery of each to every
//! webhook of its account that wants it, so that an event is delivered if and only if it was
//! committed.

use super::sets::{LoggedRow, accounts};
use super::webhooks::err;
use super::{Backend, Res};
use crate::unavailable;
use ack_domain::webhook::wants;
use sqlx::{AssertSqlSafe, Row};

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
    super::sql::write_chunks(
        tx,
        backend,
        ("WITH v (w, e, t, ms) AS (VALUES {})
         INSERT INTO webhook_deliveries (webhook_id, event_id, type, attempts, state, last_status, last_error, first_ms, next_attempt_ms)
         SELECT v.w, v.e, v.t, 0, 'pending', 0, '', v.ms, v.ms FROM v", 4),
        &due,
        |q, (id, e)| {
            q.bind(id.to_string())
                .bind(e.event_id)
                .bind(e.kind.clone())
                .bind(e.time_ms)
        },
        unavailable,
    )
    .await
}
