//! Access-key secrets as a type: never printed, compared in constant time.

use std::fmt;
use subtle::ConstantTimeEq;

/// The secret half of an access key. `Debug` and `Display` print a fixed mask so a secret can
/// never leak through a log line or an error message.
/// Shared, so that handing it to each signature check copies no bytes.
#[derive(Clone)]
pub struct AccessKeySecret(std::sync::Arc<str>);

impl AccessKeySecret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into().into())
    }

    /// The raw bytes, only for computing an HMAC or storing the key.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessKeySecret(***)")
    }
}

impl fmt::Display for AccessKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl PartialEq for AccessKeySecret {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for AccessKeySecret {}

/// Constant-time equality for signatures and secrets (lengths are not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_secret() {
        let s = AccessKeySecret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!format!("{s}").contains("hunter2"));
        assert_eq!(s, AccessKeySecret::new("hunter2"));
        assert_ne!(s, AccessKeySecret::new("hunter3"));
    }
}
