//! The whole suite (`bench/run` with no subcommand): every workload per back end and fleet size,
//! the engine, the rollout, staleness and the targets, as one markdown report.

use crate::client::{self, Make, Rng, Target};
use crate::measure::{Against, measure, status_maker, task_info_maker};
use crate::{
    Args, RAW_COMMITS_FOR, STALENESS_SAMPLES, encode, engine, fleet, fleet_api, procs, replicas,
    rollout_block, scratch, targets,
};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

pub(crate) async fn run(args: &Args) -> Result<(), String> {
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
    let mut placement = String::new();
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
        // Every PostgreSQL block, its raw commits and its rollout with the database beside the
        // load generator (db_core's why); put back after them.
        let (_db_core, placed) = crate::db_core::for_backend(backend, args);
        if !placed.is_empty() {
            eprintln!("{placed}");
            placement = format!(" {placed}");
        }
        for &size in &args.sizes {
            if backend == "postgres" && size > args.pg_max_size {
                continue;
            }
            let (_, fleet_file) = scratch(size)?;
            let db = procs::fresh_db(backend, &args.pg, &tmp, &format!("bench_{size}"))?;
            let import_s = procs::import(&fleet_file, &db)?;
            if size > args.pg_max_size && size > rollout_size {
                // No other block reads a fleet this large again.
                let _ = std::fs::remove_file(&fleet_file);
            }
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
                // DescribeFleetAddons over a million clusters outlasts the default 5 s, after
                // which the server closes the connection once it has answered (README).
                "--idle-timeout",
                "120s",
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
            let base_status = status_maker(size, &["metrics-server"]);
            measure(
                &mut rows,
                args,
                (&bt, Against::Itself),
                "baseline",
                size,
                &format!("fixed {}-byte body, same route", body.len()),
                Arc::clone(&base_status),
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
                    (&t, Against::Paired(&bt, None)),
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
                (&t, Against::Paired(&bt, Some(&base_status))),
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
            let tasks = engine::submit_upgrades(&t, 1000, size).await?;
            measure(
                &mut rows,
                args,
                (&t, Against::Paired(&bt, None)),
                backend,
                size,
                "status, 1 add-on, 1,000 upgrades running",
                status_maker(size, &["metrics-server"]),
            )
            .await;
            loaded_rss = loaded_rss.max(procs::rss_mib(server.pid));
            let info = task_info_maker(tasks);
            measure(
                &mut rows,
                args,
                (&t, Against::Paired(&bt, Some(&base_status))),
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
            if backend == "sqlite" && size > args.pg_max_size {
                procs::remove_sqlite(&tmp, &format!("bench_{size}"));
            }
            writeln!(facts, "| {backend} | {size} | {import_s:.1} | {startup_ms:.0} / {restart_ms:.0} | {start_rss:.1} | {warm_s} | {idle_rss:.1} | {cache_kb} | {loaded_rss:.1} | {db_mib:.0} |").ok();
            if size == args.sizes[0] {
                let raw = engine::raw_commits(backend, &args.pg, &tmp, RAW_COMMITS_FOR)?;
                let r = engine::engine(&db, args.engine_tasks.min(size * fleet::OLD.len()), size)
                    .await?;
                let n = r.tasks as f64;
                figs.engine
                    .push((backend.clone(), n / r.drain_s, n / r.end_to_end_s, raw));
                let row = engine::engine_row(backend, &r, raw);
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
    writeln!(md, "{} connections, {} s per workload, signatures verified (ACS3-HMAC-SHA256, fresh nonce per request). Server on core 0, load generator on core 1.{placement} The baseline receives the same signed requests and ignores the signature. Status rows are paired with the baseline (three rounds, each a third of the time on the baseline then on the server; the ratio is over the same rounds); DescribeClusterAddonsVersion and DescribeTaskInfo, routes the baseline does not serve, are paired the same way with the baseline answering its status route (the block's status requests, in the same rounds).\n", args.connections, args.duration.as_secs_f64()).ok();
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
    write!(md, "\nEngine: upgrades (precheck, apply, verify, each committed) run to completion with `--stage-duration 0`, 256 at a time. End to end: submitted over HTTP by 32 clients, each on a keep-alive connection of its own, while the engine runs them, on the same core. Engine alone: the same number queued first, then drained by a freshly started server. Raw commits/s: one connection committing one-row inserts, one transaction each, for {:.0} s on a scratch database of the same back end opened with the store's settings (SQLite: WAL, `synchronous = FULL`; `ack-addons raw-commits`, on the servers' core) — the durable commit rate of the machine and database; tasks/s ÷ raw commits/s is how many whole tasks (claim, three stages, end) the engine completes per bare commit (≥ 1: its commits are shared by many tasks).\n\n", RAW_COMMITS_FOR.as_secs_f64()).ok();
    md.push_str(engine::ENGINE_HEADER);
    md.push_str(&engine);
    let s = fleet_api::Strategy::default();
    writeln!(md, "\nRollout: one CreateAddonRollout of {} to its newest version over every cluster of a fleet of {rollout_size} (10,000, or the largest fleet of the run when smaller), on a freshly imported database and a fresh server with `--stage-duration 0` and `--max-concurrent-tasks {}` (on SQLite once its status cache is warm); strategy canary 0, waves of {}, {} at a time (the engine workload's concurrency), max_failures 0, soak 0s. Seconds from sending CreateAddonRollout to the DescribeAddonRollout answer that shows it ended (polled every {} ms on one keep-alive connection, this process's monotonic clock). Changed: clusters at the target version after less before (DescribeFleetAddons); a rollout that did not end `success` with counts.success equal to it is an error. Beside it the engine alone on the same back end and fleet: as many upgrades of the same add-on queued, then drained by a fresh server with the same flags.\n", fleet_api::ADDON, engine::ENGINE_CONCURRENCY, s.wave_size, s.max_parallel, fleet_api::POLL.as_millis()).ok();
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
