//! The client's subcommands. Each builds its `Request`s from its arguments (tested without a
//! server), sends them, and prints a table or the server's JSON.

mod change;
mod reads;
mod rollouts;
mod tasks;

pub use change::{ChangeArgs, ConfigArgs, UninstallArgs};
pub use reads::{AddonsArgs, ClustersArgs, FleetArgs};
pub use rollouts::RolloutCommand;
pub use tasks::{TaskArgs, TaskControlArgs, TasksArgs};

use crate::Output;
use crate::client::Client;
use crate::error::CliError;
use serde_json::Value;

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Command {
    /// List clusters (DescribeClustersV1).
    Clusters(ClustersArgs),
    /// Show one cluster (DescribeClusterDetail).
    Cluster {
        /// The cluster's id.
        id: String,
    },
    /// The add-on catalog (ListAddons).
    Addons(AddonsArgs),
    /// Add-on versions, upgradability and latest tasks of a cluster
    /// (DescribeClusterAddonsUpgradeStatus).
    Status {
        cluster: String,
        /// Add-ons to show (default: every installed one).
        addons: Vec<String>,
    },
    /// Install an add-on (InstallClusterAddons).
    Install(ChangeArgs),
    /// Upgrade an add-on (UpgradeClusterAddons); without VERSION, to the newest that suits.
    Upgrade(ChangeArgs),
    /// Uninstall an add-on (UnInstallClusterAddons).
    Uninstall(UninstallArgs),
    /// Change an add-on's config (ModifyClusterAddon).
    Config(ConfigArgs),
    /// Show a task (DescribeTaskInfo), or follow it with --watch.
    Task(TaskArgs),
    /// A cluster's tasks, newest first (DescribeClusterTasks).
    Tasks(TasksArgs),
    /// Pause a task between stages (PauseTask).
    Pause(TaskControlArgs),
    /// Resume a paused task (ResumeTask).
    Resume(TaskControlArgs),
    /// Cancel a task (CancelTask).
    Cancel(TaskControlArgs),
    /// Fleet rollouts: one add-on version across many clusters, in waves.
    #[command(subcommand)]
    Rollout(RolloutCommand),
    /// Add-on versions and upgradability across the fleet (DescribeFleetAddons).
    Fleet(FleetArgs),
}

pub async fn run(client: &Client, out: Output, cmd: Command) -> Result<(), CliError> {
    match cmd {
        Command::Clusters(a) => reads::clusters(client, out, &a).await,
        Command::Cluster { id } => reads::cluster(client, out, &id).await,
        Command::Addons(a) => reads::addons(client, out, &a).await,
        Command::Status { cluster, addons } => reads::status(client, out, &cluster, &addons).await,
        Command::Fleet(a) => reads::fleet(client, out, &a).await,
        Command::Install(a) => change::install(client, out, &a).await,
        Command::Upgrade(a) => change::upgrade(client, out, &a).await,
        Command::Uninstall(a) => change::uninstall(client, out, &a).await,
        Command::Config(a) => change::config(client, out, &a).await,
        Command::Task(a) => tasks::task(client, out, &a).await,
        Command::Tasks(a) => tasks::tasks(client, out, &a).await,
        Command::Pause(a) => tasks::control(client, out, tasks::Verb::Pause, &a).await,
        Command::Resume(a) => tasks::control(client, out, tasks::Verb::Resume, &a).await,
        Command::Cancel(a) => tasks::control(client, out, tasks::Verb::Cancel, &a).await,
        Command::Rollout(c) => rollouts::run(client, out, c).await,
    }
}

/// The paging every listing takes; unset, the server's own default applies.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Paging {
    /// How many per page (the listing's own maximum applies).
    #[arg(long)]
    pub page_size: Option<u32>,
    #[arg(long)]
    pub page_number: Option<u32>,
}

impl Paging {
    fn apply(&self, r: crate::request::Request) -> crate::request::Request {
        r.query_opt("page_size", self.page_size)
            .query_opt("page_number", self.page_number)
    }
}

/// Prints the answer as JSON, or as what `table` makes of it.
fn emit(out: Output, v: &Value, table: impl FnOnce(&Value) -> String) {
    match out {
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
        ),
        Output::Table => print!("{}", table(v)),
    }
}

/// A string field, or a number or boolean as text; "" when absent.
fn text(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn list<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// A paged listing: the answer's `key` array as a table of `headers`, a `row` per item, and a
/// note on standard error when it is one page of several.
async fn listing(
    c: &Client,
    out: Output,
    req: &crate::request::Request,
    key: &str,
    headers: &[&str],
    row: impl Fn(&Value) -> Vec<String>,
) -> Result<(), CliError> {
    let v = c.call(req).await?;
    let rows = list(&v, key);
    emit(out, &v, |_| {
        let mut t = crate::table::Table::new(headers);
        for r in rows {
            t.row(row(r));
        }
        t.render()
    });
    if out == Output::Table {
        more_pages(&v, rows.len(), key);
    }
    Ok(())
}

fn more_pages(v: &Value, shown: usize, what: &str) {
    let total = v
        .pointer("/page_info/total_count")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if total > shown as u64 {
        let page = v
            .pointer("/page_info/page_number")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        eprintln!("{shown} of {total} {what} shown (page {page}); see --page-number");
    }
}
