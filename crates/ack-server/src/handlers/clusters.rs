//! CreateCluster, DescribeClusterDetail, DescribeClustersV1, DeleteCluster.

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::respond::Reply;
use crate::state::AppState;
use ack_domain::cluster::{
    CLUSTER_TYPES, Cluster, DEFAULT_KUBERNETES_VERSION, RequestedAddon, plan_addons,
};
use ack_domain::name::check_text;
use ack_domain::task::{Operation, Task, TaskAddon};
use ack_domain::{ClusterId, ClusterName, version};
use ack_store::{ClusterFilter, TaskStart};
use ack_wire::dto::{
    ClusterDetail, ClustersPage, CreateClusterRequest, MaintenanceWindow, PageInfo, Tag,
    TaskStarted,
};
use ack_wire::time::rfc3339;

fn required<'a>(v: &'a Option<String>, name: &str) -> Result<&'a str, ApiError> {
    match v.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(ApiError::invalid(name, "it is required")),
    }
}

pub async fn create(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let req: CreateClusterRequest = ctx.json_object()?;
    let name = ClusterName::parse("name", req.name.as_deref().unwrap_or(""))?;
    let region_id = required(&req.region_id, "region_id")?;
    let texts = [
        ("region_id", Some(region_id)),
        ("zone_id", req.zone_id.as_deref()),
        ("cluster_spec", req.cluster_spec.as_deref()),
        ("profile", req.profile.as_deref()),
        ("vpcid", req.vpcid.as_deref()),
    ];
    let vswitches = req
        .vswitch_ids
        .iter()
        .flatten()
        .map(|v| ("vswitch_ids", Some(v.as_str())));
    for (param, v) in texts.into_iter().chain(vswitches) {
        check_text(param, v.unwrap_or(""), 128)?;
    }
    let cluster_type = req
        .cluster_type
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(CLUSTER_TYPES[0]);
    if !CLUSTER_TYPES.contains(&cluster_type) {
        return Err(ApiError::invalid(
            "cluster_type",
            format!("{cluster_type:?} is not one of {CLUSTER_TYPES:?}"),
        ));
    }
    let kube = req
        .kubernetes_version
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_KUBERNETES_VERSION);
    version::check_kubernetes("kubernetes_version", kube)?;
    let requested: Vec<RequestedAddon> = req
        .addons
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            Ok(RequestedAddon {
                name: required(&a.name, &format!("addons[{i}].name"))?.to_string(),
                version: a.version,
                config: a.config,
                disabled: a.disabled.unwrap_or(false),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    let tags = super::tags::parse("tags", req.tags.as_deref().unwrap_or_default())?;
    let plan = plan_addons(&st.catalog, kube, &requested)?;
    let now = ctx.now;
    let cluster = Cluster {
        id: ClusterId::generate(),
        account: ctx.account.clone(),
        name: name.into_string(),
        region_id: region_id.to_string(),
        zone_id: req.zone_id.unwrap_or_else(|| format!("{region_id}-a")),
        cluster_type: cluster_type.to_string(),
        cluster_spec: req.cluster_spec.unwrap_or_else(|| {
            if cluster_type == "ManagedKubernetes" {
                "ack.pro.small".into()
            } else {
                String::new()
            }
        }),
        profile: req.profile.unwrap_or_else(|| "Default".into()),
        kubernetes_version: kube.to_string(),
        init_version: kube.to_string(),
        state: "initial".into(),
        vpc_id: req.vpcid.unwrap_or_default(),
        vswitch_ids: req.vswitch_ids.unwrap_or_default(),
        created_at: now,
        updated_at: now,
        tags,
    };
    // The cluster's add-ons are installed by its creation task.
    let installs = plan
        .into_iter()
        .map(|p| TaskAddon {
            component: p.name,
            operation: Operation::Install,
            from_version: String::new(),
            to_version: p.version,
            config: Some(p.config),
        })
        .collect();
    let task = Task::new(&ctx.account, &cluster.id, "cluster_create", now, installs);
    st.store
        .start_task(&task, TaskStart::CreateCluster(&cluster))
        .await?;
    super::task_runnable(st).await;
    Reply::json(&TaskStarted {
        cluster_id: cluster.id.to_string(),
        request_id: ctx.request_id.clone(),
        task_id: task.id.to_string(),
    })
}

pub fn detail(c: &Cluster) -> ClusterDetail {
    ClusterDetail {
        cluster_id: c.id.to_string(),
        name: c.name.clone(),
        region_id: c.region_id.clone(),
        zone_id: c.zone_id.clone(),
        cluster_type: c.cluster_type.clone(),
        profile: c.profile.clone(),
        cluster_spec: c.cluster_spec.clone(),
        state: c.state.clone(),
        size: 0,
        current_version: c.kubernetes_version.clone(),
        init_version: c.init_version.clone(),
        next_version: String::new(),
        vpc_id: c.vpc_id.clone(),
        vswitch_id: c.vswitch_ids.first().cloned().unwrap_or_default(),
        vswitch_ids: c.vswitch_ids.clone(),
        security_group_id: String::new(),
        container_cidr: "172.20.0.0/16".into(),
        service_cidr: "172.21.0.0/20".into(),
        proxy_mode: "ipvs".into(),
        network_mode: String::new(),
        meta_data: serde_json::json!({"KubernetesVersion": c.kubernetes_version}).to_string(),
        parameters: std::collections::BTreeMap::new(),
        tags: c
            .tags
            .iter()
            .map(|t| Tag {
                key: t.key.clone(),
                value: t.value.clone(),
            })
            .collect(),
        deletion_protection: false,
        private_zone: false,
        created: rfc3339(c.created_at),
        updated: rfc3339(c.updated_at),
        resource_group_id: String::new(),
        master_url: "{}".into(),
        maintenance_window: MaintenanceWindow {
            enable: false,
            maintenance_time: String::new(),
            duration: String::new(),
            weekly_period: String::new(),
            recurrence: String::new(),
        },
    }
}

pub async fn describe(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let mut c = st.store.cluster(&ctx.account, &ctx.cluster_id()?).await?;
    st.store.load_tags(std::slice::from_mut(&mut c)).await?;
    Reply::json(&detail(&c))
}

pub async fn list(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let owned = |names: &[&str]| ctx.query_any(names).map(str::to_string);
    let filter = ClusterFilter {
        // The legacy SDK spells some of these in PascalCase.
        name: owned(&["name", "Name"]),
        cluster_type: owned(&["cluster_type", "ClusterType"]),
        cluster_spec: owned(&["cluster_spec"]),
        profile: owned(&["profile"]),
        region_id: owned(&["region_id"]),
        cluster_id: owned(&["cluster_id"]),
        // Ours, for the console and the CLI; the SDKs send none of them.
        search: owned(&["search"]),
        tags: ctx
            .query
            .iter()
            .filter(|(k, _)| k == "tag")
            .map(|(_, v)| ack_domain::Tag::parse_filter("tag", v).map(|t| (t.key, t.value)))
            .collect::<Result<Vec<_>, _>>()?,
        addon: owned(&["addon"]).map(|a| (a, owned(&["addon_version"]))),
    };
    let (page_number, page_size) = ctx.page(10, 100)?;
    let (mut clusters, total) = st
        .store
        .list_clusters(&ctx.account, &filter, page_number, page_size)
        .await?;
    st.store.load_tags(&mut clusters).await?;
    Reply::json(&ClustersPage {
        clusters: clusters.iter().map(detail).collect(),
        page_info: PageInfo {
            page_number,
            page_size,
            total_count: total,
        },
    })
}

pub async fn delete(st: &AppState, ctx: &Ctx) -> Result<Reply, ApiError> {
    let id = ctx.cluster_id()?;
    let task = Task::new(&ctx.account, &id, "cluster_delete", ctx.now, Vec::new());
    st.store.start_task(&task, TaskStart::DeleteCluster).await?;
    super::task_runnable(st).await;
    Reply::json(&TaskStarted {
        cluster_id: id.to_string(),
        request_id: ctx.request_id.clone(),
        task_id: task.id.to_string(),
    })
}
