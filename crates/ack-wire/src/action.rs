//! The one enum of actions and the one table of routes (method + path template, as the
//! official SDKs build them; `shared/reference/ack-addon-api.md` §2).

/// Every operation this server answers, spelled as ACK spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    CreateCluster,
    DescribeClusterDetail,
    DescribeClustersV1,
    DeleteCluster,
    DescribeTaskInfo,
    DescribeAddons,
    ListAddons,
    DescribeAddon,
    DescribeClusterAddonMetadata,
    ListClusterAddonInstances,
    GetClusterAddonInstance,
    DescribeClusterAddonInstance,
    DescribeClusterAddonsVersion,
    DescribeClusterAddonUpgradeStatus,
    DescribeClusterAddonsUpgradeStatus,
    InstallClusterAddons,
    UpgradeClusterAddons,
    UnInstallClusterAddons,
    ModifyClusterAddon,
    CancelComponentUpgrade,
    PauseComponentUpgrade,
    ResumeComponentUpgrade,
    CancelTask,
    PauseTask,
    ResumeTask,
    DescribeClusterTasks,
    ListClusterAddonInstanceResources,
    DescribeClusterEvents,
    DescribeEvents,
    /// Ours, in ACK's style: the live event stream (Server-Sent Events).
    StreamEvents,
    CreateWebhook,
    ListWebhooks,
    DeleteWebhook,
    DescribeWebhookDeliveries,
    /// Ours, in ACK's style: fleet rollouts.
    CreateAddonRollout,
    DescribeAddonRollout,
    ListAddonRollouts,
    DescribeAddonRolloutClusters,
    PauseAddonRollout,
    ResumeAddonRollout,
    CancelAddonRollout,
    ModifyClusterTags,
    /// Ours, in ACK's style: add-on versions and upgradability across the caller's clusters.
    DescribeFleetAddons,
    /// Not ACK's: the emulator's fault-injection surface (`/_emulator/faults`).
    InjectFault,
    ClearFaults,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }
}

/// One route: `{name}` segments are path parameters, named as the Python SDK names them.
pub struct Route {
    pub action: Action,
    pub method: Method,
    pub path: &'static str,
}

const fn r(action: Action, method: Method, path: &'static str) -> Route {
    Route {
        action,
        method,
        path,
    }
}

use Action as A;
use Method::{Delete, Get, Post};

