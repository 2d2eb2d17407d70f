//! CreateAddonRollout's body parsed into a spec: every field checked and named when it is wrong,
//! every default filled in, so that nothing past the edge sees a raw value.

use super::{RolloutSpec, Selector, Strategy};
use crate::DomainError;
use serde_json::{Map, Value};

const MAX_COUNT: i64 = 1_000_000;

fn invalid(field: &str, reason: impl Into<String>) -> DomainError {
    DomainError::invalid(field, reason)
}

fn count(
    m: &Map<String, Value>,
    key: &str,
    default: u32,
    min: i64,
    max: i64,
) -> Result<(u32, bool), DomainError> {
    let field = format!("strategy.{key}");
    match m.get(key) {
        None | Some(Value::Null) => Ok((default, false)),
        Some(v) => match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Ok((u32::try_from(n).unwrap_or(u32::MAX), true)),
            _ => Err(invalid(
                &field,
                format!("{v} is not a whole number from {min} to {max}"),
            )),
        },
    }
}

fn flag(m: &Map<String, Value>, key: &str, default: bool) -> Result<bool, DomainError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(invalid(
            &format!("strategy.{key}"),
            format!("{v} is not true or false"),
        )),
    }
}

/// Parses a duration such as `30s`, `500ms` or `2m` (at most a day).
pub fn parse_soak(s: &str) -> Result<u64, DomainError> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| {
        invalid(
            "strategy.soak",
            format!("{s:?} is not a duration such as \"30s\": {e}"),
        )
    })?;
    if d.as_secs() > 86_400 {
        return Err(invalid("strategy.soak", "it is longer than a day"));
    }
    Ok(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Strategy {
    fn parse(v: Option<&Value>) -> Result<(Self, bool), DomainError> {
        let empty = Map::new();
        let m = match v {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(_) => return Err(invalid("strategy", "it must be a JSON object")),
        };
        const KNOWN: [&str; 8] = [
            "canary",
            "wave_size",
            "wave_percent",
            "max_parallel",
            "max_failures",
            "soak",
            "rollback_on_failure",
            "pause_after_canary",
        ];
        if let Some(k) = m.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(invalid(
                &format!("strategy.{k}"),
                "it is not a strategy field",
            ));
        }
        let (canary, _) = count(m, "canary", 0, 0, MAX_COUNT)?;
        let (wave_size, _) = count(m, "wave_size", 10, 1, MAX_COUNT)?;
        let (wave_percent, _) = count(m, "wave_percent", 0, 0, 100)?;
        let (max_parallel, given) = count(m, "max_parallel", 0, 1, MAX_COUNT)?;
        let (max_failures, _) = count(m, "max_failures", 0, 0, MAX_COUNT)?;
        let soak = match m.get("soak") {
            None | Some(Value::Null) => "0s".to_string(),
            Some(Value::String(s)) => s.trim().to_string(),
            Some(v) => {
                return Err(invalid(
                    "strategy.soak",
                    format!("{v} is not a duration string"),
                ));
            }
        };
        let soak_ms = parse_soak(&soak)?;
        Ok((
            Self {
                canary,
                wave_size,
                wave_percent,
                max_parallel,
                max_failures,
                soak,
                soak_ms,
                rollback_on_failure: flag(m, "rollback_on_failure", true)?,
                pause_after_canary: flag(m, "pause_after_canary", false)?,
            },
            given,
        ))
    }
}

fn string_list(m: &Map<String, Value>, key: &str) -> Result<(), DomainError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(a))
            if a.iter().all(|v| {
                v.as_str()
                    .is_some_and(|s| !s.trim().is_empty() && s.len() <= 256)
            }) =>
        {
            Ok(())
        }
        Some(_) => Err(invalid(
            &format!("selector.{key}"),
            "it must be an array of non-empty strings",
        )),
    }
}

