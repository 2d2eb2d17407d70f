//! Request and response bodies, field names exactly as the SDK models spell them. Field order
//! is the order the API reference samples show (it matters for XML).

mod addons;
mod clusters;
mod events;
mod fleet;
mod rollouts;
mod status;
mod tasks;
mod webhooks;

pub use addons::*;
pub use clusters::*;
pub use events::*;
pub use fleet::*;
pub use rollouts::*;
pub use status::*;
pub use tasks::*;
pub use webhooks::*;

use serde::Serialize;

/// The error body every client understands: the lowercase keys the tea SDKs read, plus the
/// PascalCase copies the legacy Python core reads (ack-addon-api.md §1).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ErrorBody<'a> {
    pub code: &'a str,
    pub message: &'a str,
    #[serde(rename = "requestId")]
    pub request_id: &'a str,
    pub status: u16,
    #[serde(rename = "Code")]
    pub code_pascal: &'a str,
    #[serde(rename = "Message")]
    pub message_pascal: &'a str,
    #[serde(rename = "RequestId")]
    pub request_id_pascal: &'a str,
}

impl<'a> ErrorBody<'a> {
    pub fn new(code: &'a str, message: &'a str, request_id: &'a str, status: u16) -> Self {
        Self {
            code,
            message,
            request_id,
            status,
            code_pascal: code,
            message_pascal: message,
            request_id_pascal: request_id,
        }
    }
}

/// The answer of every call that starts a task (CreateCluster, DeleteCluster, Install…).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct TaskStarted {
    pub cluster_id: String,
    pub request_id: String,
    pub task_id: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PageInfo {
    pub page_number: u32,
    pub page_size: u32,
    pub total_count: u64,
}

/// ClearFaults: how many injected faults were removed.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FaultsCleared {
    pub cleared: u64,
}
