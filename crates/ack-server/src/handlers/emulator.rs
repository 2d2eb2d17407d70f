//! The emulator's fault injection: `POST /_emulator/faults` arms a fault for the next matching
//! stage; `DELETE /_emulator/faults` disarms every fault of the caller's account.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_domain::ClusterId;
use ack_domain::task::{Fault, Operation, ROLLBACK_STAGE, STAGES};
use ack_wire::dto::FaultRequest;

pub async fn inject(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let req: FaultRequest = ctx.json_object()?;
    let cluster_id = ClusterId::parse(req.cluster_id.as_deref().unwrap_or(""))?;
    let op = req.operation.as_deref().unwrap_or("");
    let operation = Operation::parse(op).ok_or_else(|| {
        ApiError::invalid(
            "operation",
            format!("{op:?} is not one of install, upgrade, uninstall, modify"),
        )
    })?;
    let stage = req.stage.unwrap_or_default();
    if !STAGES.contains(&stage.as_str()) && stage != ROLLBACK_STAGE {
        return Err(ApiError::invalid(
            "stage",
            format!("{stage:?} is not one of {STAGES:?} or {ROLLBACK_STAGE:?}"),
        ));
    }
    let error_code = req
        .error_code
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("error_code", "it is required"))?;
    for (param, v) in [
        ("component", req.component.as_deref()),
        ("message", req.message.as_deref()),
        ("error_code", Some(error_code.as_str())),
    ] {
        ack_domain::name::check_text(param, v.unwrap_or(""), 256)?;
    }
    let fault = Fault {
        cluster_id,
        component: req.component.unwrap_or_default(),
        operation,
        stage,
        message: req
            .message
            .unwrap_or_else(|| format!("injected fault {error_code}")),
        error_code,
    };
    st.store.add_fault(&ctx.account, &fault).await?;
    Ok(Reply::empty())
}

pub async fn clear(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let cleared = st.store.clear_faults(&ctx.account).await?;
    Reply::json(&ack_wire::dto::FaultsCleared { cleared })
}
