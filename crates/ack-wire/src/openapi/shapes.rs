//! What each action answers and takes, as the DTO types' JSON Schemas (schemars reads the same
//! serde attributes that shape the wire), so the document describes the bytes actually sent.
//! One exhaustive `match`: a new action cannot be left out.

use crate::action::Action;
use crate::dto::*;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Value, json};

/// The answer's schema and the JSON body's, when it has one.
pub struct Shape {
    pub answer: Value,
    pub body: Option<Value>,
}

fn of<T: JsonSchema>(g: &mut SchemaGenerator) -> Value {
    g.subschema_for::<T>().to_value()
}

/// `{}`: pause, resume, cancel and the like.
fn empty() -> Value {
    json!({"type": "object", "additionalProperties": false})
}

pub fn shape(a: Action, g: &mut SchemaGenerator) -> Shape {
    use Action as A;
    let (answer, body) = match a {
        A::CreateCluster => (of::<TaskStarted>(g), Some(of::<CreateClusterRequest>(g))),
        A::DescribeClusterDetail => (of::<ClusterDetail>(g), None),
        A::DescribeClustersV1 => (of::<ClustersPage>(g), None),
        A::DeleteCluster => (of::<TaskStarted>(g), None),
        A::DescribeTaskInfo => (of::<TaskInfo>(g), None),
        A::DescribeAddons => (of::<DescribeAddonsResponse>(g), None),
        A::ListAddons => (of::<ListAddonsResponse>(g), None),
        A::DescribeAddon => (of::<DescribeAddonResponse>(g), None),
        A::DescribeClusterAddonMetadata => (of::<AddonMetadata>(g), None),
        A::ListClusterAddonInstances => (of::<ListInstancesResponse>(g), None),
        A::GetClusterAddonInstance => (of::<InstanceDetail>(g), None),
        A::DescribeClusterAddonInstance => (of::<InstanceDescribe>(g), None),
        A::DescribeClusterAddonsVersion => (of::<AddonsVersionMap>(g), None),
        A::DescribeClusterAddonUpgradeStatus | A::DescribeClusterAddonsUpgradeStatus => {
            (of::<UpgradeStatusMap<'static>>(g), None)
        }
        A::InstallClusterAddons | A::UpgradeClusterAddons | A::UnInstallClusterAddons => {
            (of::<TaskStarted>(g), Some(of::<Vec<AddonChangeRequest>>(g)))
        }
        A::ModifyClusterAddon => (of::<TaskStarted>(g), Some(of::<ModifyAddonRequest>(g))),
        A::CancelComponentUpgrade
        | A::PauseComponentUpgrade
        | A::ResumeComponentUpgrade
        | A::CancelTask
        | A::PauseTask
        | A::ResumeTask
        | A::DeleteWebhook
        | A::PauseAddonRollout
        | A::ResumeAddonRollout
        | A::CancelAddonRollout => (empty(), None),
        A::DescribeClusterTasks => (of::<ClusterTasks>(g), None),
        A::ListClusterAddonInstanceResources => (of::<InstanceResources>(g), None),
        A::DescribeClusterEvents | A::DescribeEvents => (of::<EventsPage>(g), None),
        // Each event's `data:` line is the JSON object the webhooks POST.
        A::StreamEvents => (json!({"type": "string"}), None),
        A::CreateWebhook => (of::<WebhookCreated>(g), Some(of::<CreateWebhookRequest>(g))),
        A::ListWebhooks => (of::<WebhookList>(g), None),
        A::DescribeWebhookDeliveries => (of::<DeliveriesPage>(g), None),
        // The body is read field by field by the domain's RolloutSpec (see the README).
        A::CreateAddonRollout => (
            json!({"oneOf": [of::<RolloutCreated>(g), of::<RolloutPlan>(g)]}),
            Some(json!({"type": "object", "required": ["addon", "version"]})),
        ),
        A::DescribeAddonRollout => (of::<RolloutInfo>(g), None),
        A::ListAddonRollouts => (of::<RolloutsPage>(g), None),
        A::DescribeAddonRolloutClusters => (of::<RolloutMembersPage>(g), None),
        A::ModifyClusterTags => (empty(), Some(of::<Vec<TagRequest>>(g))),
        A::DescribeFleetAddons => (of::<FleetAddonsResponse>(g), None),
        A::InjectFault => (empty(), Some(of::<FaultRequest>(g))),
        A::ClearFaults => (of::<FaultsCleared>(g), None),
    };
    Shape { answer, body }
}
