//! DescribeClusterEvents and DescribeEvents, as the official SDK models them.

use super::PageInfo;
use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct EventsPage {
    pub events: Vec<EventEntry>,
    pub page_info: PageInfo,
    pub request_id: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct EventEntry {
    /// A string in the SDK's model; it increases with every event.
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub source: String,
    /// What changed: the task, or the rollout.
    pub subject: String,
    pub time: String,
    pub cluster_id: String,
    pub data: EventData,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct EventData {
    pub level: String,
    pub reason: String,
    pub message: String,
}
