//! Fleets for `ack-addons import`: N clusters × 25 add-ons. Every add-on has a finished task of
//! history; a fifth of them sit at an older version, so upgrades have somewhere to go.

use serde_json::json;
use std::io::Write;

/// (add-on, an older version, the newest) for every built-in add-on on Kubernetes 1.31.
pub fn addons() -> Vec<(String, String, String)> {
    let catalog: serde_json::Value =
        serde_json::from_str(include_str!("../../ack-domain/catalog.json")).expect("catalog");
    catalog["addons"]
        .as_array()
        .expect("addons")
        .iter()
        .map(|a| {
            let versions: Vec<&str> = a["versions"]
                .as_array()
                .expect("versions")
                .iter()
                .map(|v| v["version"].as_str().unwrap_or(""))
                .collect();
            (
                a["name"].as_str().unwrap_or("").to_string(),
                versions[0].to_string(),
                versions[versions.len() - 1].to_string(),
            )
        })
        .collect()
}

/// UpgradeClusterAddons' body taking `name` to its newest version in `addons` (from `addons()`).
pub fn upgrade_to_newest(
    addons: &[(String, String, String)],
    name: &str,
) -> Result<String, String> {
    let (_, _, newest) = addons
        .iter()
        .find(|(a, _, _)| a == name)
        .ok_or_else(|| format!("{name} is not in the catalog"))?;
    Ok(format!(
        "[{{\"component_name\":\"{name}\",\"next_version\":\"{newest}\"}}]"
    ))
}

pub fn cluster_id(i: usize) -> String {
    format!("c{i:032x}")
}

/// Names of the add-ons that sit at their older version on every cluster.
pub const OLD: [&str; 5] = [
    "metrics-server",
    "nginx-ingress-controller",
    "terway-eniip",
    "logtail-ds",
    "gatekeeper",
];

pub fn write(path: &std::path::Path, clusters: usize) -> std::io::Result<()> {
    let addons = addons();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..clusters {
        let list: Vec<serde_json::Value> = addons
            .iter()
            .map(|(name, old, new)| {
                let v = if OLD.contains(&name.as_str()) { old } else { new };
                json!({"name": name, "version": v,
                       "last_task": {"status": "Success", "created_at": 1_790_000_000, "finished_at": 1_790_000_300}})
            })
            .collect();
        let c = json!({"cluster_id": cluster_id(i), "name": format!("bench-{i}"), "kubernetes_version": "1.31.1-aliyun.1", "addons": list});
        writeln!(out, "{c}")?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_upgrade_body_names_the_newest_version_and_a_stranger_is_refused() {
        let addons = vec![("coredns".to_string(), "v1".to_string(), "v3".to_string())];
        assert_eq!(
            super::upgrade_to_newest(&addons, "coredns").as_deref(),
            Ok(r#"[{"component_name":"coredns","next_version":"v3"}]"#)
        );
        assert!(super::upgrade_to_newest(&addons, "nginx").is_err());
    }
}
