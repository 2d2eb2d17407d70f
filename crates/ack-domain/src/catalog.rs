//! The add-on catalog: which add-ons exist, their versions, what each version needs, and the
//! config keys each accepts. The built-in one ships in `catalog.json`; `--catalog FILE` replaces it.

use crate::DomainError;
use crate::version;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Deserialize)]
pub struct Catalog {
    pub addons: Vec<CatalogAddon>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogAddon {
    pub name: String,
    /// core, network, security, storage, monitor, application or "".
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub install_by_default: bool,
    #[serde(default)]
    pub managed: bool,
    #[serde(default)]
    pub supported_actions: Vec<String>,
    #[serde(default)]
    pub architecture: Vec<String>,
    /// A JSON schema of type object; `properties` name the config keys the add-on accepts.
    #[serde(default = "empty_schema")]
    pub config_schema: Value,
    /// Oldest first once loaded.
    pub versions: Vec<CatalogVersion>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CatalogVersion {
    pub version: String,
    /// The oldest cluster Kubernetes version this add-on version runs on.
    #[serde(default)]
    pub minimum_cluster_version: String,
    /// Other add-ons this version needs, at a minimum version.
    #[serde(default)]
    pub requires: Vec<Requirement>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Requirement {
    pub name: String,
    pub minimum_version: String,
}

fn empty_schema() -> Value {
    serde_json::json!({"type": "object", "properties": {}})
}

const BUILTIN: &str = include_str!("../catalog.json");

impl Catalog {
    pub fn builtin() -> Self {
        Self::from_json(BUILTIN).expect("the built-in catalog is valid")
    }

    /// Parses and checks a catalog document, sorting each add-on's versions oldest first.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let mut c: Catalog = serde_json::from_str(text).map_err(|e| format!("catalog: {e}"))?;
        let mut seen = std::collections::HashSet::new();
        for a in &mut c.addons {
            crate::AddonName::parse(&a.name).map_err(|e| format!("catalog: {e}"))?;
            if !seen.insert(a.name.clone()) {
                return Err(format!("catalog: add-on {} is listed twice", a.name));
            }
            if a.versions.is_empty() {
                return Err(format!("catalog: add-on {} has no versions", a.name));
            }
            if let Some(bad) = a.versions.iter().find(|v| !version::is_version(&v.version)) {
                return Err(format!(
                    "catalog: {} version {:?} does not start with a number",
                    a.name, bad.version
                ));
            }
            if !a.config_schema.is_object() {
                return Err(format!(
                    "catalog: {} config_schema must be a JSON object",
                    a.name
                ));
            }
            a.versions
                .sort_by(|x, y| version::compare(&x.version, &y.version));
        }
        Ok(c)
    }

    pub fn get(&self, name: &str) -> Option<&CatalogAddon> {
        self.addons.iter().find(|a| a.name == name)
    }

    pub fn require(&self, name: &str) -> Result<&CatalogAddon, DomainError> {
        self.get(name)
            .ok_or_else(|| DomainError::addon_not_found(name))
    }
}

impl CatalogAddon {
    pub fn version(&self, v: &str) -> Option<&CatalogVersion> {
        self.versions.iter().find(|x| x.version == v)
    }

    pub fn latest(&self) -> &CatalogVersion {
        self.versions.last().expect("checked non-empty at load")
    }

    /// The newest version that runs on a cluster of this Kubernetes version.
    pub fn latest_for(&self, kube: &str) -> Option<&CatalogVersion> {
        self.versions.iter().rev().find(|v| v.suits(kube))
    }

    /// Versions newer than `current`, oldest first.
    pub fn newer_than<'a>(
        &'a self,
        current: &'a str,
    ) -> impl Iterator<Item = &'a CatalogVersion> + 'a {
        self.versions
            .iter()
            .filter(move |v| version::compare(&v.version, current).is_gt())
    }

    /// The next version an installed `current` can move to on this cluster, if any.
    pub fn upgrade_target(&self, current: &str, kube: &str) -> Option<&CatalogVersion> {
        self.versions
            .iter()
            .rev()
            .find(|v| version::compare(&v.version, current).is_gt() && v.suits(kube))
    }

    pub fn schema_properties(&self) -> Option<&Map<String, Value>> {
        self.config_schema
            .get("properties")
            .and_then(Value::as_object)
    }

    /// The config an instance starts with: every schema property that has a default.
    pub fn default_config(&self) -> String {
        let mut out = Map::new();
        if let Some(props) = self.schema_properties() {
            for (k, p) in props {
                if let Some(d) = p.get("default") {
                    out.insert(k.clone(), d.clone());
                }
            }
        }
        Value::Object(out).to_string()
    }

    /// Parses a config (a JSON object in a string) and checks it against the schema's keys and
    /// types; `param` names the request field in the error.
    pub fn check_config(
        &self,
        param: &str,
        config: &str,
    ) -> Result<Map<String, Value>, DomainError> {
        let parsed: Value = serde_json::from_str(config)
            .map_err(|e| DomainError::invalid(param, format!("config is not valid JSON: {e}")))?;
        let Value::Object(map) = parsed else {
            return Err(DomainError::invalid(param, "config must be a JSON object"));
        };
        let closed = self.config_schema.get("additionalProperties") == Some(&Value::Bool(false));
        let props = self.schema_properties();
        for (k, v) in &map {
            match props.and_then(|p| p.get(k)) {
                None if closed => {
                    return Err(DomainError::invalid(
                        param,
                        format!(
                            "config key {k:?} is not allowed by the schema of {}",
                            self.name
                        ),
                    ));
                }
                None => {}
                Some(p) => check_type(param, k, p, v)?,
            }
        }
        Ok(map)
    }
}

fn check_type(param: &str, key: &str, prop: &Value, v: &Value) -> Result<(), DomainError> {
    let ok = match prop.get("type").and_then(Value::as_str) {
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        Some("object") => v.is_object(),
        Some("array") => v.is_array(),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            param,
            format!("config key {key:?} must be of type {}", prop["type"]),
        ))
    }
}

