//! The upgrade-status rules of DescribeClusterAddonsUpgradeStatus and DescribeClusterAddonsVersion,
//! over a borrowed snapshot of a cluster's add-ons (read from the database or from the store's
//! in-memory status cache alike).

use crate::catalog::CatalogAddon;
use crate::task::UpgradeStatus;

/// The latest task of one add-on, as the status calls show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatestTask<'a> {
    pub status: UpgradeStatus,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub is_canceled: bool,
    pub message: &'a str,
}

/// An installed add-on's version and configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Installed<'a> {
    pub version: &'a str,
    pub config: &'a str,
}

/// One add-on of a cluster: installed, with a latest task, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddonState<'a> {
    pub name: &'a str,
    pub installed: Option<Installed<'a>>,
    pub latest: Option<LatestTask<'a>>,
}

/// Everything the status calls read of one cluster, its add-ons sorted by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddonsSnapshot<'a> {
    pub kubernetes_version: &'a str,
    pub addons: Vec<AddonState<'a>>,
}

impl<'a> AddonsSnapshot<'a> {
    /// Joins a cluster's installed add-ons and latest tasks by name, in any order.
    pub fn merge(
        kubernetes_version: &'a str,
        installed: impl IntoIterator<Item = (&'a str, Installed<'a>)>,
        latest: impl IntoIterator<Item = (&'a str, LatestTask<'a>)>,
    ) -> Self {
        let mut addons: Vec<AddonState<'a>> = installed
            .into_iter()
            .map(|(name, i)| AddonState {
                name,
                installed: Some(i),
                latest: None,
            })
            .collect();
        addons.sort_by(|a, b| a.name.cmp(b.name));
        for (name, t) in latest {
            match addons.binary_search_by(|a| a.name.cmp(name)) {
                Ok(i) => addons[i].latest = Some(t),
                Err(i) => addons.insert(
                    i,
                    AddonState {
                        name,
                        installed: None,
                        latest: Some(t),
                    },
                ),
            }
        }
        Self {
            kubernetes_version,
            addons,
        }
    }

    pub fn get(&self, name: &str) -> Option<&AddonState<'a>> {
        self.addons
            .binary_search_by(|a| a.name.cmp(name))
            .ok()
            .map(|i| &self.addons[i])
    }

    pub fn installed(&self) -> impl Iterator<Item = &AddonState<'a>> {
        self.addons.iter().filter(|a| a.installed.is_some())
    }
}

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
    pub latest_task: Option<LatestTask<'a>>,
}

/// `addon` is `None` for an installed add-on the (replaced) catalog no longer lists: it shows
/// its version but can go nowhere.
pub fn view<'a>(
    name: &'a str,
    addon: Option<&'a CatalogAddon>,
    kube: &str,
    state: Option<&AddonState<'a>>,
) -> AddonStatusView<'a> {
    let version = state.and_then(|s| s.installed).map_or("", |i| i.version);
    let latest_task = state.and_then(|s| s.latest);
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
    use crate::Catalog;

    const NEW_KUBE: &str = "1.31.1-aliyun.1";

    fn state(version: Option<&'static str>, status: Option<UpgradeStatus>) -> AddonState<'static> {
        AddonState {
            name: "metrics-server",
            installed: version.map(|version| Installed {
                version,
                config: "{}",
            }),
            latest: status.map(|status| LatestTask {
                status,
                created_at: 1,
                finished_at: None,
                is_canceled: false,
                message: "",
            }),
        }
    }

    fn check(kube: &str, s: AddonState<'static>) -> (bool, Option<&'static str>) {
        let c = Box::leak(Box::new(Catalog::builtin()));
        let v = view("metrics-server", c.get("metrics-server"), kube, Some(&s));
        (v.can_upgrade, v.next_version)
    }

    #[test]
    fn upgradable_only_with_a_suitable_newer_version_and_nothing_in_flight() {
        let old = Some("v0.3.9.4-ff225cd-aliyun");
        assert_eq!(
            check(NEW_KUBE, state(old, None)),
            (true, Some("v0.3.9.8-aliyun"))
        );
        // On an old cluster the newest version does not run, so the target is the newest that does.
        assert_eq!(
            check("1.24.6-aliyun.1", state(old, None)),
            (true, Some("v0.3.9.7-aliyun"))
        );
        assert!(!check(NEW_KUBE, state(old, Some(UpgradeStatus::Upgrading))).0);
        assert!(!check(NEW_KUBE, state(old, Some(UpgradeStatus::Paused))).0);
        assert!(check(NEW_KUBE, state(old, Some(UpgradeStatus::Success))).0);
        assert_eq!(
            check(NEW_KUBE, state(Some("v0.3.9.8-aliyun"), None)),
            (false, None)
        );
        let c = Catalog::builtin();
        let v = view("metrics-server", c.get("metrics-server"), NEW_KUBE, None);
        assert_eq!(v.version, "");
    }

    #[test]
    fn snapshot_lookup_is_by_name() {
        let snap = AddonsSnapshot {
            kubernetes_version: NEW_KUBE,
            addons: vec![
                AddonState {
                    name: "a",
                    ..state(None, Some(UpgradeStatus::Success))
                },
                AddonState {
                    name: "b",
                    ..state(Some("v1"), None)
                },
            ],
        };
        assert_eq!(snap.get("b").map(|s| s.installed.is_some()), Some(true));
        assert!(snap.get("c").is_none());
        assert_eq!(snap.installed().map(|s| s.name).collect::<Vec<_>>(), ["b"]);
    }
}
