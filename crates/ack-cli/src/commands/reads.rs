//! Reads: clusters, one cluster, the catalog, a cluster's upgrade status, the fleet's add-ons.

use super::{Paging, emit, list, listing, text};
use crate::Output;
use crate::client::Client;
use crate::error::CliError;
use crate::request::Request;
use crate::table::{Table, fields};
use ack_wire::Action;
use serde_json::Value;

#[derive(clap::Args, Debug, Clone)]
pub struct ClustersArgs {
    /// Only clusters whose name contains this.
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    #[command(flatten)]
    pub paging: Paging,
}

#[derive(clap::Args, Debug, Clone)]
pub struct AddonsArgs {
    /// Versions that suit this cluster.
    #[arg(long, conflicts_with = "kubernetes_version")]
    pub cluster: Option<String>,
    /// Versions that suit this Kubernetes version.
    #[arg(long)]
    pub kubernetes_version: Option<String>,
}

#[derive(clap::Args, Debug, Clone)]
pub struct FleetArgs {
    #[arg(long)]
    pub region: Option<String>,
    /// `key:value`; repeated tags must all match.
    #[arg(long)]
    pub tag: Vec<String>,
    /// A prefix of the clusters' Kubernetes version.
    #[arg(long)]
    pub kubernetes_version: Option<String>,
}

pub fn clusters_request(a: &ClustersArgs) -> Request {
    a.paging.apply(
        Request::new(Action::DescribeClustersV1)
            .query_opt("name", a.name.as_deref())
            .query_opt("region_id", a.region.as_deref()),
    )
}

pub fn addons_request(a: &AddonsArgs) -> Request {
    Request::new(Action::ListAddons)
        .query_opt("cluster_id", a.cluster.as_deref())
        .query_opt("cluster_version", a.kubernetes_version.as_deref())
}

pub fn status_request(cluster: &str, addons: &[String]) -> Request {
    let r = Request::new(Action::DescribeClusterAddonsUpgradeStatus).param(cluster);
    if addons.is_empty() {
        return r;
    }
    r.query("componentIds", Value::from(addons.to_vec()).to_string())
}

pub fn fleet_request(a: &FleetArgs) -> Request {
    let mut r = Request::new(Action::DescribeFleetAddons)
        .query_opt("region_id", a.region.as_deref())
        .query_opt("kubernetes_version", a.kubernetes_version.as_deref());
    for t in &a.tag {
        r = r.query("tag", t.clone());
    }
    r
}

pub async fn clusters(c: &Client, out: Output, a: &ClustersArgs) -> Result<(), CliError> {
    let headers = ["CLUSTER_ID", "NAME", "STATE", "VERSION", "REGION", "TYPE"];
    let keys = [
        "cluster_id",
        "name",
        "state",
        "current_version",
        "region_id",
        "cluster_type",
    ];
    listing(c, out, &clusters_request(a), "clusters", &headers, |cl| {
        keys.iter().map(|k| text(cl, k)).collect()
    })
    .await
}

pub async fn cluster(c: &Client, out: Output, id: &str) -> Result<(), CliError> {
    let v = c
        .call(&Request::new(Action::DescribeClusterDetail).param(id))
        .await?;
    emit(out, &v, |v| {
        let tags: Vec<String> = list(v, "tags")
            .iter()
            .map(|t| format!("{}={}", text(t, "key"), text(t, "value")))
            .collect();
        let mut pairs: Vec<(&str, String)> = [
            "cluster_id",
            "name",
            "state",
            "current_version",
            "region_id",
            "cluster_type",
            "cluster_spec",
            "created",
            "updated",
        ]
        .iter()
        .map(|k| (*k, text(v, k)))
        .collect();
        pairs.push(("tags", tags.join(", ")));
        fields(&pairs)
    });
    Ok(())
}

pub async fn addons(c: &Client, out: Output, a: &AddonsArgs) -> Result<(), CliError> {
    let v = c.call(&addons_request(a)).await?;
    emit(out, &v, |v| {
        let mut t = Table::new(&["NAME", "VERSION", "CATEGORY", "DEFAULT", "MANAGED"]);
        for ad in list(v, "addons") {
            t.row(
                [
                    "name",
                    "version",
                    "category",
                    "install_by_default",
                    "managed",
                ]
                .map(|k| text(ad, k)),
            );
        }
        t.render()
    });
    Ok(())
}

pub async fn status(
    c: &Client,
    out: Output,
    cluster: &str,
    addons: &[String],
) -> Result<(), CliError> {
    let v = c.call(&status_request(cluster, addons)).await?;
    emit(out, &v, |v| {
        let mut t = Table::new(&["ADDON", "VERSION", "CAN_UPGRADE", "TASK", "MESSAGE"]);
        for (name, e) in v.as_object().into_iter().flatten() {
            let task = e.get("tasks").cloned().unwrap_or_default();
            let version = e.get("addon_info").map(|i| text(i, "version"));
            t.row([
                name.clone(),
                version.unwrap_or_default(),
                text(e, "can_upgrade"),
                text(&task, "status"),
                text(&task, "message"),
            ]);
        }
        t.render()
    });
    Ok(())
}

pub async fn fleet(c: &Client, out: Output, a: &FleetArgs) -> Result<(), CliError> {
    let v = c.call(&fleet_request(a)).await?;
    emit(out, &v, |v| {
        let mut t = Table::new(&[
            "ADDON",
            "INSTALLED",
            "UPGRADABLE",
            "RUNNING_TASKS",
            "VERSIONS",
        ]);
        for ad in list(v, "addons") {
            let versions: Vec<String> = list(ad, "versions")
                .iter()
                .map(|x| format!("{}×{}", text(x, "version"), text(x, "clusters")))
                .collect();
            t.row([
                text(ad, "name"),
                text(ad, "installed"),
                text(ad, "upgradable"),
                text(ad, "running_tasks"),
                versions.join(" "),
            ]);
        }
        t.render()
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_map_to_their_actions_and_parameters() {
        let r = status_request("c1", &["coredns".into(), "metrics-server".into()]);
        assert_eq!(r.path().unwrap(), "/clusters/c1/components/upgradestatus");
        assert_eq!(
            r.query,
            [(
                "componentIds".to_string(),
                r#"["coredns","metrics-server"]"#.to_string()
            )]
        );
        assert!(status_request("c1", &[]).query.is_empty());
        let r = clusters_request(&ClustersArgs {
            name: Some("dev".into()),
            region: None,
            paging: Paging {
                page_size: Some(5),
                page_number: None,
            },
        });
        assert_eq!(
            (r.method(), r.path().unwrap().as_str()),
            ("GET", "/api/v1/clusters")
        );
        assert_eq!(r.raw_query(), "name=dev&page_size=5");
        let r = fleet_request(&FleetArgs {
            region: Some("cn-hangzhou".into()),
            tag: vec!["env:prod".into(), "team:a".into()],
            kubernetes_version: None,
        });
        assert_eq!(
            r.raw_query(),
            "region_id=cn-hangzhou&tag=env%3Aprod&tag=team%3Aa"
        );
        let r = addons_request(&AddonsArgs {
            cluster: Some("c9".into()),
            kubernetes_version: None,
        });
        assert_eq!(
            (r.path().unwrap().as_str(), r.raw_query()),
            ("/addons", "cluster_id=c9".into())
        );
    }
}
