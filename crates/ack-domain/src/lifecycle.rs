//! The add-on lifecycle rules: which requests may start a task (checked before anything
//! changes), and the precheck stage that a started task must pass.

use crate::catalog::{Catalog, CatalogAddon};
use crate::cluster::Cluster;
use crate::instance::{AddonInstance, InstanceState};
use crate::task::{Operation, TaskAddon};
use crate::{AddonName, DomainError, version};
use std::collections::{HashMap, HashSet};

/// One add-on of an Install, Upgrade, UnInstall or Modify request, as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct AddonChange {
    pub name: String,
    /// Install: the version (empty: newest that suits). Upgrade: `next_version` (empty: same).
    pub version: Option<String>,
    pub config: Option<String>,
}

/// A config merged over the schema's defaults, after checking it against the schema.
pub fn resolved_config(
    addon: &CatalogAddon,
    param: &str,
    config: &str,
) -> Result<String, DomainError> {
    let given = addon.check_config(param, config)?;
    let mut merged: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&addon.default_config()).unwrap_or_default();
    merged.extend(given);
    Ok(serde_json::Value::Object(merged).to_string())
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Checks a request and turns it into the add-ons of one task. Nothing here looks at tasks in
/// flight: the store refuses a second live task per add-on.
pub fn plan(
    catalog: &Catalog,
    cluster: &Cluster,
    instances: &[AddonInstance],
    op: Operation,
    changes: &[AddonChange],
) -> Result<Vec<TaskAddon>, DomainError> {
    if cluster.state != "running" {
        return Err(DomainError::ClusterState {
            cluster: cluster.id.to_string(),
            state: cluster.state.clone(),
            reason: "add-ons can change only while the cluster is running".into(),
        });
    }
    if changes.is_empty() {
        return Err(DomainError::invalid("body", "it names no add-on"));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(changes.len());
    for (i, c) in changes.iter().enumerate() {
        let param = format!("body[{i}]");
        if c.name.trim().is_empty() {
            return Err(DomainError::invalid(
                format!("{param}.name"),
                "it is required",
            ));
        }
        if !seen.insert(c.name.clone()) {
            return Err(DomainError::invalid(
                format!("{param}.name"),
                format!("{} is listed twice", c.name),
            ));
        }
        let addon = catalog.require(&c.name)?;
        // A version the catalog does not list is refused before anything is made (the precheck
        // still checks it too, for a catalog replaced while a task waits).
        if matches!(op, Operation::Install | Operation::Upgrade)
            && let Some(v) = nonempty(&c.version)
            && addon.version(v).is_none()
        {
            return Err(DomainError::AddonNotFound {
                name: c.name.clone(),
                version: Some(v.to_string()),
            });
        }
        let installed = instances.iter().find(|x| x.name.as_str() == c.name);
        let config = nonempty(&c.config)
            .map(|cfg| resolved_config(addon, &format!("{param}.config"), cfg))
            .transpose()?;
        let name = AddonName::parse(&c.name)?;
        let change = match (op, installed) {
            // A broken add-on (its rollback failed) may be installed again, to repair it.
            (Operation::Install, Some(i)) if i.state != InstanceState::Unhealthy => {
                return Err(DomainError::AddonAlreadyInstalled(c.name.clone()));
            }
            (Operation::Install, _) => {
                let to = match nonempty(&c.version) {
                    Some(v) => v.to_string(),
                    None => addon
                        .latest_for(&cluster.kubernetes_version)
                        .ok_or_else(|| {
                            DomainError::invalid(
                                format!("{param}.version"),
                                format!(
                                    "no version of {} runs on Kubernetes {}",
                                    c.name, cluster.kubernetes_version
                                ),
                            )
                        })?
                        .version
                        .clone(),
                };
                TaskAddon {
                    component: name,
                    operation: op,
                    from_version: String::new(),
                    to_version: to,
                    config: Some(config.unwrap_or_else(|| addon.default_config())),
                }
            }
            (_, None) => return Err(DomainError::addon_not_found(&c.name)),
            (Operation::Upgrade, Some(inst)) => TaskAddon {
                component: name,
                operation: op,
                from_version: inst.version.clone(),
                to_version: nonempty(&c.version).unwrap_or(&inst.version).to_string(),
                config,
            },
            (Operation::Modify, Some(inst)) => {
                let Some(config) = config else {
                    return Err(DomainError::invalid("config", "it is required"));
                };
                TaskAddon {
                    component: name,
                    operation: op,
                    from_version: inst.version.clone(),
                    to_version: inst.version.clone(),
                    config: Some(config),
                }
            }
            (Operation::Uninstall, Some(inst)) => TaskAddon {
                component: name,
                operation: op,
                from_version: inst.version.clone(),
                to_version: String::new(),
                config: None,
            },
        };
        out.push(change);
    }
    Ok(out)
}

/// The precheck stage: every target version exists, is not a downgrade, runs on the cluster's
/// Kubernetes version, and finds the add-ons it requires at their minimum versions (counting this
/// task's own changes). The error is the task's failure message.
pub fn precheck(
    catalog: &Catalog,
    kube: &str,
    instances: &[AddonInstance],
    addons: &[TaskAddon],
) -> Result<(), String> {
    precheck_task(catalog, kube, instances, "", addons)
}

/// The precheck of a task of this type: a rollout's return of a cluster to the version it had
/// (`ROLLBACK_TASK_TYPE`) is a downgrade by design, and is checked for everything else.
pub fn precheck_task(
    catalog: &Catalog,
    kube: &str,
    instances: &[AddonInstance],
    task_type: &str,
    addons: &[TaskAddon],
) -> Result<(), String> {
    let installed: Vec<(&str, &str)> = instances
        .iter()
        .map(|i| (i.name.as_str(), i.version.as_str()))
        .collect();
    precheck_installed(catalog, kube, &installed, task_type, addons)
}

/// `precheck_task` over the cluster's installed add-ons as (name, version) pairs (what a status
/// snapshot holds).
pub fn precheck_installed(
    catalog: &Catalog,
    kube: &str,
    installed: &[(&str, &str)],
    task_type: &str,
    addons: &[TaskAddon],
) -> Result<(), String> {
    precheck_of(
        catalog,
        kube,
        installed,
        addons,
        task_type == crate::task::ROLLBACK_TASK_TYPE,
    )
}

fn precheck_of(
    catalog: &Catalog,
    kube: &str,
    installed: &[(&str, &str)],
    addons: &[TaskAddon],
    allow_downgrade: bool,
) -> Result<(), String> {
    let mut after: HashMap<&str, &str> = installed.iter().copied().collect();
    for a in addons {
        match a.operation {
            Operation::Uninstall => {
                after.remove(a.component.as_str());
            }
            _ => {
                after.insert(a.component.as_str(), a.to_version.as_str());
            }
        }
    }
    for a in addons
        .iter()
        .filter(|a| a.operation != Operation::Uninstall)
    {
        let name = a.component.as_str();
        let addon = catalog
            .get(name)
            .ok_or_else(|| format!("{name} is no longer in the catalog"))?;
        let target = addon
            .version(&a.to_version)
            .ok_or_else(|| format!("{name} has no version {}", a.to_version))?;
        if a.operation == Operation::Upgrade
            && !allow_downgrade
            && version::compare(&a.to_version, &a.from_version).is_lt()
        {
            return Err(format!(
                "{name} {} is older than the installed {}: downgrades are not supported",
                a.to_version, a.from_version
            ));
        }
        if !target.suits(kube) {
            return Err(format!(
                "{name} {} needs Kubernetes {} or newer; the cluster runs {kube}",
                a.to_version, target.minimum_cluster_version
            ));
        }
        for req in &target.requires {
            match after.get(req.name.as_str()) {
                Some(v) if version::at_least(v, &req.minimum_version) => {}
                Some(v) => {
                    return Err(format!(
                        "{name} {} requires {} {} or newer; the cluster has {v}",
                        a.to_version, req.name, req.minimum_version
                    ));
                }
                None => {
                    return Err(format!(
                        "{name} {} requires {} {} or newer, which is not installed",
                        a.to_version, req.name, req.minimum_version
                    ));
                }
            }
        }
    }
    // Removing an add-on that another keeps requiring would break it.
    for a in addons
        .iter()
        .filter(|a| a.operation == Operation::Uninstall)
    {
        for (other, v) in &after {
            let needs = catalog
                .get(other)
                .and_then(|x| x.version(v))
                .is_some_and(|ver| ver.requires.iter().any(|r| r.name == a.component.as_str()));
            if needs {
                return Err(format!(
                    "{other} {v} requires {}, so it cannot be uninstalled",
                    a.component
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
