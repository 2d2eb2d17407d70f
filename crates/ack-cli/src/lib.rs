//! The `ack-addons` command-line client: every subcommand is one or a few signed calls to a
//! server, as any SDK would make them; it never opens a database.

pub mod client;
mod commands;
pub mod creds;
mod error;
mod progress;
pub mod request;
mod stream;
pub mod table;
mod watch;

pub use commands::{Command, RolloutCommand};
pub use error::CliError;

/// Options every client subcommand shares. They are global so that they may stand before or
/// after the subcommand, as with the aliyun CLI.
#[derive(clap::Args, Debug, Clone)]
pub struct Global {
    /// The server, `http://HOST:PORT` (or `HOST:PORT`, as the SDKs take it).
    #[arg(
        long,
        global = true,
        env = "ACK_ADDONS_ENDPOINT",
        default_value = "http://127.0.0.1:8080",
        help_heading = "Client options"
    )]
    pub endpoint: String,
    /// A profile of the aliyun CLI's `~/.aliyun/config.json` (default: the environment's
    /// ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET, else the file's `current` profile).
    #[arg(long, global = true, help_heading = "Client options")]
    pub profile: Option<String>,
    /// `table` for people, `json` for scripts (the server's answer).
    #[arg(
        long,
        short = 'o',
        global = true,
        value_enum,
        default_value = "table",
        help_heading = "Client options"
    )]
    pub output: Output,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Table,
    Json,
}

/// Runs one client subcommand against the server `global` names.
pub async fn run(global: Global, command: Command) -> Result<(), CliError> {
    let creds = creds::resolve(global.profile.as_deref(), &|k| std::env::var(k).ok())?;
    let client = client::Client::new(&global.endpoint, creds)?;
    commands::run(&client, global.output, command).await
}