impl RolloutSpec {
    /// Parses a CreateAddonRollout body (a JSON object).
    pub fn parse(body: &Value) -> Result<Self, DomainError> {
        let Value::Object(m) = body else {
            return Err(invalid("body", "it must be a JSON object"));
        };
        const KNOWN: [&str; 6] = [
            "addon", "version", "config", "selector", "strategy", "dry_run",
        ];
        if let Some(k) = m.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(invalid(k, "it is not a field of CreateAddonRollout"));
        }
        let text = |key: &str, required: bool| -> Result<Option<String>, DomainError> {
            match m.get(key) {
                None | Some(Value::Null) if required => Err(invalid(key, "it is required")),
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() && required => {
                    Err(invalid(key, "it is required"))
                }
                Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
                Some(Value::String(s)) if s.len() <= 65_536 => Ok(Some(s.trim().to_string())),
                Some(_) => Err(invalid(key, "it must be a string")),
            }
        };
        let addon = text("addon", true)?.unwrap_or_default();
        let version = text("version", true)?.unwrap_or_default();
        let config = text("config", false)?;
        let selector = match m.get("selector") {
            None | Some(Value::Null) => Selector::default(),
            Some(Value::Object(s)) => {
                for key in [
                    "cluster_ids",
                    "region_ids",
                    "kubernetes_versions",
                    "versions",
                ] {
                    string_list(s, key)?;
                }
                if let Some(t) = s.get("tags")
                    && !t.is_null()
                    && !t.as_object().is_some_and(|o| {
                        o.iter().all(|(k, v)| {
                            !k.is_empty()
                                && k.len() <= 128
                                && v.as_str().is_some_and(|v| v.len() <= 128)
                        })
                    })
                {
                    return Err(invalid(
                        "selector.tags",
                        "it must be an object of tag keys to string values",
                    ));
                }
                serde_json::from_value(Value::Object(s.clone()))
                    .map_err(|e| invalid("selector", format!("not the expected JSON: {e}")))?
            }
            Some(_) => return Err(invalid("selector", "it must be a JSON object")),
        };
        let (strategy, max_parallel_given) = Strategy::parse(m.get("strategy"))?;
        let dry_run = match m.get("dry_run") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(invalid("dry_run", "it must be true or false")),
        };
        Ok(Self {
            addon,
            version,
            config,
            selector,
            strategy,
            max_parallel_given,
            dry_run,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_fill_in_and_bad_fields_are_named() {
        let s = RolloutSpec::parse(&json!({"addon": "coredns", "version": "v1"})).unwrap();
        assert_eq!(
            (s.strategy.wave_size, s.strategy.canary, s.strategy.soak_ms),
            (10, 0, 0)
        );
        assert!(
            s.strategy.rollback_on_failure
                && !s.strategy.pause_after_canary
                && !s.max_parallel_given
        );
        assert!(!s.dry_run);
        let e = |v: Value| RolloutSpec::parse(&v).unwrap_err().to_string();
        assert!(e(json!({"version": "v1"})).starts_with("addon is invalid"));
        assert!(e(json!({"addon": "a", "version": "v", "dry_run": "yes"})).contains("dry_run"));
        assert!(
            e(json!({"addon": "a", "version": "v", "strategy": {"wave_size": -1}}))
                .contains("strategy.wave_size")
        );
        assert!(
            e(json!({"addon": "a", "version": "v", "strategy": {"wave_percent": 101}}))
                .contains("strategy.wave_percent")
        );
        assert!(
            e(json!({"addon": "a", "version": "v", "strategy": {"soak": "soon"}}))
                .contains("strategy.soak")
        );
        assert!(
            e(json!({"addon": "a", "version": "v", "strategy": {"max_parallel": 0}}))
                .contains("strategy.max_parallel")
        );
        assert!(
            e(json!({"addon": "a", "version": "v", "selector": {"tags": {"env": 1}}}))
                .contains("selector.tags")
        );
        assert!(
            e(json!({"addon": "a", "version": "v", "selector": {"zones": []}}))
                .contains("selector")
        );
        assert!(e(json!({"addon": "a", "version": "v", "extra": 1})).contains("extra"));
    }

    #[test]
    fn wave_length_rounds_percent_up() {
        let s = RolloutSpec::parse(&json!({"addon": "a", "version": "v", "strategy": {"wave_percent": 30, "soak": "1500ms"}}))
            .unwrap()
            .strategy;
        assert_eq!(
            (s.wave_len(10), s.wave_len(11), s.wave_len(1), s.soak_ms),
            (3, 4, 1, 1500)
        );
    }
}
