//! InstallClusterAddons, UpgradeClusterAddons, UnInstallClusterAddons, ModifyClusterAddon: each
//! checks the request, then records one task that the engine runs.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_domain::lifecycle::{AddonChange, plan};
use ack_domain::task::{Operation, Task};
use ack_store::TaskStart;
use ack_wire::dto::{AddonChangeRequest, ModifyAddonRequest, TaskStarted};

/// The body of Install/Upgrade/UnInstall: a JSON array at the top level.
fn changes(ctx: &Ctx, op: Operation) -> Result<Vec<AddonChange>, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(&ctx.body)
        .map_err(|e| ApiError::invalid("body", format!("it is not valid JSON: {e}")))?;
    if !value.is_array() {
        return Err(ApiError::invalid(
            "body",
            "it must be a JSON array of add-ons",
        ));
    }
    let items: Vec<AddonChangeRequest> = serde_json::from_value(value)
        .map_err(|e| ApiError::invalid("body", format!("not the expected JSON: {e}")))?;
    if let Some((i, p)) = items.iter().enumerate().find_map(|(i, c)| {
        c.policy
            .as_deref()
            .filter(|p| !["", "overwrite", "canary"].contains(p))
            .map(|p| (i, p))
    }) {
        return Err(ApiError::invalid(
            &format!("body[{i}].policy"),
            format!("{p:?} is not overwrite or canary"),
        ));
    }
    Ok(items
        .into_iter()
        .map(|i| match op {
            Operation::Upgrade => AddonChange {
                name: i.component_name.or(i.name).unwrap_or_default(),
                version: i.next_version,
                config: i.config,
            },
            _ => AddonChange {
                name: i.name.or(i.component_name).unwrap_or_default(),
                version: i.version,
                config: i.config,
            },
        })
        .collect())
}

async fn start(
    st: &AppState,
    ctx: &Ctx,
    op: Operation,
    changes: &[AddonChange],
) -> Result<Reply, ApiError> {
    let id = ctx.cluster_id()?;
    // Only names the catalog lists reach the database (the plan refuses the others, and a name
    // such as one holding a NUL byte is no text PostgreSQL takes).
    let names: Vec<&str> = changes
        .iter()
        .map(|c| c.name.as_str())
        .filter(|n| st.catalog.get(n).is_some())
        .collect();
    let ca = st
        .store
        .cluster_addons_named(&ctx.account, &id, &names)
        .await?;
    let addons = plan(&st.catalog, &ca.cluster, &ca.instances, op, changes)?;
    // A friendly refusal first; the store's unique index is what guarantees it.
    for a in &addons {
        if let Some(s) = ca
            .statuses
            .iter()
            .find(|s| s.component == a.component && s.status.in_flight())
        {
            return Err(ack_domain::DomainError::AddonBusy {
                name: a.component.to_string(),
                task: s.task_id.to_string(),
            }
            .into());
        }
    }
    let task = Task::new(
        &ctx.account,
        &id,
        &format!("addon_{}", op.as_str()),
        ctx.now,
        addons,
    );
    st.store.start_task(&task, TaskStart::Addons).await?;
    super::task_runnable(st).await;
    Reply::json(&TaskStarted {
        cluster_id: id.to_string(),
        request_id: ctx.request_id.clone(),
        task_id: task.id.to_string(),
    })
}

pub async fn install(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    start(
        st,
        ctx,
        Operation::Install,
        &changes(ctx, Operation::Install)?,
    )
    .await
}

pub async fn upgrade(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    start(
        st,
        ctx,
        Operation::Upgrade,
        &changes(ctx, Operation::Upgrade)?,
    )
    .await
}

pub async fn uninstall(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    start(
        st,
        ctx,
        Operation::Uninstall,
        &changes(ctx, Operation::Uninstall)?,
    )
    .await
}

pub async fn modify(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let req: ModifyAddonRequest = ctx.json_object()?;
    let change = AddonChange {
        name: ctx.addon_name()?.to_string(),
        version: None,
        config: req.config,
    };
    start(st, ctx, Operation::Modify, &[change]).await
}
