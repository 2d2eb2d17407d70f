//! The status cache's own rules: a raced load is not kept, a full cache takes no more, a held
//! cluster shows what it was given (or is not kept), a start updates it in place.

use super::*;
use ack_domain::status::{Installed, LatestTask};

fn snap(version: &str) -> AddonsSnapshot<'_> {
    AddonsSnapshot::merge(
        "1.31.1-aliyun.1",
        [(
            "coredns",
            Installed {
                version,
                config: "{}",
            },
        )],
        [],
    )
}

fn shown(c: &StatusCache, account: &str, cluster: &str) -> Option<Option<String>> {
    match c.lookup(account, cluster, None, |s| format!("{s:?}")) {
        Lookup::Hit(r) => Some(r),
        Lookup::Miss(..) => None,
    }
}

fn ticket(c: &StatusCache, cluster: &str) -> Ticket {
    match c.lookup("a", cluster, None, |_| ()) {
        Lookup::Miss(t, _) => t,
        Lookup::Hit(_) => panic!("{cluster} is held"),
    }
}

#[test]
fn a_load_that_raced_a_write_is_not_kept() {
    let c = StatusCache::new(10);
    let t = ticket(&c, "c1");
    // A write commits and removes the cluster while the load is reading.
    c.remove("c1");
    c.store(t, "c1", "a", &snap("v1"));
    assert_eq!(shown(&c, "a", "c1"), None);
    // A load after the write is kept, and shown to its account only.
    let t = ticket(&c, "c1");
    c.store(t, "c1", "a", &snap("v2"));
    assert_eq!(
        shown(&c, "a", "c1"),
        Some(Some(format!("{:?}", snap("v2"))))
    );
    assert_eq!(shown(&c, "b", "c1"), Some(None));
    // Asked for some add-ons, it shows those the cluster has, by name, once each.
    let some = c.lookup("a", "c1", Some(&["x", "coredns", "coredns"]), |s| {
        s.addons
            .iter()
            .map(|a| a.name.to_string())
            .collect::<Vec<_>>()
    });
    assert!(matches!(some, Lookup::Hit(Some(names)) if names == ["coredns"]));
    c.remove("c1");
    assert_eq!((shown(&c, "a", "c1"), c.len()), (None, 0));
}

#[test]
fn a_full_cache_keeps_what_it_has_and_takes_no_more() {
    let c = StatusCache::new(1);
    let (t1, t2) = (ticket(&c, "c1"), ticket(&c, "c2"));
    c.store(t1, "c1", "a", &snap("v1"));
    c.store(t2, "c2", "a", &snap("v1"));
    assert!(shown(&c, "a", "c1").is_some());
    assert!(shown(&c, "a", "c2").is_none());
    assert_eq!(c.len(), 1);
}

fn finished(created_at: i64, finished_at: i64) -> AddonsSnapshot<'static> {
    let latest = LatestTask {
        status: UpgradeStatus::Success,
        created_at,
        finished_at: Some(finished_at),
        is_canceled: false,
        message: "done",
    };
    let installed = Installed {
        version: "v1",
        config: "{}",
    };
    AddonsSnapshot::merge(
        "1.31.1-aliyun.1",
        [("coredns", installed), ("terway", installed)],
        [("coredns", latest)],
    )
}

#[test]
fn a_held_add_on_is_twelve_bytes_and_shows_what_it_was_given() {
    // The point of interning what add-ons show: a fleet of 25 add-ons a cluster stays small.
    assert_eq!(std::mem::size_of::<CachedAddon>(), 12);
    let c = StatusCache::new(10);
    let t = ticket(&c, "c1");
    c.store(t, "c1", "a", &finished(1_700_000_000, 1_700_000_100));
    let want = format!("{:?}", finished(1_700_000_000, 1_700_000_100));
    assert_eq!(shown(&c, "a", "c1"), Some(Some(want)));
}

#[test]
fn a_cluster_with_a_time_past_32_bits_is_not_kept() {
    let c = StatusCache::new(10);
    for (cluster, (created, done)) in [
        ("c1", (-1, 5)),
        ("c2", (5, 1 << 32)),
        ("c3", (5, u32::MAX.into())),
    ] {
        let t = ticket(&c, cluster);
        c.store(t, cluster, "a", &finished(created, done));
        assert_eq!(shown(&c, "a", cluster), None, "{cluster}");
    }
    assert_eq!(c.len(), 0);
}

#[test]
fn a_start_updates_a_held_cluster_in_place_or_forgets_it() {
    let c = StatusCache::new(10);
    for id in ["c1", "c2"] {
        let t = ticket(&c, id);
        c.store(t, id, "a", &finished(100, 200));
    }
    c.started(
        "c1",
        &[
            ("coredns", UpgradeStatus::Upgrading, 300),
            ("terway", UpgradeStatus::Upgrading, 300),
        ],
    );
    let running = LatestTask {
        status: UpgradeStatus::Upgrading,
        created_at: 300,
        finished_at: None,
        is_canceled: false,
        message: "",
    };
    let installed = Installed {
        version: "v1",
        config: "{}",
    };
    let want = AddonsSnapshot::merge(
        "1.31.1-aliyun.1",
        [("coredns", installed), ("terway", installed)],
        [("coredns", running), ("terway", running)],
    );
    assert_eq!(shown(&c, "a", "c1"), Some(Some(format!("{want:?}"))));
    // An add-on the cluster does not have installed: the cluster is forgotten.
    c.started("c2", &[("nginx", UpgradeStatus::Running, 300)]);
    assert_eq!((shown(&c, "a", "c2"), c.len()), (None, 1));
}
