use crate::auth::{KeyRing, NonceCache};
use ack_domain::Catalog;
use ack_store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Every request must carry a valid signature of a configured key.
    Verify,
    /// Any request is accepted as account `default` (for local experiments).
    Off,
}

/// Wall time in Unix seconds; tests pin it so that bodies are byte-exact.
#[derive(Clone)]
pub enum Clock {
    System,
    Fixed(Arc<AtomicI64>),
}

impl Clock {
    pub fn now(&self) -> i64 {
        match self {
            Clock::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            Clock::Fixed(t) => t.load(Ordering::Relaxed),
        }
    }
}

/// Everything a request handler may touch, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub catalog: Arc<Catalog>,
    pub keys: Arc<KeyRing>,
    pub nonces: Arc<NonceCache>,
    pub auth: AuthMode,
    pub clock: Clock,
}
