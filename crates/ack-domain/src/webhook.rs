//! Webhooks, the pure part: what a subscription may say (its URL, its event patterns), which
//! events it wants, and when a failed delivery is tried again.

use crate::DomainError;
use crate::event::{is_known_pattern, type_matches};
use std::fmt;

/// How long a delivery is retried before it is given up as `failed`.
pub const GIVE_UP_AFTER_MS: i64 = 24 * 3600 * 1000;
/// The longest wait between two attempts.
pub const MAX_BACKOFF_MS: i64 = 10 * 60 * 1000;

/// A webhook's signing secret: never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// A given secret (8 to 256 printable characters), or a fresh one.
    pub fn parse_or_generate(given: Option<&str>) -> Result<Self, DomainError> {
        match given.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(Self(uuid::Uuid::new_v4().simple().to_string())),
            Some(s) if (8..=256).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) => {
                Ok(Self(s.to_string()))
            }
            Some(_) => Err(DomainError::invalid(
                "secret",
                "it must be 8 to 256 printable ASCII characters",
            )),
        }
    }

    pub fn stored(s: String) -> Self {
        Self(s)
    }

    /// The raw value, only for signing, storing and the one answer that creates it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

/// Where a webhook is delivered: `http://` or `https://` `HOST[:PORT][/PATH]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub path: String,
}

pub fn parse_url(url: &str) -> Result<WebhookUrl, DomainError> {
    let bad = |why: &str| DomainError::invalid("url", format!("{url:?} {why}"));
    if url.len() > 2048 || url.bytes().any(|b| !b.is_ascii_graphic()) {
        return Err(bad("is not a URL of at most 2048 printable characters"));
    }
    let (tls, rest) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        (None, None) => return Err(bad("is not an http or https URL")),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad("has a bad port"))?),
        None => (authority, if tls { 443 } else { 80 }),
    };
    if host.is_empty() || authority.contains('@') {
        return Err(bad("has no host (or has credentials)"));
    }
    Ok(WebhookUrl {
        tls,
        host: host.to_string(),
        port,
        path: path.to_string(),
    })
}

/// The event patterns of a subscription: known types, or prefixes ending in `*`.
pub fn parse_patterns(events: &[String]) -> Result<Vec<String>, DomainError> {
    if events.is_empty() || events.len() > 32 {
        return Err(DomainError::invalid(
            "events",
            "it must list 1 to 32 event types or prefixes such as task.*",
        ));
    }
    for (i, e) in events.iter().enumerate() {
        if !is_known_pattern(e) {
            return Err(DomainError::invalid(
                format!("events[{i}]"),
                format!("{e:?} matches no event type"),
            ));
        }
    }
    Ok(events.to_vec())
}

pub fn wants(patterns: &[String], kind: &str) -> bool {
    patterns.iter().any(|p| type_matches(p, kind))
}

/// The wait before attempt `attempts + 1`, after `attempts` failed ones: `base`, doubled each
/// time, capped at ten minutes, give or take a fifth (`jitter` in 0..1 picks where).
pub fn backoff_ms(attempts: u32, base_ms: i64, jitter: f64) -> i64 {
    let exp = base_ms.saturating_mul(1_i64 << attempts.saturating_sub(1).min(30));
    let capped = exp.min(MAX_BACKOFF_MS) as f64;
    (capped * (0.8 + 0.4 * jitter.clamp(0.0, 1.0))) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_patterns_and_backoff() {
        let hook = |tls, host: &str, port, path: &str| WebhookUrl {
            tls,
            host: host.into(),
            port,
            path: path.into(),
        };
        assert_eq!(
            parse_url("http://127.0.0.1:9000/hook").unwrap(),
            hook(false, "127.0.0.1", 9000, "/hook")
        );
        assert_eq!(
            parse_url("https://example.test").unwrap(),
            hook(true, "example.test", 443, "/")
        );
        assert_eq!(parse_url("http://example.test").unwrap().port, 80);
        for bad in [
            "ftp://x",
            "http://",
            "http://a:b/",
            "http://u@h/",
            "https://",
            "http://h/ x",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
        assert!(parse_patterns(&["task.*".into(), "rollout.failed".into()]).is_ok());
        assert!(
            parse_patterns(&["tasks.*".into()])
                .unwrap_err()
                .to_string()
                .contains("events[0]")
        );
        assert!(parse_patterns(&[]).is_err());
        assert!(
            wants(&["task.*".into()], "task.stage") && !wants(&["task.*".into()], "rollout.wave")
        );
        assert_eq!(backoff_ms(1, 1000, 0.5), 1000);
        assert_eq!(backoff_ms(3, 1000, 0.5), 4000);
        assert_eq!(backoff_ms(40, 1000, 0.5), MAX_BACKOFF_MS);
        assert!(
            (800..=1200).contains(&backoff_ms(1, 1000, 0.0)) && backoff_ms(1, 1000, 1.0) == 1200
        );
        assert!(format!("{:?}", WebhookSecret::parse_or_generate(None).unwrap()).contains("***"));
        assert!(WebhookSecret::parse_or_generate(Some("short")).is_err());
    }
}
