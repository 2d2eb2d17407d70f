//! What follows the durable event log: the Server-Sent Events stream (`sse` frames an event,
//! `stream` follows the log for one client). Webhook delivery will live here too.

pub mod sse;
pub mod stream;

pub use stream::{StreamConfig, follow};
