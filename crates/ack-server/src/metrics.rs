//! `/metrics` in the Prometheus text format. Requests are counted as they are answered; the
//! rest is read when scraped: task, rollout and delivery counts from the store (durable, the same
//! on every replica), the status cache and nonce set from this process.

use crate::state::AppState;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
// Static strings: a request's labels cost no allocation on the hot path.
struct RequestLabels {
    action: &'static str,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabel {
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabel {
    r#type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TaskLabels {
    r#type: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabel {
    version: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

/// The request instruments, shared by every request.
pub struct Metrics {
    requests: Family<RequestLabels, Counter>,
    latency: Family<ActionLabel, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            latency: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.0001, 2.0, 16))
            }),
        }
    }
}

impl Metrics {
    /// Counts one answered request (`code` is "" for a success).
    pub fn observe(&self, action: &'static str, code: &'static str, seconds: f64) {
        let code = if code.is_empty() { "OK" } else { code };
        self.requests
            .get_or_create(&RequestLabels { action, code })
            .inc();
        self.latency
            .get_or_create(&ActionLabel { action })
            .observe(seconds);
    }
}

fn u(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The whole exposition, or why the store could not be read.
pub async fn render(st: &AppState) -> Result<String, String> {
    let counts = st.store.counts().await.map_err(|e| e.to_string())?;
    let mut r = Registry::with_prefix("ack");
    let build: Family<VersionLabel, Gauge> = Family::default();
    build
        .get_or_create(&VersionLabel {
            version: env!("CARGO_PKG_VERSION"),
        })
        .set(1);
    r.register(
        "addons_build_info",
        "Always 1; the version of the running build",
        build,
    );
    r.register(
        "requests",
        "Requests answered, by action and code (OK for a success)",
        st.metrics.requests.clone(),
    );
    r.register(
        "request_duration_seconds",
        "Time to answer a request, by action",
        st.metrics.latency.clone(),
    );
    r.register(
        "stage_duration_seconds",
        "Time a task stage took in this process, by stage",
        ack_engine::metrics::stage_durations(),
    );
    // Totals from the store, whatever replica did the work. Started and ended tasks only ever
    // grow, so they are counters.
    let started: Family<TypeLabel, Counter> = Family::default();
    let ended: Family<TaskLabels, Counter> = Family::default();
    let mut running = 0;
    for (kind, state, n) in &counts.tasks {
        started
            .get_or_create(&TypeLabel {
                r#type: kind.clone(),
            })
            .inc_by(u(*n));
        match state.as_str() {
            "running" | "paused" => running += n,
            _ => {
                ended
                    .get_or_create(&TaskLabels {
                        r#type: kind.clone(),
                        state: state.clone(),
                    })
                    .inc_by(u(*n));
            }
        }
    }
    r.register("tasks_started", "Tasks started, by type", started);
    r.register("tasks_ended", "Tasks ended, by type and end state", ended);
    r.register(
        "tasks_running",
        "Tasks running or paused",
        ConstGauge::new(running),
    );
    let by_state = |rows: &[(String, i64)]| {
        let f: Family<StateLabel, Gauge> = Family::default();
        for (s, n) in rows {
            f.get_or_create(&StateLabel { state: s.clone() }).set(*n);
        }
        f
    };
    r.register("rollouts", "Rollouts by state", by_state(&counts.rollouts));
    r.register(
        "rollout_clusters",
        "Member clusters of live rollouts, by state",
        by_state(&counts.rollout_clusters),
    );
    r.register(
        "webhook_deliveries",
        "Webhook deliveries by state (failed: given up)",
        by_state(&counts.deliveries),
    );
    let backlog = counts
        .deliveries
        .iter()
        .filter(|(s, _)| s == "pending")
        .map(|(_, n)| *n)
        .sum::<i64>();
    r.register(
        "webhook_backlog",
        "Webhook deliveries waiting for a retry",
        ConstGauge::new(backlog),
    );
    let (hits, misses) = ack_store::cache_hits_misses();
    r.register(
        "status_cache_clusters",
        "Clusters held by the status cache",
        ConstGauge::new(st.store.status_cache_len() as i64),
    );
    r.register(
        "status_cache_hits",
        "Status calls answered from the cache",
        ConstCounter::new(hits),
    );
    r.register(
        "status_cache_misses",
        "Status calls that read the database",
        ConstCounter::new(misses),
    );
    // Their ratio is the engine's mean batch: how many task writes share a commit.
    let (commits, writes) = st.store.group_commits();
    r.register(
        "engine_commits",
        "Transactions the engine's batched writes (task starts, stage commits, ends) took",
        ConstCounter::new(commits),
    );
    r.register(
        "engine_commit_writes",
        "Task starts, stage commits and ends those transactions carried",
        ConstCounter::new(writes),
    );
    r.register(
        "nonces",
        "Signature nonces kept in memory (the last 15 minutes)",
        ConstGauge::new(st.nonces.kept() as i64),
    );
    r.register(
        "store_errors",
        "Store failures (the database away, a failed statement)",
        ConstCounter::new(ack_store::store_errors()),
    );
    let mut out = String::new();
    encode(&mut out, &r).map_err(|e| e.to_string())?;
    Ok(out)
}