pub const ROUTES: &[Route] = &[
    r(A::CreateCluster, Post, "/clusters"),
    r(A::DescribeClusterDetail, Get, "/clusters/{cluster_id}"),
    r(A::DeleteCluster, Delete, "/clusters/{cluster_id}"),
    r(A::DescribeClustersV1, Get, "/api/v1/clusters"),
    r(A::DescribeTaskInfo, Get, "/tasks/{task_id}"),
    r(A::DescribeAddons, Get, "/clusters/components/metadata"),
    r(A::ListAddons, Get, "/addons"),
    r(A::DescribeAddon, Get, "/addons/{addon_name}"),
    r(
        A::DescribeClusterAddonMetadata,
        Get,
        "/clusters/{cluster_id}/components/{component_id}/metadata",
    ),
    r(
        A::ListClusterAddonInstances,
        Get,
        "/clusters/{cluster_id}/addon_instances",
    ),
    r(
        A::GetClusterAddonInstance,
        Get,
        "/clusters/{cluster_id}/addon_instances/{instance_name}",
    ),
    r(
        A::DescribeClusterAddonInstance,
        Get,
        "/clusters/{cluster_id}/components/{component_id}/instance",
    ),
    r(
        A::DescribeClusterAddonsVersion,
        Get,
        "/clusters/{cluster_id}/components/version",
    ),
    r(
        A::DescribeClusterAddonUpgradeStatus,
        Get,
        "/clusters/{cluster_id}/components/{component_id}/upgradestatus",
    ),
    r(
        A::DescribeClusterAddonsUpgradeStatus,
        Get,
        "/clusters/{cluster_id}/components/upgradestatus",
    ),
    r(
        A::InstallClusterAddons,
        Post,
        "/clusters/{cluster_id}/components/install",
    ),
    r(
        A::UpgradeClusterAddons,
        Post,
        "/clusters/{cluster_id}/components/upgrade",
    ),
    r(
        A::UnInstallClusterAddons,
        Post,
        "/clusters/{cluster_id}/components/uninstall",
    ),
    r(
        A::ModifyClusterAddon,
        Post,
        "/clusters/{cluster_id}/components/{component_id}/config",
    ),
    r(
        A::CancelComponentUpgrade,
        Post,
        "/clusters/{cluster_id}/components/{component_id}/cancel",
    ),
    r(
        A::PauseComponentUpgrade,
        Post,
        "/clusters/{cluster_id}/components/{component_id}/pause",
    ),
    r(
        A::ResumeComponentUpgrade,
        Post,
        "/clusters/{cluster_id}/components/{component_id}/resume",
    ),
    r(A::CancelTask, Post, "/tasks/{task_id}/cancel"),
    r(A::PauseTask, Post, "/tasks/{task_id}/pause"),
    r(A::ResumeTask, Post, "/tasks/{task_id}/resume"),
    r(A::DescribeClusterTasks, Get, "/clusters/{cluster_id}/tasks"),
    r(
        A::ListClusterAddonInstanceResources,
        Get,
        "/clusters/{cluster_id}/addon_instances/{instance_name}/resources",
    ),
    r(
        A::DescribeClusterEvents,
        Get,
        "/clusters/{cluster_id}/events",
    ),
    r(A::DescribeEvents, Get, "/events"),
    r(A::StreamEvents, Get, "/fleet/events/stream"),
    r(A::CreateWebhook, Post, "/fleet/webhooks"),
    r(A::ListWebhooks, Get, "/fleet/webhooks"),
    r(A::DeleteWebhook, Delete, "/fleet/webhooks/{webhook_id}"),
    r(
        A::DescribeWebhookDeliveries,
        Get,
        "/fleet/webhooks/{webhook_id}/deliveries",
    ),
    r(A::CreateAddonRollout, Post, "/fleet/rollouts"),
    r(A::ListAddonRollouts, Get, "/fleet/rollouts"),
    r(A::DescribeAddonRollout, Get, "/fleet/rollouts/{rollout_id}"),
    r(
        A::DescribeAddonRolloutClusters,
        Get,
        "/fleet/rollouts/{rollout_id}/clusters",
    ),
    r(
        A::PauseAddonRollout,
        Post,
        "/fleet/rollouts/{rollout_id}/pause",
    ),
    r(
        A::ResumeAddonRollout,
        Post,
        "/fleet/rollouts/{rollout_id}/resume",
    ),
    r(
        A::CancelAddonRollout,
        Post,
        "/fleet/rollouts/{rollout_id}/cancel",
    ),
    r(A::ModifyClusterTags, Post, "/clusters/{cluster_id}/tags"),
    r(A::DescribeFleetAddons, Get, "/fleet/addons"),
    r(A::InjectFault, Post, "/_emulator/faults"),
    r(A::ClearFaults, Delete, "/_emulator/faults"),
];

impl Action {
    /// Every action, so that tests can check each has a route and a name.
    pub const ALL: [Action; 45] = [
        A::CreateCluster,
        A::DescribeClusterDetail,
        A::DescribeClustersV1,
        A::DeleteCluster,
        A::DescribeTaskInfo,
        A::DescribeAddons,
        A::ListAddons,
        A::DescribeAddon,
        A::DescribeClusterAddonMetadata,
        A::ListClusterAddonInstances,
        A::GetClusterAddonInstance,
        A::DescribeClusterAddonInstance,
        A::DescribeClusterAddonsVersion,
        A::DescribeClusterAddonUpgradeStatus,
        A::DescribeClusterAddonsUpgradeStatus,
        A::InstallClusterAddons,
        A::UpgradeClusterAddons,
        A::UnInstallClusterAddons,
        A::ModifyClusterAddon,
        A::CancelComponentUpgrade,
        A::PauseComponentUpgrade,
        A::ResumeComponentUpgrade,
        A::CancelTask,
        A::PauseTask,
        A::ResumeTask,
        A::DescribeClusterTasks,
        A::ListClusterAddonInstanceResources,
        A::DescribeClusterEvents,
        A::DescribeEvents,
        A::StreamEvents,
        A::CreateWebhook,
        A::ListWebhooks,
        A::DeleteWebhook,
        A::DescribeWebhookDeliveries,
        A::CreateAddonRollout,
        A::DescribeAddonRollout,
        A::ListAddonRollouts,
        A::DescribeAddonRolloutClusters,
        A::PauseAddonRollout,
        A::ResumeAddonRollout,
        A::CancelAddonRollout,
        A::ModifyClusterTags,
        A::DescribeFleetAddons,
        A::InjectFault,
        A::ClearFaults,
    ];

