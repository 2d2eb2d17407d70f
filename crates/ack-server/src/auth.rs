//! Who is calling: signature, clock skew and replay checks, and the account the key belongs to.

use crate::error::ApiError;
use crate::state::{AppState, AuthMode};
use ack_wire::ErrorCode;
use ack_wire::sign::{self, AccessKeySecret, WireRequest};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// How far a request's timestamp may be from ours, and how long a nonce is remembered.
pub const WINDOW_SECS: i64 = 15 * 60;

pub const DEFAULT_ACCOUNT: &str = "default";

/// The configured access keys, loaded from the store at start-up.
#[derive(Default)]
pub struct KeyRing {
    keys: HashMap<String, (AccessKeySecret, String)>,
}

impl KeyRing {
    pub fn new(keys: impl IntoIterator<Item = (String, AccessKeySecret, String)>) -> Self {
        Self {
            keys: keys
                .into_iter()
                .map(|(id, s, account)| (id, (s, account)))
                .collect(),
        }
    }

    fn secret(&self, id: &str) -> Option<AccessKeySecret> {
        self.keys.get(id).map(|(s, _)| s.clone())
    }

    fn account(&self, id: &str) -> Option<&str> {
        self.keys.get(id).map(|(_, a)| a.as_str())
    }
}

/// Nonces seen within the window: in memory when one process owns the database (SQLite), in
/// the database when replicas share it (PostgreSQL).
#[derive(Default)]
pub struct NonceCache {
    inner: Mutex<Seen>,
    shared: bool,
}

/// The nonces with when they were seen, and the same in arrival order for expiry.
type Seen = (HashMap<String, i64>, VecDeque<(i64, String)>);

impl NonceCache {
    /// Nonces kept in the store, for several replicas.
    pub fn shared() -> Self {
        Self {
            inner: Mutex::default(),
            shared: true,
        }
    }

    /// Records the nonce; false when it was already seen within the window.
    pub fn first_use(&self, nonce: &str, now: i64) -> bool {
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (seen, order) = &mut *guard;
        while let Some((t, _)) = order.front() {
            if now - t <= WINDOW_SECS {
                break;
            }
            if let Some((_, n)) = order.pop_front() {
                seen.remove(&n);
            }
        }
        if seen.contains_key(nonce) {
            return false;
        }
        seen.insert(nonce.to_string(), now);
        order.push_back((now, nonce.to_string()));
        true
    }
}

/// Verifies the request and returns the caller's account.
pub async fn authenticate(state: &AppState, req: &WireRequest<'_>) -> Result<String, ApiError> {
    if state.auth == AuthMode::Off {
        return Ok(DEFAULT_ACCOUNT.to_string());
    }
    let keys = &state.keys;
    let verified = sign::verify(req, &|id| keys.secret(id))?;
    let now = state.clock.now();
    if (now - verified.timestamp).abs() > WINDOW_SECS {
        return Err(ApiError::new(
            ErrorCode::InvalidTimeStampExpired,
            format!(
                "the request time {} is more than 15 minutes from the server time {}",
                ack_wire::time::rfc3339(verified.timestamp),
                ack_wire::time::rfc3339(now)
            ),
        ));
    }
    if let Some(nonce) = verified.nonce.as_deref()
        && !first_use(state, nonce, now).await?
    {
        return Err(ApiError::new(
            ErrorCode::SignatureNonceUsed,
            format!("the signature nonce {nonce} was already used within 15 minutes"),
        ));
    }
    Ok(keys
        .account(&verified.access_key_id)
        .unwrap_or(DEFAULT_ACCOUNT)
        .to_string())
}

async fn first_use(state: &AppState, nonce: &str, now: i64) -> Result<bool, ApiError> {
    if state.nonces.shared {
        Ok(state
            .store
            .first_use_of_nonce(nonce, now, now - WINDOW_SECS)
            .await?)
    } else {
        Ok(state.nonces.first_use(nonce, now))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nonces_are_refused_within_the_window_and_forgotten_after() {
        let c = super::NonceCache::default();
        assert!(c.first_use("a", 100));
        assert!(!c.first_use("a", 200));
        assert!(c.first_use("b", 200));
        assert!(c.first_use("a", 100 + super::WINDOW_SECS + 1));
    }
}
