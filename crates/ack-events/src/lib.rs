//! What follows the durable event log: the Server-Sent Events stream (`sse` frames an event,
//! `stream` follows the log for one client). `webhooks` delivers it to subscribers.

pub mod sse;
pub mod stream;
pub mod webhooks;

pub use stream::{StreamConfig, follow};
pub use webhooks::{Deliverer, WebhookConfig, signature};
