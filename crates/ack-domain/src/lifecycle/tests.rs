//! The lifecycle's rules, case by case.

use super::*;
use crate::instance::InstanceState;
use crate::{ClusterId, cluster::Cluster};

fn cluster(kube: &str) -> Cluster {
    Cluster {
        id: ClusterId::parse("c1").unwrap(),
        account: "a".into(),
        name: "n".into(),
        region_id: "r".into(),
        zone_id: "z".into(),
        cluster_type: "ManagedKubernetes".into(),
        cluster_spec: String::new(),
        profile: String::new(),
        kubernetes_version: kube.into(),
        init_version: kube.into(),
        state: "running".into(),
        vpc_id: String::new(),
        vswitch_ids: vec![],
        created_at: 0,
        updated_at: 0,
        tags: vec![],
    }
}

fn inst(name: &str, v: &str) -> AddonInstance {
    AddonInstance {
        cluster_id: ClusterId::parse("c1").unwrap(),
        name: AddonName::parse(name).unwrap(),
        version: v.into(),
        config: "{}".into(),
        state: InstanceState::Active,
        created_at: 0,
        updated_at: 0,
    }
}

fn change(name: &str, v: Option<&str>, cfg: Option<&str>) -> AddonChange {
    AddonChange {
        name: name.into(),
        version: v.map(Into::into),
        config: cfg.map(Into::into),
    }
}

#[test]
fn requests_are_checked_before_any_task() {
    let c = Catalog::builtin();
    let k = cluster("1.31.1-aliyun.1");
    let have = [inst("metrics-server", "v0.3.9.4-ff225cd-aliyun")];
    let p = plan(
        &c,
        &k,
        &have,
        Operation::Install,
        &[change("flannel", None, None)],
    )
    .unwrap();
    assert_eq!(p[0].to_version, "v0.15.1.28-0ad4f25e-aliyun");
    assert!(matches!(
        plan(
            &c,
            &k,
            &have,
            Operation::Install,
            &[change("metrics-server", None, None)]
        ),
        Err(DomainError::AddonAlreadyInstalled(_))
    ));
    assert!(matches!(
        plan(
            &c,
            &k,
            &have,
            Operation::Upgrade,
            &[change("flannel", Some("x"), None)]
        ),
        Err(DomainError::AddonNotFound { .. })
    ));
    assert!(matches!(
        plan(
            &c,
            &k,
            &have,
            Operation::Install,
            &[change("nope", None, None)]
        ),
        Err(DomainError::AddonNotFound { .. })
    ));
    assert!(
        plan(
            &c,
            &k,
            &have,
            Operation::Modify,
            &[change("metrics-server", None, Some("{\"bad\":1}"))]
        )
        .is_err()
    );
    assert!(
        plan(
            &c,
            &k,
            &have,
            Operation::Modify,
            &[change("metrics-server", None, Some("{"))]
        )
        .is_err()
    );
    assert!(
        plan(
            &c,
            &k,
            &have,
            Operation::Modify,
            &[change("metrics-server", None, None)]
        )
        .is_err()
    );
    assert!(plan(&c, &k, &have, Operation::Uninstall, &[]).is_err());
    let mut deleting = k.clone();
    deleting.state = "deleting".into();
    assert!(matches!(
        plan(
            &c,
            &deleting,
            &have,
            Operation::Uninstall,
            &[change("metrics-server", None, None)]
        ),
        Err(DomainError::ClusterState { .. })
    ));
    let m = plan(
        &c,
        &k,
        &have,
        Operation::Modify,
        &[change("metrics-server", None, Some("{\"replicas\":3}"))],
    )
    .unwrap();
    assert_eq!(
        m[0].config.as_deref(),
        Some("{\"sls_project_name\":\"\",\"replicas\":3}")
    );
}

#[test]
fn precheck_refuses_what_cannot_run() {
    let c = Catalog::builtin();
    let have = [
        inst("metrics-server", "v0.3.9.5-aliyun"),
        inst("csi-provisioner", "v1.26.5-56d1e30-aliyun"),
        inst("csi-plugin", "v1.26.5-56d1e30-aliyun"),
    ];
    let k = cluster("1.24.6-aliyun.1");
    let up = |name: &str, from: &str, to: &str| TaskAddon {
        component: AddonName::parse(name).unwrap(),
        operation: Operation::Upgrade,
        from_version: from.into(),
        to_version: to.into(),
        config: None,
    };
    let kube = &k.kubernetes_version;
    assert!(
        precheck(
            &c,
            kube,
            &have,
            &[up("metrics-server", "v0.3.9.5-aliyun", "v0.3.9.7-aliyun")]
        )
        .is_ok()
    );
    assert!(
        precheck(
            &c,
            kube,
            &have,
            &[up("metrics-server", "v0.3.9.5-aliyun", "v0.3.9.9")]
        )
        .unwrap_err()
        .contains("no version")
    );
    assert!(
        precheck(
            &c,
            kube,
            &have,
            &[up(
                "metrics-server",
                "v0.3.9.5-aliyun",
                "v0.3.9.4-ff225cd-aliyun"
            )]
        )
        .unwrap_err()
        .contains("downgrade")
    );
    assert!(
        precheck(
            &c,
            kube,
            &have,
            &[up("metrics-server", "v0.3.9.5-aliyun", "v0.3.9.8-aliyun")]
        )
        .unwrap_err()
        .contains("needs Kubernetes 1.30")
    );
    let plugin = up(
        "csi-plugin",
        "v1.26.5-56d1e30-aliyun",
        "v1.30.1-98960e9-aliyun",
    );
    assert!(
        precheck(&c, kube, &have, std::slice::from_ref(&plugin))
            .unwrap_err()
            .contains("requires csi-provisioner")
    );
    let prov = up(
        "csi-provisioner",
        "v1.26.5-56d1e30-aliyun",
        "v1.30.1-98960e9-aliyun",
    );
    assert!(
        precheck(&c, kube, &have, &[plugin, prov]).is_ok(),
        "upgraded together, the requirement is met"
    );
}
