//! `ack-bench`: the benchmark suite (README: `bench/run`). Servers run on core 0, this load
//! generator on core 1 (taskset, when present); every throughput is also given as a ratio to a
//! baseline server measured in the same run.

mod baseline;
mod client;
mod db_core;
mod engine;
mod fleet;
mod fleet_api;
mod measure;
mod procs;
mod replicas;
mod suite;
mod targets;

use clap::{Parser, Subcommand};
use client::Target;
use measure::{Against, measure, status_maker};
use std::time::Duration;

pub(crate) use measure::encode;

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// How long each workload runs.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    duration: Duration,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    #[arg(
        long,
        default_value = "1000,10000,100000,1000000",
        value_delimiter = ','
    )]
    sizes: Vec<usize>,
    /// PostgreSQL blocks leave out fleets larger than this: the 1,000,000-cluster fleet is
    /// SQLite's figure (the embedded default that a single big fleet runs on), and its import on
    /// PostgreSQL would take most of the run.
    #[arg(long, default_value_t = 100_000)]
    pg_max_size: usize,
    #[arg(long, default_value = "sqlite,postgres", value_delimiter = ',')]
    backends: Vec<String>,
    /// PostgreSQL server (trust auth); a database per fleet size is created on it.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    pg: String,
    /// Upgrades run to completion for the engine figure.
    #[arg(long, default_value_t = 2000)]
    engine_tasks: usize,
    /// Leave a local PostgreSQL server where the kernel puts it, rather than on the load
    /// generator's core (db_core.rs says why it is moved).
    #[arg(long)]
    db_unpinned: bool,
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
        /// DescribeTaskInfo instead: this many upgrades started first (as the suite does, on a
        /// server whose stages last), then their tasks read at random.
        #[arg(long)]
        task_info: Option<usize>,
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
                let (_db_core, placed) = db_core::for_backend(backend, &args);
                eprintln!("{placed}");
                let db = procs::fresh_db(backend, &args.pg, &tmp, "bench_engine_db")?;
                let raw = engine::raw_commits(backend, &args.pg, &tmp, RAW_COMMITS_FOR)?;
                let r = engine::engine(&db, *tasks, *clusters).await?;
                println!("{}{}", engine::ENGINE_HEADER, engine::engine_row(backend, &r, raw));
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
                let (_db_core, placed) = db_core::for_backend(backend, &args);
                eprintln!("{placed}");
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
            Some(Cmd::Load {
                addr,
                clusters,
                task_info,
            }) => {
                let t = Target::signed(addr);
                let mut rows = Vec::new();
                let (make, what) = match task_info {
                    Some(n) => (
                        measure::task_info_maker(engine::submit_upgrades(&t, *n, *clusters).await?),
                        "DescribeTaskInfo",
                    ),
                    None => (
                        status_maker(*clusters, &["metrics-server"]),
                        "status, 1 add-on",
                    ),
                };
                measure(
                    &mut rows,
                    &args,
                    (&t, Against::Itself),
                    "-",
                    *clusters,
                    what,
                    make,
                )
                .await;
                Ok(())
            }
            None => suite::run(&args).await,
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
        Some(engine::engine(&db, clusters, clusters).await?)
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
