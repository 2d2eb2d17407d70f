//! Identifiers are parsed once at the edge; past that point they are known to be well formed.

use crate::DomainError;
use std::fmt;

fn well_formed(s: &str, max: usize, extra: &[u8]) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $param:literal, $max:literal, $extra:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, DomainError> {
                if well_formed(s, $max, $extra) {
                    Ok(Self(s.to_string()))
                } else {
                    Err(DomainError::invalid(
                        $param,
                        format!("{s:?} is not a valid {} (letters, digits and {:?}, at most {} characters)", $param, std::str::from_utf8($extra).unwrap_or(""), $max),
                    ))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A cluster id such as `c23421cfa74454bc8b37163fd19af1234`.
    ClusterId, "ClusterId", 64, b"-_."
);
id_type!(
    /// A task id such as `T-5faa48fb31b6b8078d000006`.
    TaskId, "TaskId", 64, b"-_."
);
id_type!(
    /// An add-on (component) name such as `metrics-server`.
    AddonName, "ComponentName", 128, b"-_."
);

id_type!(
    /// A fleet rollout id such as `R-5faa48fb31b6b8078d000006`.
    RolloutId, "RolloutId", 64, b"-_."
);

impl RolloutId {
    /// A fresh id in the shape of a task id: `R-` followed by 24 hex digits.
    pub fn generate() -> Self {
        let hex = uuid::Uuid::new_v4().simple().to_string();
        Self(format!("R-{}", &hex[..24]))
    }
}

impl ClusterId {
    /// A fresh id in ACK's shape: `c` followed by 32 hex digits.
    pub fn generate() -> Self {
        Self(format!("c{}", uuid::Uuid::new_v4().simple()))
    }
}

impl TaskId {
    /// A fresh id in ACK's shape: `T-` followed by 24 hex digits.
    pub fn generate() -> Self {
        let hex = uuid::Uuid::new_v4().simple().to_string();
        Self(format!("T-{}", &hex[..24]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert!(ClusterId::parse("c-test").is_ok());
        assert!(ClusterId::parse("c te*st").is_err());
        assert!(ClusterId::parse("").is_err());
        assert!(ClusterId::parse(&"a".repeat(65)).is_err());
        assert!(AddonName::parse("metrics-server").is_ok());
        assert!(AddonName::parse("metric server").is_err());
        let c = ClusterId::generate();
        assert_eq!(c.as_str().len(), 33);
        assert!(ClusterId::parse(c.as_str()).is_ok());
        assert!(TaskId::generate().as_str().starts_with("T-"));
    }
}
