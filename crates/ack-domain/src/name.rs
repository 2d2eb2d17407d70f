//! A cluster's name, checked as ACK documents it: 1–63 characters of letters, digits, Chinese
//! characters, `_` and `-`, not starting with `-`. Names reach logs, the console, webhook
//! payloads and SQL filters, so nothing else (no NUL, control characters, `/`, quotes) gets in.

use crate::DomainError;
use std::fmt;

pub const MAX_NAME_CHARS: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterName(String);

/// The CJK Unified Ideographs and their extension A: what "Chinese characters" means here.
fn is_chinese(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

impl ClusterName {
    /// `param` names the field in errors (`name`).
    pub fn parse(param: &str, s: &str) -> Result<Self, DomainError> {
        let n = s.chars().count();
        let reason = if n == 0 {
            "it is required".to_string()
        } else if n > MAX_NAME_CHARS {
            format!("it is {n} characters long, at most {MAX_NAME_CHARS} are allowed")
        } else if s.starts_with('-') {
            "it must not start with -".to_string()
        } else if let Some(c) = s
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || is_chinese(c)))
        {
            format!(
                "{:?} is not allowed (letters, digits, Chinese characters, _ and -)",
                c.escape_default().to_string()
            )
        } else {
            return Ok(Self(s.to_string()));
        };
        Err(DomainError::invalid(param, reason))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ClusterName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text that is stored (regions, zones, tag keys and values): at most `max` characters
/// and no control characters, which PostgreSQL refuses (NUL) and logs and terminals mangle.
pub fn check_text(param: &str, s: &str, max: usize) -> Result<(), DomainError> {
    let n = s.chars().count();
    if n > max {
        return Err(DomainError::invalid(
            param,
            format!("it is {n} characters long, at most {max} are allowed"),
        ));
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(DomainError::invalid(
            param,
            format!(
                "it holds the control character {:?}",
                c.escape_default().to_string()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_what_ack_documents() {
        for ok in [
            "a",
            "prod-1",
            "my_cluster",
            "集群-01",
            "x-",
            &"a".repeat(63),
            &"集".repeat(63),
        ] {
            assert_eq!(ClusterName::parse("name", ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_everything_else() {
        let bad = [
            "",
            "-lead",
            "a b",
            "a\0b",
            "a\nb",
            "tab\t",
            "a/b",
            "../etc",
            "..",
            "a.b",
            "x'; DROP TABLE clusters;--",
            "$(rm -rf /)",
            "a`b`",
            "🚀",
            "naïve",
            "Ａ",
            "a\u{202e}b",
            "a\u{200b}b",
            "\u{7f}",
        ];
        for s in bad {
            let e = ClusterName::parse("name", s).unwrap_err();
            assert!(
                matches!(&e, DomainError::InvalidParameter { name, .. } if name == "name"),
                "{s:?}: {e}"
            );
        }
        assert!(ClusterName::parse("name", &"a".repeat(64)).is_err());
        assert!(ClusterName::parse("name", &"集".repeat(64)).is_err());
    }

    #[test]
    fn text_is_bounded_and_free_of_control_characters() {
        assert!(check_text("region_id", "cn-hangzhou 杭州 '; --", 64).is_ok());
        assert!(check_text("region_id", &"r".repeat(65), 64).is_err());
        for bad in ["a\0", "a\n", "\u{1b}[31m", "\u{7f}", "\u{85}"] {
            assert!(check_text("region_id", bad, 64).is_err(), "{bad:?}");
        }
    }
}