impl CatalogVersion {
    pub fn suits(&self, kube: &str) -> bool {
        self.minimum_cluster_version.is_empty()
            || version::at_least(kube, &self.minimum_cluster_version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_is_rich_enough() {
        let c = Catalog::builtin();
        assert!(c.addons.len() >= 25, "enough add-ons for a 25-add-on fleet");
        for name in [
            "metrics-server",
            "coredns",
            "cloud-controller-manager",
            "csi-plugin",
            "csi-provisioner",
            "terway-eniip",
            "flannel",
            "nginx-ingress-controller",
            "ack-node-problem-detector",
            "logtail-ds",
        ] {
            let a = c.get(name).unwrap_or_else(|| panic!("{name} missing"));
            assert!(a.versions.len() >= 2, "{name} has several versions");
        }
        assert!(c.addons.iter().any(|a| a.install_by_default));
        assert!(
            c.addons
                .iter()
                .any(|a| a.versions.iter().any(|v| !v.requires.is_empty()))
        );
    }

    #[test]
    fn versions_and_configs() {
        let c = Catalog::builtin();
        let ms = c.get("metrics-server").unwrap();
        let oldest = &ms.versions[0].version;
        assert!(ms.upgrade_target(oldest, "1.31.1-aliyun.1").is_some());
        assert!(
            ms.upgrade_target(&ms.latest().version, "1.31.1-aliyun.1")
                .is_none()
        );
        assert!(ms.latest_for("1.0").is_none());
        assert!(ms.check_config("config", "{\"nope\": 1}").is_err());
        assert!(ms.check_config("config", "[1]").is_err());
        assert!(ms.check_config("config", "{").is_err());
        assert!(ms.check_config("config", &ms.default_config()).is_ok());
    }

    #[test]
    fn refuses_bad_catalogs() {
        assert!(Catalog::from_json("{\"addons\":[{\"name\":\"a\",\"versions\":[]}]}").is_err());
        assert!(
            Catalog::from_json(
                "{\"addons\":[{\"name\":\"a\",\"versions\":[{\"version\":\"x\"}]}]}"
            )
            .is_err()
        );
        assert!(
            Catalog::from_json(
                "{\"addons\":[{\"name\":\"a b\",\"versions\":[{\"version\":\"1\"}]}]}"
            )
            .is_err()
        );
        assert!(Catalog::from_json("not json").is_err());
    }
}
