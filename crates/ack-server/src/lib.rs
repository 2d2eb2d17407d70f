//! The HTTP layer: one route table (from `ack_wire::ROUTES`), signature checks, and ACK-style
//! success and error bodies. `app(state)` is the whole server; tests call it in process.

mod auth;
mod ctx;
mod error;
mod guard;
mod handlers;
mod invoke;
pub mod metrics;
pub mod nonces;
mod respond;
mod routes;
mod state;
pub mod throttle;
pub mod views;

pub use ack_domain::Clock;
pub use auth::{DEFAULT_ACCOUNT, KeyRing};
pub use error::ApiError;
pub use guard::{MAX_HEAD, MAX_URI, guard, head_timeout_refusal, parse_refusal};
pub use invoke::{Call, invoke};
pub use nonces::NonceCache;
pub use respond::Reply;
pub use routes::{api, app, metrics as metrics_app};
pub use state::{AppState, AuthMode};
