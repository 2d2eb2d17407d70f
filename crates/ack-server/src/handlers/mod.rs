//! One exhaustive `match` from action to handler.

mod addons;
mod clusters;
mod control;
mod emulator;
mod events;
mod fleet;
mod instances;
mod lifecycle;
mod rollouts;
mod status;
mod tags;
mod tasks;
mod webhooks;

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_store::ControlRequest;
use ack_wire::Action;

pub async fn dispatch(st: &AppState, action: Action, ctx: &Ctx) -> Result<Reply, ApiError> {
    ctx.check_query()?;
    match action {
        Action::CreateCluster => clusters::create(st, ctx).await,
        Action::DescribeClusterDetail => clusters::describe(st, ctx).await,
        Action::DescribeClustersV1 => clusters::list(st, ctx).await,
        Action::DeleteCluster => clusters::delete(st, ctx).await,
        Action::DescribeTaskInfo => tasks::describe(st, ctx).await,
        Action::DescribeAddons => addons::describe_addons(st, ctx),
        Action::ListAddons => addons::list(st, ctx).await,
        Action::DescribeAddon => addons::describe(st, ctx).await,
        Action::DescribeClusterAddonMetadata => addons::cluster_metadata(st, ctx).await,
        Action::ListClusterAddonInstances => instances::list(st, ctx).await,
        Action::GetClusterAddonInstance => instances::get(st, ctx).await,
        Action::DescribeClusterAddonInstance => instances::describe(st, ctx).await,
        Action::DescribeClusterAddonsVersion => status::versions(st, ctx).await,
        Action::DescribeClusterAddonUpgradeStatus => status::one(st, ctx).await,
        Action::DescribeClusterAddonsUpgradeStatus => status::many(st, ctx).await,
        Action::InstallClusterAddons => lifecycle::install(st, ctx).await,
        Action::UpgradeClusterAddons => lifecycle::upgrade(st, ctx).await,
        Action::UnInstallClusterAddons => lifecycle::uninstall(st, ctx).await,
        Action::ModifyClusterAddon => lifecycle::modify(st, ctx).await,
        Action::CancelComponentUpgrade => control::component(st, ctx, ControlRequest::Cancel).await,
        Action::PauseComponentUpgrade => control::component(st, ctx, ControlRequest::Pause).await,
        Action::ResumeComponentUpgrade => control::component(st, ctx, ControlRequest::Resume).await,
        Action::CancelTask => control::task(st, ctx, ControlRequest::Cancel).await,
        Action::PauseTask => control::task(st, ctx, ControlRequest::Pause).await,
        Action::ResumeTask => control::task(st, ctx, ControlRequest::Resume).await,
        Action::DescribeClusterTasks => tasks::list(st, ctx).await,
        Action::ListClusterAddonInstanceResources => instances::resources(st, ctx).await,
        Action::DescribeClusterEvents => events::cluster(st, ctx).await,
        Action::DescribeEvents => events::list(st, ctx).await,
        Action::StreamEvents => events::stream(st, ctx).await,
        Action::CreateWebhook => webhooks::create(st, ctx).await,
        Action::ListWebhooks => webhooks::list(st, ctx).await,
        Action::DeleteWebhook => webhooks::delete(st, ctx).await,
        Action::DescribeWebhookDeliveries => webhooks::deliveries(st, ctx).await,
        Action::CreateAddonRollout => rollouts::create(st, ctx).await,
        Action::DescribeAddonRollout => rollouts::describe(st, ctx).await,
        Action::ListAddonRollouts => rollouts::list(st, ctx).await,
        Action::DescribeAddonRolloutClusters => rollouts::clusters(st, ctx).await,
        Action::PauseAddonRollout => rollouts::control(st, ctx, "paused").await,
        Action::ResumeAddonRollout => rollouts::control(st, ctx, "resumed").await,
        Action::CancelAddonRollout => rollouts::control(st, ctx, "canceled").await,
        Action::ModifyClusterTags => tags::modify(st, ctx).await,
        Action::DescribeFleetAddons => fleet::describe(st, ctx).await,
        Action::InjectFault => emulator::inject(st, ctx).await,
        Action::ClearFaults => emulator::clear(st, ctx).await,
    }
}

/// A task became runnable: wake this process's engine and, through the database, every other
/// replica's.
async fn task_runnable(st: &AppState) {
    st.signals.wake();
    st.store.notify_tasks().await;
}
