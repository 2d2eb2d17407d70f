//! How long stages take, by stage, for `/metrics`: observed where stages run (this process's
//! stages only, as a histogram must be), registered by the server when scraped.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use std::sync::LazyLock;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabel {
    pub stage: String,
}

pub type StageDurations = Family<StageLabel, Histogram, fn() -> Histogram>;

fn buckets() -> Histogram {
    // 1 ms to about 9 minutes: a simulated stage, a helm upgrade, a stage timing out.
    Histogram::new(exponential_buckets(0.001, 2.0, 20))
}

static STAGES: LazyLock<StageDurations> =
    LazyLock::new(|| Family::new_with_constructor(buckets as fn() -> Histogram));

pub(crate) fn observe_stage(stage: &str, took: Duration) {
    STAGES
        .get_or_create(&StageLabel {
            stage: stage.to_string(),
        })
        .observe(took.as_secs_f64());
}

/// The histogram family (shared: a clone sees every later observation).
pub fn stage_durations() -> StageDurations {
    STAGES.clone()
}
