use crate::auth::KeyRing;
use crate::nonces::NonceCache;
use ack_domain::{Catalog, Clock};
use ack_engine::Signals;
use ack_store::Store;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Every request must carry a valid signature of a configured key.
    Verify,
    /// Any request is accepted as account `default` (for local experiments).
    Off,
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
    /// Wakes the task engine and interrupts its stages.
    pub signals: Arc<Signals>,
    /// How event streams are followed (keep-alive, buffer).
    pub stream: ack_events::StreamConfig,
    /// Per-key throttling (`--rate-limit`; off when it has no limit).
    pub throttle: Arc<crate::throttle::Throttle>,
    /// Request counters and latencies for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// DescribeTaskInfo's answers as rendered, per version of a task.
    pub task_views: Arc<crate::views::TaskViews>,
}
