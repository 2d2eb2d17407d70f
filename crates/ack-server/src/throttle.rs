//! `--rate-limit`: a token bucket per access key (per account with `--auth off`), checked after
//! the signature, so only configured keys ever get a bucket and the map stays bounded. A
//! throttled call gets `Throttling.User` with `x-acs-retry-after` in milliseconds, the unit the
//! tea SDK's retry policy sleeps in. One key's bucket never slows another's.

use crate::error::ApiError;
use ack_domain::ratelimit::{Bucket, RateLimit};
use ack_wire::ErrorCode;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct Throttle {
    limit: Option<RateLimit>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Throttle {
    pub fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit,
            buckets: Mutex::default(),
        }
    }

    pub fn admit(&self, caller: &str, now_ms: i64) -> Result<(), ApiError> {
        let Some(limit) = &self.limit else {
            return Ok(());
        };
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets
            .entry(caller.to_string())
            .or_insert_with(|| Bucket::full(limit, now_ms));
        bucket.take(limit, now_ms).map_err(|wait_ms| ApiError {
            retry_after_ms: Some(wait_ms),
            ..ApiError::new(
                ErrorCode::ThrottlingUser,
                format!(
                    "Request was denied due to user flow control: {} calls a second (burst {}) for this key; retry after {wait_ms} ms",
                    limit.per_sec, limit.burst
                ),
            )
        })
    }
}
