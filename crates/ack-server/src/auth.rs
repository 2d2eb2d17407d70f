//! Who is calling: signature, clock skew and replay checks, and the account the key belongs to.

use crate::error::ApiError;
use crate::state::{AppState, AuthMode};
use ack_wire::ErrorCode;
use ack_wire::sign::{self, AccessKeySecret, WireRequest};
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
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

    /// The account of the key `id` when `secret` is its secret (compared in constant time):
    /// the console's login.
    pub fn login(&self, id: &str, secret: &str) -> Option<String> {
        let given = AccessKeySecret::new(secret);
        match self.keys.get(id) {
            Some((s, account)) if *s == given => Some(account.clone()),
            _ => None,
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
/// the database when replicas share it (PostgreSQL). In memory each nonce is kept as a 64-bit
/// keyed hash with its time, about 30 bytes, since a fleet polling at tens of thousands of calls
/// a second sends millions within 15 minutes. Two different nonces share a hash with odds of
/// about one in 10^10 even then: the cost is one refused call.
#[derive(Default)]
pub struct NonceCache {
    inner: Mutex<Seen>,
    keys: std::hash::RandomState,
    shared: bool,
}

/// The nonces' hashes, and the same with when they were seen in arrival order, for expiry.
#[derive(Default)]
struct Seen {
    set: HashSet<u64, BuildHasherDefault<AlreadyHashed>>,
    order: VecDeque<(i64, u64)>,
}

/// The set's keys are hashes already.
#[derive(Default)]
struct AlreadyHashed(u64);

impl Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl NonceCache {
    /// Nonces kept in the store, for several replicas.
    pub fn shared() -> Self {
        Self {
            shared: true,
            ..Self::default()
        }
    }

    /// Nonces kept in memory now (those of the last 15 minutes).
    pub fn kept(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .set
            .len()
    }

    /// Records the nonce; false when it was already seen within the window.
    pub fn first_use(&self, nonce: &str, now: i64) -> bool {
        let h = self.keys.hash_one(nonce);
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Seen { set, order } = &mut *guard;
        while let Some(&(t, old)) = order.front() {
            if now - t <= WINDOW_SECS {
                break;
            }
            order.pop_front();
            set.remove(&old);
        }
        if !set.insert(h) {
            return false;
        }
        order.push_back((now, h));
        true
    }
}

/// Verifies the request and returns the caller's account.
pub async fn authenticate(state: &AppState, req: &WireRequest<'_>) -> Result<String, ApiError> {
    let now_ms = state.clock.now_ms();
    if state.auth == AuthMode::Off {
        state.throttle.admit(DEFAULT_ACCOUNT, now_ms)?;
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
    // Before the nonce is spent: a throttled call may be sent again as it was.
    state.throttle.admit(&verified.access_key_id, now_ms)?;
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
