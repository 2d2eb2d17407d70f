//! One workload's measurement: its load against the server (paired with the baseline where the
//! baseline serves the route), and the report row it gives.

use crate::Args;
use crate::client::{self, Make, Rng, Target, percentile};
use crate::fleet;
use std::sync::Arc;
use std::time::Instant;

pub(crate) struct Row {
    /// The baseline's requests/s in the same block of the run.
    pub(crate) base: f64,
    /// The baseline's p99 ms in the same rounds (0 when not paired).
    pub(crate) base_p99: f64,
    pub(crate) backend: String,
    pub(crate) clusters: usize,
    pub(crate) workload: String,
    pub(crate) rps: f64,
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) errors: u64,
}

pub(crate) fn status_maker(clusters: usize, ids: &'static [&'static str]) -> Arc<Make> {
    let query = if ids.is_empty() {
        String::new()
    } else {
        let json = serde_json::to_string(ids).unwrap_or_default();
        format!("componentIds={}", encode(&json))
    };
    Arc::new(move |rng: &mut Rng| {
        let c = fleet::cluster_id(rng.below(clusters));
        (
            "GET",
            format!("/clusters/{c}/components/upgradestatus"),
            query.clone(),
            "DescribeClusterAddonsUpgradeStatus",
        )
    })
}

/// DescribeTaskInfo of one of `tasks`, picked at random.
pub(crate) fn task_info_maker(tasks: Vec<String>) -> Arc<Make> {
    let ids: &'static [String] = Box::leak(tasks.into_boxed_slice());
    Arc::new(move |rng: &mut Rng| {
        (
            "GET",
            format!("/tasks/{}", ids[rng.below(ids.len())]),
            String::new(),
            "DescribeTaskInfo",
        )
    })
}

pub(crate) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What a workload's throughput is compared with.
#[derive(Clone, Copy)]
pub(crate) enum Against<'a> {
    /// Nothing: the row is its own reference (the baseline's own row, the profiling load).
    Itself,
    /// The baseline server, paired: three rounds, each a third of the duration on the baseline
    /// and then a third on the target, the ratio over the same rounds (this machine's speed
    /// drifts within seconds). The baseline gets the workload's own requests, or, for a route
    /// it does not serve, these (its status route) in the same rounds.
    Paired(&'a Target, Option<&'a Arc<Make>>),
}

/// Runs a workload against `t` and records its row; returns its requests/s.
pub(crate) async fn measure(
    rows: &mut Vec<Row>,
    args: &Args,
    (t, against): (&Target, Against<'_>),
    backend: &str,
    clusters: usize,
    workload: &str,
    make: Arc<Make>,
) -> f64 {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let next_run = || {
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + u64::from(std::process::id()) * 1000
    };
    let base = match against {
        Against::Paired(b, own) => Some((b, Arc::clone(own.unwrap_or(&make)))),
        Against::Itself => None,
    };
    let rounds = if base.is_some() { 3 } else { 1 };
    let slice = args.duration / rounds;
    let (mut ok, mut errors, mut took, mut lat) = (0u64, 0u64, 0f64, Vec::new());
    let (mut base_ok, mut base_took, mut base_lat) = (0u64, 0f64, Vec::new());
    for _ in 0..rounds {
        if let Some((b, base_make)) = &base {
            let started = Instant::now();
            let o = client::load(
                b,
                args.connections,
                slice,
                Arc::clone(base_make),
                next_run(),
            )
            .await;
            base_ok += o.ok;
            base_took += started.elapsed().as_secs_f64();
            base_lat.extend(o.latencies_us);
        }
        let started = Instant::now();
        let o = client::load(t, args.connections, slice, Arc::clone(&make), next_run()).await;
        took += started.elapsed().as_secs_f64();
        ok += o.ok;
        errors += o.errors;
        lat.extend(o.latencies_us);
    }
    lat.sort_unstable();
    base_lat.sort_unstable();
    let rps = ok as f64 / took;
    let base_rps = match against {
        Against::Itself => rps,
        Against::Paired(..) => base_ok as f64 / base_took,
    };
    eprintln!(
        "  {backend:8} {clusters:>7} {workload:38} {rps:>9.0} req/s  x{:.2}  p99 {:.2} ms  errors {errors}",
        rps / base_rps,
        percentile(&lat, 0.99),
    );
    rows.push(Row {
        base: base_rps,
        base_p99: percentile(&base_lat, 0.99),
        backend: backend.into(),
        clusters,
        workload: workload.into(),
        rps,
        p50: percentile(&lat, 0.50),
        p99: percentile(&lat, 0.99),
        errors,
    });
    rps
}
