//! ModifyClusterTags: `POST /clusters/{ClusterId}/tags` with a JSON array of `{key, value}`, as
//! the SDKs send it; the given keys take the given values, other keys stay. The SDK model reads
//! no body, so the answer is `{}` (with the request id header, as every answer).

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_domain::{Tag, tag};
use ack_wire::dto::TagRequest;

/// A tag list from the wire, each checked (`{param}[i].key` in errors).
pub fn parse(param: &str, raw: &[TagRequest]) -> Result<Vec<Tag>, ApiError> {
    Ok(tag::parse_list(
        param,
        raw.iter().map(|t| (t.key.as_deref(), t.value.as_deref())),
    )?)
}

pub async fn modify(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let id = ctx.cluster_id()?;
    let raw: Vec<TagRequest> = serde_json::from_slice(&ctx.body).map_err(|e| {
        ApiError::invalid(
            "body",
            format!("it must be a JSON array of {{key, value}}: {e}"),
        )
    })?;
    let tags = parse("body", &raw)?;
    st.store
        .modify_cluster_tags(&ctx.account, &id, &tags, ctx.now)
        .await?;
    Ok(Reply::empty())
}
