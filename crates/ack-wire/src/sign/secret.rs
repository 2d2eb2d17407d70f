//! Access-key secrets as a type: never printed, compared in constant time.

use std::fmt;
use subtle::ConstantTimeEq;

/// The secret half of an access key. `Debug` and `Display` print a fixed mask so a secret can
/// never leak through a log line or an error message.
/// Shared, so that handing it to each signature check copies no bytes; it keeps the HMAC-SHA256
/// state keyed with it, since keying costs two of the hash's blocks on every check.
#[derive(Clone)]
pub struct AccessKeySecret(std::sync::Arc<Keyed>);

struct Keyed {
    secret: Box<str>,
    sha256: std::sync::OnceLock<hmac::Hmac<sha2::Sha256>>,
}

impl AccessKeySecret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(std::sync::Arc::new(Keyed {
            secret: secret.into().into_boxed_str(),
            sha256: std::sync::OnceLock::new(),
        }))
    }

    /// The raw bytes, only for computing an HMAC or storing the key.
    pub fn expose(&self) -> &str {
        &self.0.secret
    }

    /// A fresh HMAC-SHA256 keyed with this secret.
    pub fn hmac_sha256(&self) -> hmac::Hmac<sha2::Sha256> {
        use hmac::KeyInit;
        self.0
            .sha256
            .get_or_init(|| {
                <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(self.0.secret.as_bytes())
                    .expect("HMAC accepts any key length")
            })
            .clone()
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
        ct_eq(self.expose().as_bytes(), other.expose().as_bytes())
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
