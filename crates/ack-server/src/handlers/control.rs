//! Pause, resume and cancel, by task (PauseTask…) or by add-on (PauseComponentUpgrade…, which
//! act on the add-on's live task).

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_domain::{DomainError, TaskId};
use ack_store::{ControlEffect, ControlRequest};

async fn apply(
    st: &AppState,
    ctx: &Ctx,
    id: &TaskId,
    req: ControlRequest,
) -> Result<Reply, ApiError> {
    match st.store.control(&ctx.account, id, req, ctx.now).await? {
        ControlEffect::Requested if req == ControlRequest::Cancel => {
            // The runner may be in this process or in another replica.
            st.signals.interrupt(id);
            st.store.notify_cancel(id.as_str()).await;
        }
        ControlEffect::Resumed => super::task_runnable(st).await,
        ControlEffect::Requested | ControlEffect::Done => {}
    }
    Ok(Reply::empty())
}

pub async fn task(st: &AppState, ctx: &Ctx, req: ControlRequest) -> Result<Reply, ApiError> {
    apply(st, ctx, &ctx.task_id()?, req).await
}

pub async fn component(st: &AppState, ctx: &Ctx, req: ControlRequest) -> Result<Reply, ApiError> {
    let cluster = ctx.cluster_id()?;
    let name = ctx.addon_name()?;
    let ca = st.store.cluster_addons(&ctx.account, &cluster).await?;
    let Some(id) = st.store.live_task(&ctx.account, &cluster, &name).await? else {
        if !ca.instances.iter().any(|i| i.name == name) {
            return Err(DomainError::addon_not_found(name.as_str()).into());
        }
        return Err(DomainError::TaskState {
            task: format!("of {name}"),
            state: "not running".into(),
            action: "controlled: no task is in flight for it".into(),
        }
        .into());
    };
    apply(st, ctx, &id, req).await
}
