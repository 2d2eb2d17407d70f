//! Webhooks (ours, in ACK's style): CreateWebhook, ListWebhooks, DescribeWebhookDeliveries.

use super::PageInfo;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub secret: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct WebhookCreated {
    pub webhook_id: String,
    /// Shown once, here: the key of every delivery's `x-ack-signature`.
    pub secret: String,
    pub request_id: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct WebhookEntry {
    pub webhook_id: String,
    pub url: String,
    pub events: Vec<String>,
    pub created: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookEntry>,
    pub request_id: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DeliveryEntry {
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub attempts: u32,
    pub state: String,
    pub last_status: u16,
    pub last_error: String,
    pub next_attempt: String,
    pub delivered: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DeliveriesPage {
    pub deliveries: Vec<DeliveryEntry>,
    pub page_info: PageInfo,
    pub request_id: String,
}
