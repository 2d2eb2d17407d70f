//! `ack-addons serve`.

use ack_domain::Catalog;
use ack_engine::{Engine, EngineConfig, Executor, Signals};
use ack_rollout::{Driver, DriverConfig};
use ack_server::{AppState, AuthMode, Clock, NonceCache};
use ack_store::{Backend, Store};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "ACK_ADDONS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// sqlite://PATH (created and migrated if missing).
    #[arg(
        long,
        env = "ACK_ADDONS_DATABASE_URL",
        default_value = "sqlite://ack-addons.db"
    )]
    database: String,
    /// ID:SECRET[:ACCOUNT]; repeatable, or comma-separated in the environment.
    #[arg(
        long = "access-key",
        env = "ACK_ADDONS_ACCESS_KEYS",
        value_delimiter = ','
    )]
    access_keys: Vec<String>,
    /// `verify` checks every signature; `off` accepts any request as account `default`.
    #[arg(long, env = "ACK_ADDONS_AUTH", value_enum, default_value = "verify")]
    auth: Auth,
    /// A catalog file replacing the built-in one (format in the README).
    #[arg(long, env = "ACK_ADDONS_CATALOG")]
    catalog: Option<std::path::PathBuf>,
    /// How long each task stage takes with the simulated executor.
    #[arg(long, env = "ACK_ADDONS_STAGE_DURATION", default_value = "2s", value_parser = humantime::parse_duration)]
    stage_duration: Duration,
    /// `simulated` waits --stage-duration per stage; `command` runs --executor-command.
    #[arg(
        long,
        env = "ACK_ADDONS_EXECUTOR",
        value_enum,
        default_value = "simulated"
    )]
    executor: ExecutorKind,
    /// The program the command executor runs for each add-on and stage (see the README).
    #[arg(long, env = "ACK_ADDONS_EXECUTOR_COMMAND")]
    executor_command: Option<std::path::PathBuf>,
    /// A command-executor stage running longer than this fails the task.
    #[arg(long, env = "ACK_ADDONS_STAGE_TIMEOUT", default_value = "10m", value_parser = humantime::parse_duration)]
    stage_timeout: Duration,
    /// How long a claimed task stays with this replica without a heartbeat; another replica takes
    /// over a dead one's tasks after it.
    #[arg(long, env = "ACK_ADDONS_TASK_LEASE", default_value = "30s", value_parser = humantime::parse_duration)]
    task_lease: Duration,
    /// Tasks run at once by this process.
    #[arg(long, env = "ACK_ADDONS_MAX_CONCURRENT_TASKS", default_value_t = 64)]
    max_concurrent_tasks: usize,
    /// A failed webhook delivery is first retried after this long, then twice as long each time
    /// (up to ten minutes).
    #[arg(long, env = "ACK_ADDONS_WEBHOOK_RETRY_BASE", default_value = "1s", value_parser = humantime::parse_duration)]
    webhook_retry_base: Duration,
    /// Throttle each access key to RATE calls a second with bursts of BURST (`50/s,100`);
    /// past it a call gets Throttling.User and x-acs-retry-after. Off when not given.
    #[arg(long, env = "ACK_ADDONS_RATE_LIMIT", value_parser = ack_domain::ratelimit::RateLimit::parse)]
    rate_limit: Option<ack_domain::ratelimit::RateLimit>,
    /// Signature nonces kept in memory (SQLite); at the cap the earliest-signed are forgotten
    /// and requests signed at or before them refused, so a replay never gets through.
    #[arg(long, env = "ACK_ADDONS_MAX_NONCES", default_value_t = ack_server::nonces::DEFAULT_MAX_NONCES)]
    max_nonces: usize,
    /// Serve `/metrics` only on this address (e.g. 127.0.0.1:9464), not on the API's port.
    #[arg(long, env = "ACK_ADDONS_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// An event stream with nothing to send gets a comment this often (idle proxies keep it open).
    #[arg(long, env = "ACK_ADDONS_STREAM_KEEP_ALIVE", default_value = "15s", value_parser = humantime::parse_duration)]
    stream_keep_alive: Duration,
    /// Clusters whose add-on status is kept in memory for the status calls (about 1.2 KB each;
    /// 0 turns the cache off). On PostgreSQL every replica's writes reach it by notices.
    #[arg(long, env = "ACK_ADDONS_STATUS_CACHE", default_value_t = ack_store::DEFAULT_STATUS_CACHE_CAPACITY)]
    status_cache: usize,
    #[command(flatten)]
    tls: crate::tls::TlsArgs,
    #[command(flatten)]
    limits: crate::listen::Limits,
    /// A PEM file of CA certificates trusted for https webhook receivers, besides the public
    /// web's roots (for a private or self-signed receiver).
    #[arg(long, env = "ACK_ADDONS_WEBHOOK_CA")]
    webhook_ca: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExecutorKind {
    Simulated,
    Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Auth {
    Verify,
    Off,
}

pub fn load_catalog(path: Option<&std::path::Path>) -> Result<Catalog, String> {
    match path {
        None => Ok(Catalog::builtin()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("reading catalog {}: {e}", p.display()))?;
            Catalog::from_json(&text)
        }
    }
}

