//! DescribeClusterEvents and DescribeEvents: the account's event log, newest first.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_domain::TaskId;
use ack_domain::event::{EventRecord, is_known_pattern};
use ack_store::EventFilter;
use ack_wire::dto::{EventData, EventEntry, EventsPage, PageInfo};
use ack_wire::time::rfc3339;

fn entry(e: EventRecord) -> EventEntry {
    EventEntry {
        event_id: e.id.to_string(),
        subject: if e.task_id.is_empty() {
            e.rollout_id
        } else {
            e.task_id
        },
        kind: e.kind,
        source: "ack-addons".into(),
        time: rfc3339(e.time_ms / 1000),
        cluster_id: e.cluster_id,
        data: EventData {
            level: e.level,
            reason: e.reason,
            message: e.message,
        },
    }
}

async fn page(st: &AppState, ctx: &Ctx, filter: EventFilter) -> Result<Reply, ApiError> {
    let (page_number, page_size) = ctx.page(50, 100)?;
    let (events, total) = st
        .store
        .events(&ctx.account, &filter, page_number, page_size)
        .await?;
    Reply::json(&EventsPage {
        events: events.into_iter().map(entry).collect(),
        page_info: PageInfo {
            page_number,
            page_size,
            total_count: total,
        },
        request_id: ctx.request_id.clone(),
    })
}

pub async fn cluster(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let cluster = ctx.cluster_id()?;
    st.store.cluster(&ctx.account, &cluster).await?;
    let task_id = ctx.query("task_id").map(TaskId::parse).transpose()?;
    let filter = EventFilter {
        cluster_id: Some(cluster.to_string()),
        task_id: task_id.map(|t| t.to_string()),
        kind: None,
    };
    page(st, ctx, filter).await
}

/// The `type` filter, if it names a type or a prefix of one.
fn known_type(ctx: &Ctx) -> Result<Option<String>, ApiError> {
    let kind = ctx.query("type").map(str::to_string);
    if let Some(k) = &kind
        && !is_known_pattern(k)
    {
        return Err(ApiError::invalid(
            "type",
            format!(
                "{k:?} is not an event type (such as task.stage), nor a prefix of one ending in *"
            ),
        ));
    }
    Ok(kind)
}

/// DescribeEvents' and StreamEvents' filters: `cluster_id` and `type`.
fn account_filter(ctx: &Ctx) -> Result<EventFilter, ApiError> {
    let cluster_id = ctx
        .query("cluster_id")
        .map(ack_domain::ClusterId::parse)
        .transpose()?;
    Ok(EventFilter {
        cluster_id: cluster_id.map(|c| c.to_string()),
        task_id: None,
        kind: known_type(ctx)?,
    })
}

pub async fn list(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let filter = account_filter(ctx)?;
    page(st, ctx, filter).await
}

/// StreamEvents: Server-Sent Events of the account, from after `Last-Event-ID` (or `after`), or
/// from now on; filtered by `cluster_id` and `type` (a prefix ending in `*` matches several).
pub async fn stream(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let filter = account_filter(ctx)?;
    let after = match ctx.last_event_id.as_deref().or(ctx.query("after")) {
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                ApiError::invalid("Last-Event-ID", format!("{v:?} is not an event id"))
            })?,
        None => st.store.last_event_id().await?,
    };
    let frames = ack_events::follow(
        st.store.clone(),
        ctx.account.clone(),
        filter,
        after,
        st.stream.clone(),
    );
    Ok(Reply::EventStream(axum::body::Body::from_stream(
        tokio_stream::wrappers::ReceiverStream::new(frames),
    )))
}
