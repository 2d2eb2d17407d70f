//! One exhaustive `match` from action to handler.

mod addons;
mod clusters;
mod instances;
mod status;
mod tasks;

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_wire::Action;

pub async fn dispatch(st: &AppState, action: Action, ctx: &Ctx) -> Result<Reply, ApiError> {
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
    }
}
