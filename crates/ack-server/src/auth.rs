//! Who is calling: signature, clock skew and replay checks, and the account the key belongs to.

use crate::error::ApiError;
use crate::nonces::NonceCheck;
use crate::state::{AppState, AuthMode};
use ack_wire::ErrorCode;
use ack_wire::sign::{self, AccessKeySecret, WireRequest};
use std::collections::HashMap;

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
    if let Some(nonce) = verified.nonce.as_deref() {
        first_use(state, nonce, verified.timestamp, now).await?;
    }
    Ok(keys
        .account(&verified.access_key_id)
        .unwrap_or(DEFAULT_ACCOUNT)
        .to_string())
}

async fn first_use(
    state: &AppState,
    nonce: &str,
    signed_at: i64,
    now: i64,
) -> Result<(), ApiError> {
    let used = || {
        ApiError::new(
            ErrorCode::SignatureNonceUsed,
            format!("the signature nonce {nonce} was already used within 15 minutes"),
        )
    };
    if state.nonces.is_shared() {
        return match state
            .store
            .first_use_of_nonce(nonce, now, now - WINDOW_SECS)
            .await?
        {
            true => Ok(()),
            false => Err(used()),
        };
    }
    match state.nonces.first_use(nonce, signed_at, now) {
        NonceCheck::Fresh => Ok(()),
        NonceCheck::Used => Err(used()),
        NonceCheck::SignedTooEarly { floor } => Err(ApiError::new(
            ErrorCode::InvalidTimeStampExpired,
            format!(
                "the server keeps at most {} nonces and has forgotten those signed at or before {}; sign with the current time",
                state.nonces.cap(),
                ack_wire::time::rfc3339(floor)
            ),
        )),
    }
}
