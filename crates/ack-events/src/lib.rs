//! What follows the durable event log: the Server-Sent Events stream (`sse` frames an event,
//! `stream` follows the log for one client). `webhooks` delivers it to subscribers,
//! over `tls` to https ones.

pub mod sse;
pub mod stream;
pub mod tls;
pub mod webhooks;

pub use stream::{StreamConfig, follow};
pub use tls::TlsClient;
pub use webhooks::{Deliverer, WebhookConfig, signature};
