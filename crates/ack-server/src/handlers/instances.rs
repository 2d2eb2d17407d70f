//! ListClusterAddonInstances, GetClusterAddonInstance, DescribeClusterAddonInstance.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_domain::DomainError;
use ack_domain::instance::AddonInstance;
use ack_wire::dto::{
    HelmRelease, InstanceDescribe, InstanceDetail, InstanceLogging, InstanceResources,
    InstanceSummary, KubernetesObject, ListInstancesResponse,
};

pub async fn list(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let ca = st
        .store
        .cluster_addons(&ctx.account, &ctx.cluster_id()?)
        .await?;
    let addons = ca
        .instances
        .iter()
        .map(|i| InstanceSummary {
            name: i.name.to_string(),
            version: i.version.clone(),
            state: i.state.as_str().into(),
        })
        .collect();
    Reply::json(&ListInstancesResponse { addons })
}

async fn find(st: &AppState, ctx: &Ctx) -> Result<AddonInstance, ApiError> {
    let ca = st
        .store
        .cluster_addons(&ctx.account, &ctx.cluster_id()?)
        .await?;
    let name = ctx.addon_name()?;
    ca.instances
        .into_iter()
        .find(|i| i.name == name)
        .ok_or_else(|| {
            DomainError::AddonNotFound {
                name: name.to_string(),
                version: None,
            }
            .into()
        })
}

pub async fn get(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let i = find(st, ctx).await?;
    // Add-ons whose schema has an SLS project can ship logs; enabled when one is set.
    let capable = st
        .catalog
        .get(i.name.as_str())
        .and_then(|a| a.schema_properties())
        .is_some_and(|p| p.contains_key("sls_project_name"));
    let project = serde_json::from_str::<serde_json::Value>(&i.config)
        .ok()
        .and_then(|c| {
            c.get("sls_project_name")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    Reply::json(&InstanceDetail {
        name: i.name.to_string(),
        version: i.version.clone(),
        state: i.state.as_str().into(),
        config: i.config.clone(),
        logging: InstanceLogging {
            capable,
            enabled: capable && !project.is_empty(),
            log_project: project,
            logstore: String::new(),
        },
    })
}

pub async fn describe(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let i = find(st, ctx).await?;
    Reply::json(&InstanceDescribe {
        name: i.name.to_string(),
        version: i.version,
        state: i.state.as_str().into(),
        config: i.config,
    })
}

/// What an add-on would have deployed: its Helm release and main workload.
pub async fn resources(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let i = find(st, ctx).await?;
    let name = i.name.to_string();
    Reply::json(&InstanceResources {
        helm_release: HelmRelease {
            chart_name: name.clone(),
            chart_version: i.version.clone(),
            namespace: "kube-system".into(),
            release_name: name.clone(),
        },
        kubernetes_objects: vec![KubernetesObject {
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            namespace: "kube-system".into(),
            name,
        }],
    })
}
