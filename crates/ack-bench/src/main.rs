//! `ack-bench`: the benchmark suite (README: `bench/run`). Servers run on core 0, this load
//! generator on core 1 (taskset, when present); every throughput is also given as a ratio to a
//! baseline server measured in the same run.

mod baseline;
mod client;
mod fleet;
mod fleet_api;
mod procs;
mod replicas;
mod targets;

use clap::{Parser, Subcommand};
use client::{Make, Rng, Target, percentile};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// How long each workload runs.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    duration: Duration,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(long, default_value = "1000,10000,100000", value_delimiter = ',')]
    sizes: Vec<usize>,
    #[arg(long, default_value = "sqlite,postgres", value_delimiter = ',')]
    backends: Vec<String>,
    /// PostgreSQL server (trust auth); a database per fleet size is created on it.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pg: String,
    /// Upgrades run to completion for the engine figure.
    #[arg(long, default_value_t = 2000)]
    engine_tasks: usize,
    #[arg(long, default_value = "bench-results.md")]
    out: std::path::PathBuf,
}

#[derive(Subcommand)]
enum Cmd {
    /// (internal) the baseline server.
    Baseline {
        #[arg(long)]
        listen: String,
        #[arg(long)]
        body_size: usize,
    },
    /// Writes a fleet file for `ack-addons import` (for profiling by hand).
    Fleet {
        #[arg(long)]
        clusters: usize,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// The engine figure alone: a fresh fleet, `tasks` upgrades with `--stage-duration 0`.
    Engine {
        #[arg(long, default_value_t = 1000)]
        clusters: usize,
        #[arg(long, default_value_t = 2000)]
        tasks: usize,
        #[arg(long, default_value = "sqlite")]
        backend: String,
    },
    /// Signed status calls (1 add-on) against a running server (for profiling by hand).
    Load {
        #[arg(long)]
        addr: String,
        #[arg(long)]
        clusters: usize,
    },
    /// The rollout figure alone: a fresh fleet, one CreateAddonRollout over every cluster with
    /// `--stage-duration 0`, beside the engine alone on the same fleet (unless `--no-engine`).
    Rollout {
        #[arg(long, default_value_t = 10_000)]
        clusters: usize,
        #[arg(long, default_value = "sqlite")]
        backend: String,
        #[arg(long, default_value_t = fleet_api::Strategy::default().wave_size)]
        wave_size: usize,
        #[arg(long, default_value_t = fleet_api::Strategy::default().max_parallel)]
        max_parallel: usize,
        #[arg(long)]
        no_engine: bool,
    },
    /// Signed DescribeFleetAddons calls, one at a time, against a running server: p50 and p99
    /// (3 to 20 calls within `--duration`).
    FleetAddons {
        #[arg(long)]
        addr: String,
        /// The raw query, e.g. `kubernetes_version=1.31`.
        #[arg(long, default_value = "")]
        query: String,
    },
}

const KEY: (&str, &str) = ("bench", "benchsecret");
/// Writes through one replica whose delay to the other's status calls is measured.
const STALENESS_SAMPLES: usize = 200;

/// How long the raw commit loop runs.
const RAW_COMMITS_FOR: Duration = Duration::from_secs(2);

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = rt.block_on(async {
        match &args.cmd {
            Some(Cmd::Baseline { listen, body_size }) => baseline::serve(listen, *body_size).await,
            Some(Cmd::Fleet { clusters, out }) => {
                fleet::write(out, *clusters).map_err(|e| e.to_string())
            }
            Some(Cmd::Engine {
                clusters,
                tasks,
                backend,
            }) => {
                let (tmp, _) = scratch(*clusters)?;
                let db = procs::fresh_db(backend, &args.pg, &tmp, "bench_engine_db")?;
                let raw = procs::raw_commits(backend, &args.pg, &tmp, RAW_COMMITS_FOR)?;
                let r = procs::engine(&db, *tasks, *clusters).await?;
                println!("{}{}", procs::ENGINE_HEADER, procs::engine_row(backend, &r, raw));
                let _ = std::fs::remove_dir_all(&tmp);
                Ok(())
            }
            Some(Cmd::Rollout {
                clusters,
                backend,
                wave_size,
                max_parallel,
                no_engine,
            }) => {
                let strategy = fleet_api::Strategy {
                    wave_size: *wave_size,
                    max_parallel: *max_parallel,
                };
                let (tmp, fleet_file) = scratch(*clusters)?;
                let r = rollout_block(&args, backend, *clusters, &fleet_file, strategy, !no_engine)
                    .await?;
                print!("{}{}", fleet_api::ROLLOUT_HEADER, r.0);
                let _ = std::fs::remove_dir_all(&tmp);
                r.1.map_or(Ok(()), Err)
            }
            Some(Cmd::FleetAddons { addr, query }) => {
                let l = fleet_api::fleet_addons_latency(
                    &Target::signed(addr),
                    query,
                    args.duration,
                    None,
                )
                .await?;
                println!(
                    "DescribeFleetAddons {query:?}: {} calls, p50 {:.2} ms, p99 {:.2} ms, errors {}",
                    l.calls, l.p50, l.p99, l.errors
                );
                Ok(())
            }
            Some(Cmd::Load { addr, clusters }) => {
                let t = Target::signed(addr);
                let mut rows = Vec::new();
                let make = status_maker(*clusters, &["metrics-server"]);
                measure(
                    &mut rows,
                    &args,
                    (&t, Against::Itself),
                    "-",
                    *clusters,
                    "status, 1 add-on",
                    make,
                )
                .await;
                Ok(())
            }
            None => run(&args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The scratch directory of this run, with a fleet file of `clusters` clusters in it (written
/// once); returns both.
fn scratch(clusters: usize) -> Result<(std::path::PathBuf, std::path::PathBuf), String> {
    let tmp = std::env::temp_dir().join(format!("ack-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
    let fleet_file = tmp.join(format!("fleet-{clusters}.jsonl"));
    if !fleet_file.exists() {
        fleet::write(&fleet_file, clusters).map_err(|e| e.to_string())?;
    }
    Ok((tmp, fleet_file))
}

/// The rollout over `clusters` clusters on `backend` and, when `with_engine`, the engine alone on
/// the same fleet with as many upgrades of the same add-on: the report's row, and the error if
/// the rollout gave no figure.
async fn rollout_block(
    args: &Args,
    backend: &str,
    clusters: usize,
    fleet_file: &std::path::Path,
    strategy: fleet_api::Strategy,
    with_engine: bool,
) -> Result<(String, Option<String>, Option<f64>), String> {
    let tmp = fleet_file.parent().ok_or("fleet file")?;
    let db = procs::fresh_db(backend, &args.pg, tmp, "bench_rollout")?;
    let run = fleet_api::rollout(&db, fleet_file, strategy).await;
    match &run {
        Ok(r) => eprintln!(
            "  {backend:8} {clusters:>7} rollout: {} after {:.2} s ({} polls), counts success {} skipped {} fail {}, {} clusters changed",
            r.state, r.seconds, r.polls, r.success, r.skipped, r.fail, r.changed
        ),
        Err(e) => eprintln!("  {backend:8} {clusters:>7} rollout: error: {e}"),
    }
    // Every cluster has the rollout's add-on at its older version, and `submit_upgrades` upgrades
    // it first on every cluster: `clusters` tasks are the same work as the rollout's.
    let engine = if with_engine {
        Some(procs::engine(&db, clusters, clusters).await?)
    } else {
        None
    };
    // The rollout's clusters/s against the engine alone's tasks/s on the same fleet.
    let ratio = match (&run, &engine) {
        (Ok(r), Some(e)) => r
            .clusters_per_s()
            .ok()
            .map(|c| c * e.drain_s / e.tasks as f64),
        _ => None,
    };
    let (row, error) = fleet_api::rollout_row(backend, clusters, &run, engine.as_ref());
    Ok((row, error, ratio))
}

struct Row {
    /// The baseline's requests/s in the same block of the run.
    base: f64,
    /// The baseline's p99 ms in the same rounds (0 when not paired).
    base_p99: f64,
    backend: String,
    clusters: usize,
    workload: String,
    rps: f64,
    p50: f64,
    p99: f64,
    errors: u64,
}

fn status_maker(clusters: usize, ids: &'static [&'static str]) -> Arc<Make> {
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
enum Against<'a> {
    /// Nothing: the row is its own reference (the baseline's own row, the profiling load).
    Itself,
    /// A figure measured earlier in the block (for routes the baseline does not serve).
    Figure(f64),
    /// The baseline server, paired: three rounds, each a third of the duration on the baseline
    /// and then a third on the target, the ratio over the same rounds (this machine's speed
    /// drifts within seconds).
    Paired(&'a Target),
}

/// Runs a workload against `t` and records its row; returns its requests/s.
async fn measure(
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
        Against::Paired(b) => Some(b),
        Against::Itself | Against::Figure(_) => None,
    };
    let rounds = if base.is_some() { 3 } else { 1 };
    let slice = args.duration / rounds;
    let (mut ok, mut errors, mut took, mut lat) = (0u64, 0u64, 0f64, Vec::new());
    let (mut base_ok, mut base_took, mut base_lat) = (0u64, 0f64, Vec::new());
    for _ in 0..rounds {
        if let Some(b) = base {
            let started = Instant::now();
            let o = client::load(b, args.connections, slice, Arc::clone(&make), next_run()).await;
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
        Against::Figure(f) => f,
        Against::Paired(_) => base_ok as f64 / base_took,
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

async fn run(args: &Args) -> Result<(), String> {
    let tmp = std::env::temp_dir().join(format!("ack-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    let mut facts = String::new();
    let mut cross = String::new();
    let mut engine = String::new();
    let mut fleet_rows = String::new();
    let mut rollouts = String::new();
    let mut staleness = String::new();
    let mut figs = targets::Figures::default();
    let mut failures = Vec::new();
    // One rollout per back end, over 10,000 clusters (fewer when the largest fleet is smaller).
    let rollout_size = args.sizes.iter().copied().max().unwrap_or(0).min(10_000);
    let addons: Vec<(String, String, String)> = fleet::addons();
    let all_names: &'static [&'static str] = Box::leak(
        addons
            .iter()
            .map(|(n, _, _)| &*Box::leak(n.clone().into_boxed_str()))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );

    for backend in &args.backends {
        if backend == "postgres" && !procs::pg_up(&args.pg) {
            eprintln!(
                "PostgreSQL does not answer at {}: its rows are left out",
                args.pg
            );
            continue;
        }
        for &size in &args.sizes {
            let (_, fleet_file) = scratch(size)?;
            let db = procs::fresh_db(backend, &args.pg, &tmp, &format!("bench_{size}"))?;
            let import_s = procs::import(&fleet_file, &db)?;
            // The status cache holds the whole fleet, however large.
            let capacity = size
                .max(ack_store::DEFAULT_STATUS_CACHE_CAPACITY)
                .to_string();
            let flags = [
                "--stage-duration",
                "3s",
                "--max-concurrent-tasks",
                "1000",
                "--status-cache",
                &capacity,
            ];
            let server = procs::Server::start(&db, &flags)?;
            let t = Target::signed(&server.addr);
            let start_rss = procs::rss_mib(server.pid);
            // Polling fleets keep the status cache full: measure that state, not the first pass.
            let warm = server.wait_warm(Duration::from_secs(900));
            let warm_s =
                warm.map_or_else(|| "-".into(), |(d, _)| format!("{:.1}", d.as_secs_f64()));
            tokio::time::sleep(Duration::from_millis(500)).await;
            let idle_rss = procs::rss_mib(server.pid);
            // What the warm cache added to the process, per cluster it holds.
            let per_cluster = warm
                .filter(|(_, n)| *n > 0)
                .map(|(_, n)| (idle_rss - start_rss) * 1024.0 / n as f64);
            figs.cache_kb
                .extend(per_cluster.map(|kb| (backend.clone(), size, kb)));
            let cache_kb = per_cluster.map_or_else(|| "-".into(), |kb| format!("{kb:.2}"));
            // A baseline server for every block, measured alone once and then paired with each
            // workload (this machine's speed drifts within seconds).
            let (_, body) = client::Conn::open(&t)
                .await?
                .call(
                    "GET",
                    &format!(
                        "/clusters/{}/components/upgradestatus",
                        fleet::cluster_id(0)
                    ),
                    &format!("componentIds={}", encode("[\"metrics-server\"]")),
                    "DescribeClusterAddonsUpgradeStatus",
                    b"",
                )
                .await?;
            let base = procs::Server::baseline(body.len())?;
            // The baseline gets the very same signed requests (it does not check them), so that
            // both sides read and parse the same bytes and the ratio is our own work.
            let bt = Target {
                addr: base.addr.clone(),
                key: t.key.clone(),
            };
            let block_base = measure(
                &mut rows,
                args,
                (&bt, Against::Itself),
                "baseline",
                size,
                &format!("fixed {}-byte body, same route", body.len()),
                status_maker(size, &["metrics-server"]),
            )
            .await;
            if cross.is_empty()
                && let Some(wrk) = procs::wrk_cross_check(&args.duration, size, body.len())?
            {
                cross.push_str(&wrk);
            }
            let mut loaded_rss = idle_rss;
            for (name, ids) in [
                ("status, 1 add-on", &["metrics-server"][..]),
                ("status, 5 add-ons", &fleet::OLD[..]),
                ("status, all add-ons", all_names),
            ] {
                let ids: &'static [&'static str] = Box::leak(ids.to_vec().into_boxed_slice());
                measure(
                    &mut rows,
                    args,
                    (&t, Against::Paired(&bt)),
                    backend,
                    size,
                    name,
                    status_maker(size, ids),
                )
                .await;
                loaded_rss = loaded_rss.max(procs::rss_mib(server.pid));
            }
            let versions: Arc<Make> = Arc::new(move |rng: &mut Rng| {
                (
                    "GET",
                    format!(
                        "/clusters/{}/components/version",
                        fleet::cluster_id(rng.below(size))
                    ),
                    String::new(),
                    "DescribeClusterAddonsVersion",
                )
            });
            // The baseline serves only the status route: calls on other routes are compared
            // with its figure at the start of the block.
            measure(
                &mut rows,
                args,
                (&t, Against::Figure(block_base)),
                backend,
                size,
                "DescribeClusterAddonsVersion",
                versions,
            )
            .await;
            // The whole fleet counted per add-on and version, idle (no task runs yet); the filter
            // matches every cluster (all run 1.31.1-aliyun.1), so it is the same scan filtered.
            for query in ["", "kubernetes_version=1.31"] {
                let l =
                    fleet_api::fleet_addons_latency(&t, query, args.duration, Some(size)).await?;
                let shown = if query.is_empty() { "(none)" } else { query };
                eprintln!(
                    "  {backend:8} {size:>7} DescribeFleetAddons {shown:24} {} calls  p50 {:.2} ms  p99 {:.2} ms  errors {}",
                    l.calls, l.p50, l.p99, l.errors
                );
                if l.errors > 0 {
                    failures.push(format!(
                        "DescribeFleetAddons {shown} on {backend}, {size} clusters: {} wrong answers",
                        l.errors
                    ));
                }
                writeln!(
                    fleet_rows,
                    "| {backend} | {size} | {shown} | {} | {:.2} | {:.2} | {} |",
                    l.calls, l.p50, l.p99, l.errors
                )
                .ok();
            }
            // 1,000 upgrades in flight (3 s stages), then status and DescribeTaskInfo under them.
            let tasks = procs::submit_upgrades(&t, 1000, size).await?;
            measure(
                &mut rows,
                args,
                (&t, Against::Paired(&bt)),
                backend,
                size,
                "status, 1 add-on, 1,000 upgrades running",
                status_maker(size, &["metrics-server"]),
            )
            .await;
            loaded_rss = loaded_rss.max(procs::rss_mib(server.pid));
            let ids: &'static [String] = Box::leak(tasks.into_boxed_slice());
            let info: Arc<Make> = Arc::new(move |rng: &mut Rng| {
                (
                    "GET",
                    format!("/tasks/{}", ids[rng.below(ids.len())]),
                    String::new(),
                    "DescribeTaskInfo",
                )
            });
            measure(
                &mut rows,
                args,
                (&t, Against::Figure(block_base)),
                backend,
                size,
                "DescribeTaskInfo",
                info,
            )
            .await;
            if backend == "postgres" && size == args.sizes[0] {
                let s = replicas::staleness(&t, &db, &flags, size, STALENESS_SAMPLES).await?;
                figs.staleness_p99 = Some(s.p99_ms);
                eprintln!(
                    "  {backend:8} {size:>7} cross-replica staleness: {} writes, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, missed {}",
                    s.samples, s.p50_ms, s.p99_ms, s.max_ms, s.missed
                );
                writeln!(
                    staleness,
                    "| {backend} | {size} | {} | {:.2} | {:.2} | {:.2} | {} |",
                    s.samples, s.p50_ms, s.p99_ms, s.max_ms, s.missed
                )
                .ok();
            }
            drop(base);
            let startup_ms = server.startup.as_secs_f64() * 1000.0;
            drop(server);
            let again = procs::Server::start(&db, &[])?;
            let restart_ms = again.startup.as_secs_f64() * 1000.0;
            drop(again);
            let db_mib = procs::db_size_mib(backend, &db, &args.pg)?;
            writeln!(facts, "| {backend} | {size} | {import_s:.1} | {startup_ms:.0} / {restart_ms:.0} | {start_rss:.1} | {warm_s} | {idle_rss:.1} | {cache_kb} | {loaded_rss:.1} | {db_mib:.0} |").ok();
            if size == args.sizes[0] {
                let raw = procs::raw_commits(backend, &args.pg, &tmp, RAW_COMMITS_FOR)?;
                let r = procs::engine(&db, args.engine_tasks.min(size * fleet::OLD.len()), size)
                    .await?;
                let n = r.tasks as f64;
                figs.engine
                    .push((backend.clone(), n / r.drain_s, n / r.end_to_end_s, raw));
                let row = procs::engine_row(backend, &r, raw);
                eprintln!("  {row}");
                writeln!(engine, "{row}").ok();
            }
        }
        if rollout_size > 0 {
            let (_, fleet_file) = scratch(rollout_size)?;
            let strategy = fleet_api::Strategy::default();
            let (row, error, ratio) =
                rollout_block(args, backend, rollout_size, &fleet_file, strategy, true).await?;
            figs.rollout
                .extend(ratio.map(|r| (backend.clone(), rollout_size, r)));
            rollouts.push_str(&row);
            failures.extend(error.map(|e| format!("rollout on {backend}: {e}")));
        }
    }
    let mut md = String::from("## ack-addons benchmark\n\n");
    writeln!(md, "{} connections, {} s per workload, signatures verified (ACS3-HMAC-SHA256, fresh nonce per request). Server on core 0, load generator on core 1. The baseline receives the same signed requests and ignores the signature. Status rows are paired with the baseline (three rounds, each a third of the time on the baseline then on the server; the ratio is over the same rounds); DescribeClusterAddonsVersion and DescribeTaskInfo, routes the baseline does not serve, are compared with the baseline row of their block.\n", args.connections, args.duration.as_secs_f64()).ok();
    md.push_str("| backend | clusters | workload | req/s | × baseline | p50 ms | p99 ms | errors |\n|---|---:|---|---:|---:|---:|---:|---:|\n");
    for r in &rows {
        writeln!(
            md,
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
            r.backend,
            r.clusters,
            r.workload,
            r.rps,
            r.rps / r.base,
            r.p50,
            r.p99,
            r.errors
        )
        .ok();
    }
    md.push_str(&cross);
    md.push_str("\n| backend | clusters | import s | start-up to listening ms (fresh / restart) | RSS at listening MiB | status cache warm s | idle RSS, cache warm MiB | status cache KB per cluster | loaded RSS MiB | database MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    md.push_str(&facts);
    write!(md, "\nEngine: upgrades (precheck, apply, verify, each committed) run to completion with `--stage-duration 0`, 256 at a time. End to end: submitted over HTTP (32 in flight) while the engine runs them, on the same core. Engine alone: the same number queued first, then drained by a freshly started server. Raw commits/s: one connection committing one-row inserts, one transaction each, for {:.0} s on a scratch database of the same back end opened with the store's settings (`ack-addons raw-commits`, on the servers' core) — the durable commit rate of the machine and database; tasks/s ÷ raw commits/s is how many whole tasks (claim, three stages, end) the engine completes per bare commit (≥ 1: its commits are shared by many tasks).\n\n", RAW_COMMITS_FOR.as_secs_f64()).ok();
    md.push_str(procs::ENGINE_HEADER);
    md.push_str(&engine);
    let s = fleet_api::Strategy::default();
    writeln!(md, "\nRollout: one CreateAddonRollout of {} to its newest version over every cluster of a fleet of {rollout_size} (10,000, or the largest fleet of the run when smaller), on a freshly imported database and a fresh server with `--stage-duration 0` and `--max-concurrent-tasks {}` (on SQLite once its status cache is warm); strategy canary 0, waves of {}, {} at a time (the engine workload's concurrency), max_failures 0, soak 0s. Seconds from sending CreateAddonRollout to the DescribeAddonRollout answer that shows it ended (polled every {} ms on one keep-alive connection, this process's monotonic clock). Changed: clusters at the target version after less before (DescribeFleetAddons); a rollout that did not end `success` with counts.success equal to it is an error. Beside it the engine alone on the same back end and fleet: as many upgrades of the same add-on queued, then drained by a fresh server with the same flags.\n", fleet_api::ADDON, procs::ENGINE_CONCURRENCY, s.wave_size, s.max_parallel, fleet_api::POLL.as_millis()).ok();
    md.push_str(fleet_api::ROLLOUT_HEADER);
    md.push_str(&rollouts);
    writeln!(md, "\nDescribeFleetAddons, signed, one call at a time on one keep-alive connection, on the idle server of each block ({} to {} calls within {} s); every answer must count the fleet's clusters.\n\n| backend | clusters | query | calls | p50 ms | p99 ms | errors |\n|---|---:|---|---:|---:|---:|---:|", fleet_api::LATENCY_CALLS.0, fleet_api::LATENCY_CALLS.1, args.duration.as_secs_f64()).ok();
    md.push_str(&fleet_rows);
    for r in &rows {
        match r.workload.as_str() {
            "status, 1 add-on" => figs.status.push((
                r.backend.clone(),
                r.clusters,
                r.rps / r.base,
                r.p99,
                r.base_p99,
            )),
            "DescribeTaskInfo" => {
                figs.task_info
                    .push((r.backend.clone(), r.clusters, r.rps / r.base))
            }
            _ => {}
        }
    }
    if !staleness.is_empty() {
        writeln!(md, "\nCross-replica staleness (PostgreSQL): a second replica on the block's database, both with the block's flags and 1,000 upgrades running. {STALENESS_SAMPLES} times: a cluster's status read twice on replica B (so that its cache holds it), an upgrade of one of its add-ons through replica A, then B's status read on one keep-alive connection until the answer changes; milliseconds from A's answer to B's changed answer. Missed: not shown within 2 s.\n\n| backend | clusters | writes | p50 ms | p99 ms | max ms | missed |\n|---|---:|---:|---:|---:|---:|---:|").ok();
        md.push_str(&staleness);
    }
    md.push_str(&targets::render(&figs));
    println!("{md}");
    std::fs::write(&args.out, &md).map_err(|e| e.to_string())?;
    eprintln!("written to {}", args.out.display());
    let _ = std::fs::remove_dir_all(&tmp);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("the report shows errors: {}", failures.join("; ")))
    }
}
