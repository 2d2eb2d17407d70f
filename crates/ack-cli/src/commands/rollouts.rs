//! Fleet rollouts: create (and follow), show, list, pause, resume, cancel, watch.

use super::{Paging, emit, list, listing, text};
use crate::Output;
use crate::client::Client;
use crate::error::CliError;
use crate::progress::Progress;
use crate::request::Request;
use crate::table::{Table, fields};
use crate::watch;
use ack_domain::rollout::RolloutState;
use ack_wire::Action;
use serde_json::{Map, Value, json};

#[derive(clap::Subcommand, Debug, Clone)]
pub enum RolloutCommand {
    /// Start taking ADDON to VERSION across the clusters the selector picks (CreateAddonRollout).
    Create(CreateArgs),
    /// One rollout with its waves (DescribeAddonRollout).
    Show { id: String },
    /// Rollouts, newest first (ListAddonRollouts).
    List(ListArgs),
    /// Follow a rollout wave by wave until it ends; fail if it does not succeed.
    Watch { id: String },
    /// Stop starting new clusters (PauseAddonRollout).
    Pause { id: String },
    /// Go on from where it paused (ResumeAddonRollout).
    Resume { id: String },
    /// Stop it for good (CancelAddonRollout).
    Cancel { id: String },
}

#[derive(clap::Args, Debug, Clone, Default)]
pub struct CreateArgs {
    pub addon: String,
    pub version: String,
    /// The config every cluster's upgrade gets, a JSON object (default: each keeps its own).
    #[arg(long)]
    pub config: Option<String>,
    /// Only these clusters (repeatable).
    #[arg(long = "cluster")]
    pub clusters: Vec<String>,
    #[arg(long = "region")]
    pub regions: Vec<String>,
    /// `key:value`, as DescribeFleetAddons takes it (repeatable; all must match).
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// A prefix of the clusters' Kubernetes version (repeatable).
    #[arg(long = "kubernetes-version")]
    pub kubernetes_versions: Vec<String>,
    /// Only clusters running this version of the add-on (repeatable).
    #[arg(long = "from-version")]
    pub from_versions: Vec<String>,
    #[arg(long)]
    pub canary: Option<u32>,
    #[arg(long)]
    pub wave_size: Option<u32>,
    #[arg(long)]
    pub wave_percent: Option<u32>,
    #[arg(long)]
    pub max_parallel: Option<u32>,
    #[arg(long)]
    pub max_failures: Option<u32>,
    /// How long to wait between waves (`30s`, `500ms`).
    #[arg(long)]
    pub soak: Option<String>,
    /// Leave a failed cluster as it is instead of rolling it back.
    #[arg(long)]
    pub no_rollback: bool,
    #[arg(long)]
    pub pause_after_canary: bool,
    /// Follow it until it ends; fail if it does not succeed.
    #[arg(long)]
    pub wait: bool,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ListArgs {
    /// running, paused, success, fail or canceled.
    #[arg(long)]
    pub state: Option<String>,
    #[arg(long)]
    pub addon: Option<String>,
    #[command(flatten)]
    pub paging: Paging,
}

/// The CreateAddonRollout body: only what was given, so the server's defaults apply to the rest.
pub fn create_request(a: &CreateArgs) -> Result<Request, CliError> {
    let mut selector = Map::new();
    for (k, vs) in [
        ("cluster_ids", &a.clusters),
        ("region_ids", &a.regions),
        ("kubernetes_versions", &a.kubernetes_versions),
        ("versions", &a.from_versions),
    ] {
        if !vs.is_empty() {
            selector.insert(k.into(), json!(vs));
        }
    }
    if !a.tags.is_empty() {
        let mut tags = Map::new();
        for t in &a.tags {
            let (k, v) = t
                .split_once(':')
                .ok_or_else(|| CliError::other(format!("--tag {t:?}: expected key:value")))?;
            tags.insert(k.into(), json!(v));
        }
        selector.insert("tags".into(), Value::Object(tags));
    }
    let mut strategy = Map::new();
    for (k, v) in [
        ("canary", a.canary),
        ("wave_size", a.wave_size),
        ("wave_percent", a.wave_percent),
        ("max_parallel", a.max_parallel),
        ("max_failures", a.max_failures),
    ] {
        if let Some(v) = v {
            strategy.insert(k.into(), json!(v));
        }
    }
    if let Some(s) = &a.soak {
        strategy.insert("soak".into(), json!(s));
    }
    if a.no_rollback {
        strategy.insert("rollback_on_failure".into(), json!(false));
    }
    if a.pause_after_canary {
        strategy.insert("pause_after_canary".into(), json!(true));
    }
    let mut body = json!({"addon": a.addon, "version": a.version});
    if let Some(c) = &a.config {
        body["config"] = json!(c);
    }
    if !selector.is_empty() {
        body["selector"] = Value::Object(selector);
    }
    if !strategy.is_empty() {
        body["strategy"] = Value::Object(strategy);
    }
    Ok(Request::new(Action::CreateAddonRollout).body(body))
}

pub fn list_request(a: &ListArgs) -> Request {
    a.paging.apply(
        Request::new(Action::ListAddonRollouts)
            .query_opt("state", a.state.as_deref())
            .query_opt("addon", a.addon.as_deref()),
    )
}

fn control_request(action: Action, id: &str) -> Request {
    Request::new(action).param(id)
}

fn counts_cell(r: &Value) -> String {
    let c = r.get("counts").cloned().unwrap_or_default();
    ["success", "fail", "running", "pending", "skipped"]
        .map(|k| format!("{}={}", k, text(&c, k)))
        .join(" ")
}

fn show_table(r: &Value) -> String {
    let error = r.get("error").map_or(String::new(), |e| {
        if text(e, "code").is_empty() {
            String::new()
        } else {
            format!("{}: {}", text(e, "code"), text(e, "message"))
        }
    });
    let mut pairs: Vec<(&str, String)> =
        ["rollout_id", "addon", "version", "state", "current_wave"]
            .iter()
            .map(|k| (*k, text(r, k)))
            .collect();
    pairs.push((
        "total",
        text(r.get("counts").unwrap_or(&Value::Null), "total"),
    ));
    pairs.push(("counts", counts_cell(r)));
    pairs.extend(["created", "finished"].map(|k| (k, text(r, k))));
    pairs.push(("error", error));
    let mut waves = Table::new(&["WAVE", "SIZE", "STATE", "STARTED", "FINISHED"]);
    for w in list(r, "waves") {
        waves.row(["index", "size", "state", "started", "finished"].map(|k| text(w, k)));
    }
    let mut out = fields(&pairs);
    if !waves.is_empty() {
        out.push('\n');
        out.push_str(&waves.render());
    }
    out
}

async fn follow(c: &Client, out: Output, id: &str) -> Result<(), CliError> {
    let mut progress = Progress::for_output(out);
    let r = watch::rollout(c, id, false, &mut progress).await?;
    if out == Output::Json {
        emit(out, &r, show_table);
    }
    watch::rollout_outcome(&r, &[RolloutState::Success])
}

pub async fn run(c: &Client, out: Output, cmd: RolloutCommand) -> Result<(), CliError> {
    let (action, id) = match cmd {
        RolloutCommand::Create(a) => {
            let v = c.call(&create_request(&a)?).await?;
            let id = text(&v, "rollout_id");
            if a.wait {
                return follow(c, out, &id).await;
            }
            emit(out, &v, |v| {
                fields(&[("rollout_id", id.clone()), ("total", text(v, "total"))])
            });
            return Ok(());
        }
        RolloutCommand::Show { id } => {
            let v = c.call(&watch::describe_rollout(&id)).await?;
            emit(out, &v, show_table);
            return Ok(());
        }
        RolloutCommand::List(a) => {
            let headers = ["ROLLOUT_ID", "ADDON", "VERSION", "STATE", "WAVE", "COUNTS"];
            let keys = ["rollout_id", "addon", "version", "state", "current_wave"];
            return listing(c, out, &list_request(&a), "rollouts", &headers, |r| {
                keys.iter()
                    .map(|k| text(r, k))
                    .chain([counts_cell(r)])
                    .collect()
            })
            .await;
        }
        RolloutCommand::Watch { id } => return follow(c, out, &id).await,
        RolloutCommand::Pause { id } => (Action::PauseAddonRollout, id),
        RolloutCommand::Resume { id } => (Action::ResumeAddonRollout, id),
        RolloutCommand::Cancel { id } => (Action::CancelAddonRollout, id),
    };
    let v = c.call(&control_request(action, &id)).await?;
    emit(out, &v, |_| format!("{id}: {} requested\n", action.name()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_sends_only_what_was_given() {
        let a = CreateArgs {
            addon: "coredns".into(),
            version: "v2".into(),
            ..Default::default()
        };
        let r = create_request(&a).unwrap();
        assert_eq!(
            (r.method(), r.path().unwrap().as_str()),
            ("POST", "/fleet/rollouts")
        );
        assert_eq!(r.body, Some(json!({"addon": "coredns", "version": "v2"})));
        let a = CreateArgs {
            clusters: vec!["c1".into(), "c2".into()],
            tags: vec!["env:prod".into()],
            from_versions: vec!["v1".into()],
            canary: Some(1),
            wave_size: Some(2),
            soak: Some("1s".into()),
            no_rollback: true,
            config: Some("{}".into()),
            ..a
        };
        assert_eq!(
            create_request(&a).unwrap().body,
            Some(json!({"addon": "coredns", "version": "v2", "config": "{}",
                "selector": {"cluster_ids": ["c1", "c2"], "versions": ["v1"], "tags": {"env": "prod"}},
                "strategy": {"canary": 1, "wave_size": 2, "soak": "1s", "rollback_on_failure": false}}))
        );
        let bad = CreateArgs {
            tags: vec!["env".into()],
            ..a
        };
        assert!(
            create_request(&bad)
                .unwrap_err()
                .to_string()
                .contains("key:value")
        );
    }

    #[test]
    fn list_and_controls_map_to_the_fleet_routes() {
        let r = list_request(&ListArgs {
            state: Some("running".into()),
            addon: None,
            paging: Paging {
                page_size: None,
                page_number: Some(2),
            },
        });
        assert_eq!(r.raw_query(), "state=running&page_number=2");
        let r = control_request(Action::PauseAddonRollout, "R-1");
        assert_eq!(r.path().unwrap(), "/fleet/rollouts/R-1/pause");
    }
}
