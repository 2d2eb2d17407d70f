//! `ack-addons`: serve the ACK add-on API, import a fleet, migrate a database, or call a server
//! as its command-line client (`ack-addons clusters`, `install … --wait`, `rollout …`).

mod conn_io;
mod import;
mod keys;
mod listen;
mod lock;
mod serve;
mod tls;

use clap::{Parser, Subcommand};

/// glibc's allocator slowed every call once the status cache held a large fleet (hundreds of
/// thousands of small blocks kept for good between the requests' short-lived ones): at 100,000
/// clusters a third of a status call went to its free-list searches. mimalloc keeps small blocks
/// of one size together per page, so the calls cost the same whatever the cache holds.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "ack-addons",
    version,
    about = "ACK cluster add-on API server and client"
)]
struct Cli {
    /// How log lines (on standard error) are written: `text` for people, `json` for collectors.
    #[arg(
        long,
        global = true,
        env = "ACK_ADDONS_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(flatten)]
    client: ack_cli::Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve(serve::ServeArgs),
    /// Load a fleet (clusters and their installed add-ons) from a JSON file into the database.
    Import(import::ImportArgs),
    /// Create or migrate the database, then exit.
    Migrate {
        #[arg(
            long,
            env = "ACK_ADDONS_DATABASE_URL",
            default_value = "sqlite://ack-addons.db"
        )]
        database: String,
    },
    /// (internal, for the benchmark) commits one-row transactions for `duration` on a scratch
    /// database opened as the server opens its own, and prints how many.
    #[command(hide = true)]
    RawCommits {
        #[arg(long)]
        database: String,
        #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
        duration: std::time::Duration,
    },
    #[command(flatten)]
    Client(ack_cli::Command),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("ACK_ADDONS_LOG")
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    // Colours only for a person at a terminal: in a log file or a collector the escape codes
    // are noise, and formatting them is a tenth of a status call's cost.
    use std::io::IsTerminal;
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Import(args) => import::run(args).await,
            Command::Migrate { database } => match async {
                lock::private_sqlite_file(&database)?;
                ack_store::Store::connect(&database).await
            }
            .await
            {
                Ok(store) => {
                    store.close().await;
                    println!("database {database} is migrated");
                    Ok(())
                }
                Err(e) => Err(e),
            },
            Command::RawCommits { database, duration } => {
                ack_store::measure_raw_commits(&database, duration)
                    .await
                    .map(|r| println!("raw commits {} in {:.3} s", r.commits, r.seconds))
            }
            Command::Client(command) => ack_cli::run(cli.client, command)
                .await
                .map_err(|e| e.to_string()),
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
