//! Clusters, and the plan for creating one: which add-ons it gets, at which versions.

use crate::catalog::Catalog;
use crate::{AddonName, ClusterId, DomainError, Tag, version};

pub const DEFAULT_KUBERNETES_VERSION: &str = "1.31.1-aliyun.1";
pub const CLUSTER_TYPES: [&str; 3] = ["ManagedKubernetes", "Kubernetes", "ExternalKubernetes"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub id: ClusterId,
    pub account: String,
    pub name: String,
    pub region_id: String,
    pub zone_id: String,
    pub cluster_type: String,
    pub cluster_spec: String,
    pub profile: String,
    pub kubernetes_version: String,
    pub init_version: String,
    pub state: String,
    pub vpc_id: String,
    pub vswitch_ids: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Read back sorted by key, and only where an answer shows them (DescribeClusterDetail,
    /// DescribeClustersV1, by `Store::load_tags`); every other read leaves it empty.
    pub tags: Vec<Tag>,
}

/// An add-on the client asked for in CreateCluster.
#[derive(Debug, Clone, Default)]
pub struct RequestedAddon {
    pub name: String,
    pub version: Option<String>,
    pub config: Option<String>,
    pub disabled: bool,
}

/// One add-on to install: catalog-checked name, version and config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAddon {
    pub name: AddonName,
    pub version: String,
    pub config: String,
}

/// Resolves CreateCluster's add-on list against the catalog: the requested add-ons (checked)
/// plus every install-by-default one not disabled, at the newest version the cluster runs.
pub fn plan_addons(
    catalog: &Catalog,
    kube: &str,
    requested: &[RequestedAddon],
) -> Result<Vec<PlannedAddon>, DomainError> {
    let mut plan: Vec<PlannedAddon> = Vec::new();
    let mut named = std::collections::HashSet::new();
    for (i, r) in requested.iter().enumerate() {
        let param = format!("addons[{i}]");
        if !named.insert(r.name.clone()) {
            return Err(DomainError::invalid(
                format!("{param}.name"),
                format!("{} is listed twice", r.name),
            ));
        }
        let addon = catalog.require(&r.name)?;
        if r.disabled {
            continue;
        }
        let v = match r.version.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => {
                let found = addon.version(v).ok_or_else(|| DomainError::AddonNotFound {
                    name: r.name.clone(),
                    version: Some(v.to_string()),
                })?;
                if !found.suits(kube) {
                    return Err(DomainError::invalid(
                        format!("{param}.version"),
                        format!(
                            "{} {v} needs Kubernetes {} or newer",
                            r.name, found.minimum_cluster_version
                        ),
                    ));
                }
                found
            }
            None => addon.latest_for(kube).ok_or_else(|| {
                DomainError::invalid(
                    format!("{param}.name"),
                    format!("no version of {} runs on Kubernetes {kube}", r.name),
                )
            })?,
        };
        let config = match r.config.as_deref().filter(|c| !c.trim().is_empty()) {
            Some(c) => {
                let mut merged: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(&addon.default_config()).unwrap_or_default();
                merged.extend(addon.check_config(&format!("{param}.config"), c)?);
                serde_json::Value::Object(merged).to_string()
            }
            None => addon.default_config(),
        };
        plan.push(PlannedAddon {
            name: AddonName::parse(&addon.name)?,
            version: v.version.clone(),
            config,
        });
    }
    for addon in catalog
        .addons
        .iter()
        .filter(|a| a.install_by_default && !named.contains(&a.name))
    {
        if let Some(v) = addon.latest_for(kube) {
            plan.push(PlannedAddon {
                name: AddonName::parse(&addon.name)?,
                version: v.version.clone(),
                config: addon.default_config(),
            });
        }
    }
    check_requirements(catalog, &plan)?;
    Ok(plan)
}

/// Every planned version's `requires` must be met by another planned add-on.
fn check_requirements(catalog: &Catalog, plan: &[PlannedAddon]) -> Result<(), DomainError> {
    for p in plan {
        let Some(v) = catalog
            .get(p.name.as_str())
            .and_then(|a| a.version(&p.version))
        else {
            continue;
        };
        for req in &v.requires {
            let met = plan.iter().any(|o| {
                o.name.as_str() == req.name && version::at_least(&o.version, &req.minimum_version)
            });
            if !met {
                return Err(DomainError::invalid(
                    "addons",
                    format!(
                        "{} {} requires {} {} or newer",
                        p.name, p.version, req.name, req.minimum_version
                    ),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(name: &str) -> RequestedAddon {
        RequestedAddon {
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_are_added_and_disabled_ones_left_out() {
        let c = Catalog::builtin();
        let plan = plan_addons(
            &c,
            DEFAULT_KUBERNETES_VERSION,
            &[req("nginx-ingress-controller")],
        )
        .unwrap();
        assert!(
            plan.iter()
                .any(|p| p.name.as_str() == "nginx-ingress-controller")
        );
        assert!(plan.iter().any(|p| p.name.as_str() == "metrics-server"));
        let off = RequestedAddon {
            disabled: true,
            ..req("metrics-server")
        };
        let plan = plan_addons(&c, DEFAULT_KUBERNETES_VERSION, &[off]).unwrap();
        assert!(!plan.iter().any(|p| p.name.as_str() == "metrics-server"));
    }

    #[test]
    fn refuses_unknown_and_unsuitable() {
        let c = Catalog::builtin();
        assert!(matches!(
            plan_addons(&c, "1.31", &[req("nope")]),
            Err(DomainError::AddonNotFound { .. })
        ));
        let too_new = RequestedAddon {
            version: Some("v0.3.9.8-aliyun".into()),
            ..req("metrics-server")
        };
        assert!(matches!(
            plan_addons(&c, "1.24.6-aliyun.1", &[too_new]),
            Err(DomainError::InvalidParameter { .. })
        ));
        let bad_cfg = RequestedAddon {
            config: Some("{\"zzz\":1}".into()),
            ..req("metrics-server")
        };
        assert!(plan_addons(&c, "1.31", &[bad_cfg]).is_err());
        assert!(plan_addons(&c, "1.31", &[req("coredns"), req("coredns")]).is_err());
    }

    #[test]
    fn requirements_are_checked() {
        let c = Catalog::builtin();
        let old_prov = RequestedAddon {
            version: Some("v1.26.5-56d1e30-aliyun".into()),
            ..req("csi-provisioner")
        };
        let new_plugin = RequestedAddon {
            version: Some("v1.31.3-3b3f4e5-aliyun".into()),
            ..req("csi-plugin")
        };
        let err = plan_addons(&c, "1.31", &[old_prov, new_plugin]).unwrap_err();
        assert!(
            err.to_string().contains("requires csi-provisioner"),
            "{err}"
        );
    }
}