    /// The action's name as sent in `x-acs-action`.
    pub fn name(self) -> &'static str {
        match self {
            A::CreateCluster => "CreateCluster",
            A::DescribeClusterDetail => "DescribeClusterDetail",
            A::DescribeClustersV1 => "DescribeClustersV1",
            A::DeleteCluster => "DeleteCluster",
            A::DescribeTaskInfo => "DescribeTaskInfo",
            A::DescribeAddons => "DescribeAddons",
            A::ListAddons => "ListAddons",
            A::DescribeAddon => "DescribeAddon",
            A::DescribeClusterAddonMetadata => "DescribeClusterAddonMetadata",
            A::ListClusterAddonInstances => "ListClusterAddonInstances",
            A::GetClusterAddonInstance => "GetClusterAddonInstance",
            A::DescribeClusterAddonInstance => "DescribeClusterAddonInstance",
            A::DescribeClusterAddonsVersion => "DescribeClusterAddonsVersion",
            A::DescribeClusterAddonUpgradeStatus => "DescribeClusterAddonUpgradeStatus",
            A::DescribeClusterAddonsUpgradeStatus => "DescribeClusterAddonsUpgradeStatus",
            A::InstallClusterAddons => "InstallClusterAddons",
            A::UpgradeClusterAddons => "UpgradeClusterAddons",
            A::UnInstallClusterAddons => "UnInstallClusterAddons",
            A::ModifyClusterAddon => "ModifyClusterAddon",
            A::CancelComponentUpgrade => "CancelComponentUpgrade",
            A::PauseComponentUpgrade => "PauseComponentUpgrade",
            A::ResumeComponentUpgrade => "ResumeComponentUpgrade",
            A::CancelTask => "CancelTask",
            A::PauseTask => "PauseTask",
            A::ResumeTask => "ResumeTask",
            A::DescribeClusterTasks => "DescribeClusterTasks",
            A::ListClusterAddonInstanceResources => "ListClusterAddonInstanceResources",
            A::DescribeClusterEvents => "DescribeClusterEvents",
            A::DescribeEvents => "DescribeEvents",
            A::StreamEvents => "StreamEvents",
            A::CreateWebhook => "CreateWebhook",
            A::ListWebhooks => "ListWebhooks",
            A::DeleteWebhook => "DeleteWebhook",
            A::DescribeWebhookDeliveries => "DescribeWebhookDeliveries",
            A::CreateAddonRollout => "CreateAddonRollout",
            A::DescribeAddonRollout => "DescribeAddonRollout",
            A::ListAddonRollouts => "ListAddonRollouts",
            A::DescribeAddonRolloutClusters => "DescribeAddonRolloutClusters",
            A::PauseAddonRollout => "PauseAddonRollout",
            A::ResumeAddonRollout => "ResumeAddonRollout",
            A::CancelAddonRollout => "CancelAddonRollout",
            A::ModifyClusterTags => "ModifyClusterTags",
            A::DescribeFleetAddons => "DescribeFleetAddons",
            A::InjectFault => "InjectFault",
            A::ClearFaults => "ClearFaults",
        }
    }

    pub fn route(self) -> &'static Route {
        ROUTES
            .iter()
            .find(|r| r.action == self)
            .expect("every action has a route")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_unique_and_every_action_routed_once() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(a.action != b.action, "{} routed twice", a.action.name());
                assert!(
                    !(a.method == b.method && a.path == b.path),
                    "{} {} used twice",
                    a.method.as_str(),
                    a.path
                );
            }
            assert_eq!(a.action.route().path, a.path);
        }
        assert_eq!(
            ROUTES.len(),
            Action::ALL.len(),
            "every action has exactly one route"
        );
        for a in Action::ALL {
            assert!(
                ROUTES.iter().any(|r| r.action == a),
                "{} has no route",
                a.name()
            );
        }
    }
}
