//! The upgrade-status rules of DescribeClusterAddonsUpgradeStatus and DescribeClusterAddonsVersion.

use crate::catalog::CatalogAddon;
use crate::instance::AddonInstance;
use crate::task::AddonTaskStatus;

/// What the API shows about one add-on of one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddonStatusView<'a> {
    pub name: &'a str,
    /// Installed version, or "" when not installed.
    pub version: &'a str,
    /// The version an upgrade would move to on this cluster, if any.
    pub next_version: Option<&'a str>,
    /// A newer version suits the cluster's Kubernetes version and nothing is in flight.
    pub can_upgrade: bool,
    pub latest_task: Option<&'a AddonTaskStatus>,
}

/// `addon` is `None` for an installed add-on the (replaced) catalog no longer lists: it shows
/// its version but can go nowhere.
pub fn view<'a>(
    name: &'a str,
    addon: Option<&'a CatalogAddon>,
    kube: &str,
    instance: Option<&'a AddonInstance>,
    latest_task: Option<&'a AddonTaskStatus>,
) -> AddonStatusView<'a> {
    let version = instance.map_or("", |i| i.version.as_str());
    let next_version = addon
        .and_then(|a| a.upgrade_target(version, kube))
        .map(|v| v.version.as_str());
    let in_flight = latest_task.is_some_and(|t| t.status.in_flight());
    AddonStatusView {
        name,
        version,
        next_version,
        can_upgrade: next_version.is_some() && !in_flight,
        latest_task,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instance::InstanceState;
    use crate::task::UpgradeStatus;
    use crate::{AddonName, Catalog, ClusterId, TaskId};

    fn inst(version: &str) -> AddonInstance {
        AddonInstance {
            cluster_id: ClusterId::parse("c1").unwrap(),
            name: AddonName::parse("metrics-server").unwrap(),
            version: version.into(),
            config: "{}".into(),
            state: InstanceState::Active,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn task(status: UpgradeStatus) -> AddonTaskStatus {
        AddonTaskStatus {
            cluster_id: ClusterId::parse("c1").unwrap(),
            component: AddonName::parse("metrics-server").unwrap(),
            task_id: TaskId::parse("T-1").unwrap(),
            status,
            created_at: 1,
            finished_at: None,
            is_canceled: false,
            message: String::new(),
        }
    }

    #[test]
    fn upgradable_only_with_a_suitable_newer_version_and_nothing_in_flight() {
        let c = Catalog::builtin();
        let ms = c.get("metrics-server").unwrap();
        let old = inst("v0.3.9.4-ff225cd-aliyun");
        assert!(
            view(
                "metrics-server",
                Some(ms),
                "1.31.1-aliyun.1",
                Some(&old),
                None
            )
            .can_upgrade
        );
        assert_eq!(
            view(
                "metrics-server",
                Some(ms),
                "1.31.1-aliyun.1",
                Some(&old),
                None
            )
            .next_version,
            Some("v0.3.9.8-aliyun")
        );
        // On an old cluster the newest version does not run, so the target is the newest that does.
        assert_eq!(
            view(
                "metrics-server",
                Some(ms),
                "1.24.6-aliyun.1",
                Some(&old),
                None
            )
            .next_version,
            Some("v0.3.9.7-aliyun")
        );
        let running = task(UpgradeStatus::Upgrading);
        assert!(
            !view(
                "metrics-server",
                Some(ms),
                "1.31.1-aliyun.1",
                Some(&old),
                Some(&running)
            )
            .can_upgrade
        );
        let done = task(UpgradeStatus::Success);
        assert!(
            view(
                "metrics-server",
                Some(ms),
                "1.31.1-aliyun.1",
                Some(&old),
                Some(&done)
            )
            .can_upgrade
        );
        let latest = inst("v0.3.9.8-aliyun");
        assert!(
            !view(
                "metrics-server",
                Some(ms),
                "1.31.1-aliyun.1",
                Some(&latest),
                None
            )
            .can_upgrade
        );
        let v = view("metrics-server", Some(ms), "1.31.1-aliyun.1", None, None);
        assert_eq!(v.version, "");
    }
}
