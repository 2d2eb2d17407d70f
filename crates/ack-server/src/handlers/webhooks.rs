//! CreateWebhook, ListWebhooks, DeleteWebhook, DescribeWebhookDeliveries. Delivery itself is
//! `ack_events::webhooks`.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_domain::webhook::{WebhookSecret, parse_patterns, parse_url};
use ack_store::WebhookRecord;
use ack_wire::dto::{
    CreateWebhookRequest, DeliveriesPage, DeliveryEntry, PageInfo, WebhookCreated, WebhookEntry,
    WebhookList,
};
use ack_wire::time::{ZERO_TIME, rfc3339_ms_or_zero};

fn webhook_id(ctx: &Ctx) -> Result<String, ApiError> {
    let id = ctx.param("webhook_id");
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(ApiError::invalid(
            "WebhookId",
            format!("{id:?} is not a webhook id"),
        ));
    }
    Ok(id.to_string())
}

pub async fn create(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let req: CreateWebhookRequest = ctx.json_object()?;
    let url = req.url.unwrap_or_default();
    parse_url(&url)?;
    let events = parse_patterns(&req.events.unwrap_or_else(|| vec!["*".into()]))?;
    let secret = WebhookSecret::parse_or_generate(req.secret.as_deref())?;
    let hex = uuid::Uuid::new_v4().simple().to_string();
    let w = WebhookRecord {
        id: format!("W-{}", &hex[..24]),
        account: ctx.account.clone(),
        url,
        events,
        secret,
        created_ms: ctx.now * 1000,
        // Only what happens from now on.
        cursor: st.store.last_event_id().await?,
    };
    st.store.create_webhook(&w).await?;
    Reply::json(&WebhookCreated {
        webhook_id: w.id,
        secret: w.secret.expose().to_string(),
        request_id: ctx.request_id.clone(),
    })
}

pub async fn list(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let hooks = st.store.webhooks(&ctx.account).await?;
    Reply::json(&WebhookList {
        webhooks: hooks
            .into_iter()
            .map(|w| WebhookEntry {
                webhook_id: w.id,
                url: w.url,
                events: w.events,
                created: rfc3339_ms_or_zero(Some(w.created_ms)),
            })
            .collect(),
        request_id: ctx.request_id.clone(),
    })
}

pub async fn delete(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    st.store
        .delete_webhook(&ctx.account, &webhook_id(ctx)?)
        .await?;
    Ok(Reply::empty())
}

pub async fn deliveries(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let (page_number, page_size) = ctx.page(50, 100)?;
    let (rows, total) = st
        .store
        .deliveries(&ctx.account, &webhook_id(ctx)?, page_number, page_size)
        .await?;
    Reply::json(&DeliveriesPage {
        deliveries: rows
            .into_iter()
            .map(|d| DeliveryEntry {
                event_id: d.event_id.to_string(),
                kind: d.kind,
                attempts: d.attempts,
                next_attempt: if d.state == "pending" {
                    rfc3339_ms_or_zero(Some(d.next_attempt_ms))
                } else {
                    ZERO_TIME.to_string()
                },
                state: d.state,
                last_status: d.last_status,
                last_error: d.last_error,
                delivered: rfc3339_ms_or_zero(d.delivered_ms),
            })
            .collect(),
        page_info: PageInfo {
            page_number,
            page_size,
            total_count: total,
        },
        request_id: ctx.request_id.clone(),
    })
}