pub async fn run(args: ServeArgs) -> Result<(), String> {
    let catalog = load_catalog(args.catalog.as_deref())?;
    let tls = args.tls.config(&args.database)?;
    let webhook_tls = ack_events::TlsClient::new(args.webhook_ca.as_deref())?;
    // SQLite is one process's: a second replica on the same file is refused up front.
    let _lock = crate::lock::sqlite_single_replica(&args.database)?;
    crate::lock::private_sqlite_file(&args.database)?;
    let store = Store::connect(&args.database)
        .await?
        .with_status_cache(args.status_cache);
    let clock = Clock::System;
    // With --auth off no key is checked, so none is made up either.
    let generate = matches!(args.auth, Auth::Verify);
    let keys = crate::keys::load(&store, &args.access_keys, clock.now(), generate).await?;
    let auth = match args.auth {
        Auth::Verify => AuthMode::Verify,
        Auth::Off => AuthMode::Off,
    };
    let executor = match (args.executor, args.executor_command) {
        (ExecutorKind::Simulated, _) => Executor::Simulated {
            stage_duration: args.stage_duration,
        },
        (ExecutorKind::Command, Some(program)) => Executor::Command {
            program,
            timeout: args.stage_timeout,
        },
        (ExecutorKind::Command, None) => {
            return Err("--executor command needs --executor-command PATH".into());
        }
    };
    let shared = store.backend() == Backend::Postgres;
    if !shared {
        // One process owns a SQLite file, so no other runner can hold a lease: free them all, and
        // every unfinished task continues from its last completed stage. (On PostgreSQL a dead
        // replica's leases expire instead.)
        let freed = store
            .release_all_leases()
            .await
            .map_err(|e| e.to_string())?;
        if freed > 0 {
            tracing::info!(tasks = freed, "resuming unfinished tasks");
        }
        store
            .release_rollout_leases()
            .await
            .map_err(|e| e.to_string())?;
        store
            .release_webhook_leases()
            .await
            .map_err(|e| e.to_string())?;
    }
    let signals = Arc::new(Signals::default());
    let catalog = Arc::new(catalog);
    let engine_cfg = EngineConfig {
        executor,
        max_concurrent: args.max_concurrent_tasks,
        lease: args.task_lease,
        poll: Duration::from_millis(500),
    };
    Engine::new(
        store.clone(),
        Arc::clone(&catalog),
        clock.clone(),
        Arc::clone(&signals),
        engine_cfg,
    )
    .spawn();
    Driver::new(
        store.clone(),
        Arc::clone(&catalog),
        clock.clone(),
        Arc::clone(&signals),
        DriverConfig {
            lease: args.task_lease,
            tick: Duration::from_millis(200),
        },
    )
    .spawn();
    ack_events::Deliverer::new(
        store.clone(),
        ack_events::WebhookConfig {
            lease: args.task_lease,
            tick: Duration::from_millis(200),
            retry_base: args.webhook_retry_base,
            timeout: Duration::from_secs(10),
            tls: webhook_tls,
        },
    )
    .spawn();
    let state = AppState {
        store: store.clone(),
        catalog,
        keys: Arc::new(keys),
        nonces: Arc::new(if shared {
            NonceCache::shared()
        } else {
            NonceCache::with_cap(args.max_nonces)
        }),
        auth,
        clock,
        signals,
        metrics: Default::default(),
        task_views: Default::default(),
        throttle: Arc::new(ack_server::throttle::Throttle::new(args.rate_limit)),
        stream: ack_events::StreamConfig {
            keep_alive: args.stream_keep_alive,
            ..ack_events::StreamConfig::default()
        },
    };
    crate::listen::raise_open_files(&args.limits);
    let limits = args.limits;
    let shutdown = shutdown_signal()?;
    let api = match &args.metrics_listen {
        Some(addr) => {
            let metrics = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("binding --metrics-listen {addr}: {e}"))?;
            let at = metrics.local_addr().map_err(|e| e.to_string())?;
            tracing::info!(%at, "metrics on their own listener");
            // It ends with the process; a scrape in flight at shutdown is simply cut.
            let app =
                ack_server::guard(ack_server::metrics_app(state.clone()), limits.body_timeout);
            tokio::spawn(crate::listen::serve(
                metrics,
                None,
                app,
                limits,
                std::future::pending(),
            ));
            ack_server::api(state.clone())
        }
        None => ack_server::app(state.clone()),
    };
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("binding {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("listening on {scheme}://{addr}");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    // Every replica's changes, for this one's caches (PostgreSQL; it returns at once on SQLite).
    let follower = store.clone();
    tokio::spawn(async move { follower.follow_status_changes().await });
    tokio::spawn(warm(store.clone()));
    // The console's routes beside the API's: one listener, one state.
    let app = ack_server::guard(api.merge(ack_console::router(state)), limits.body_timeout);
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let served = crate::listen::serve(listener, acceptor, app, limits, shutdown).await;
    served.map_err(|e| format!("serving: {e}"))?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Fills the status cache in the background and says so on stdout (the benchmark waits for the
/// line). A write error is ignored: whoever started us may have stopped reading.
async fn warm(store: Store) {
    let started = std::time::Instant::now();
    if store.backend() == ack_store::Backend::Postgres {
        // The cache answers once the listener is live; warm it then (or leave it to the calls).
        for _ in 0..100 {
            if store.status_cache_live() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    match store.warm_status_cache().await {
        Ok(0) => {}
        Ok(n) => {
            let ms = started.elapsed().as_millis();
            tracing::info!(clusters = n, ms, "status cache warm");
            let mut out = std::io::stdout();
            let _ = writeln!(out, "status cache warm: {n} clusters in {ms} ms");
            let _ = out.flush();
        }
        Err(e) => tracing::warn!(error = %e, "status cache warm-up stopped; calls load it"),
    }
}

/// Installs the SIGTERM and SIGINT handlers now (before "listening" is printed, so a signal
/// sent right after it cannot kill the process uncleanly) and resolves on the first one.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| format!("installing SIGTERM handler: {e}"))?;
    let mut int =
        signal(SignalKind::interrupt()).map_err(|e| format!("installing SIGINT handler: {e}"))?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    })
}
