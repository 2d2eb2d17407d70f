//! Every JSON request body, as the handlers read it: refused or taken, never a panic.
#![no_main]

use ack_domain::Catalog;
use ack_domain::lifecycle::resolved_config;
use ack_domain::rollout::RolloutSpec;
use ack_wire::dto::{
    AddonChangeRequest, CreateClusterRequest, CreateWebhookRequest, FaultRequest,
    ModifyAddonRequest, TagRequest,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::LazyLock;

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let _ = RolloutSpec::parse(&v);
    let _ = serde_json::from_value::<CreateClusterRequest>(v.clone());
    let _ = serde_json::from_value::<Vec<AddonChangeRequest>>(v.clone());
    let _ = serde_json::from_value::<Vec<TagRequest>>(v.clone());
    let _ = serde_json::from_value::<FaultRequest>(v.clone());
    if let Ok(w) = serde_json::from_value::<CreateWebhookRequest>(v.clone()) {
        let _ = ack_domain::webhook::parse_url(w.url.as_deref().unwrap_or_default());
        let _ = ack_domain::webhook::parse_patterns(w.events.as_deref().unwrap_or_default());
    }
    if let Ok(m) = serde_json::from_value::<ModifyAddonRequest>(v)
        && let Some(cfg) = m.config
    {
        for addon in &CATALOG.addons {
            let _ = resolved_config(addon, "config", &cfg);
        }
    }
});
