//! Changes to one add-on of one cluster: install, upgrade, uninstall, config. Each starts a task;
//! with `--wait` the command follows it and fails when it does.

use super::{emit, text};
use crate::Output;
use crate::client::Client;
use crate::error::CliError;
use crate::progress::Progress;
use crate::request::Request;
use crate::table::fields;
use crate::watch;
use ack_domain::task::TaskState;
use ack_wire::Action;
use serde_json::{Value, json};

#[derive(clap::Args, Debug, Clone)]
pub struct ChangeArgs {
    pub cluster: String,
    pub addon: String,
    /// The version (default: the newest that suits the cluster).
    pub version: Option<String>,
    /// The add-on's config, a JSON object.
    #[arg(long)]
    pub config: Option<String>,
    /// Follow the task until it ends; fail if it does not succeed.
    #[arg(long)]
    pub wait: bool,
}

#[derive(clap::Args, Debug, Clone)]
pub struct UninstallArgs {
    pub cluster: String,
    pub addon: String,
    /// Also remove the cloud resources the add-on made.
    #[arg(long)]
    pub cleanup_cloud_resources: bool,
    #[arg(long)]
    pub wait: bool,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ConfigArgs {
    pub cluster: String,
    pub addon: String,
    /// The new config, a JSON object.
    pub json: String,
    #[arg(long)]
    pub wait: bool,
}

pub fn install_request(a: &ChangeArgs) -> Request {
    let mut item = json!({ "name": a.addon });
    if let Some(v) = &a.version {
        item["version"] = json!(v);
    }
    if let Some(c) = &a.config {
        item["config"] = json!(c);
    }
    Request::new(Action::InstallClusterAddons)
        .param(&a.cluster)
        .body(json!([item]))
}

pub fn upgrade_request(a: &ChangeArgs, version: &str) -> Request {
    let mut item = json!({ "component_name": a.addon, "next_version": version });
    if let Some(c) = &a.config {
        item["config"] = json!(c);
    }
    Request::new(Action::UpgradeClusterAddons)
        .param(&a.cluster)
        .body(json!([item]))
}

pub fn uninstall_request(a: &UninstallArgs) -> Request {
    let mut item = json!({ "name": a.addon });
    if a.cleanup_cloud_resources {
        item["cleanup_cloud_resources"] = json!(true);
    }
    Request::new(Action::UnInstallClusterAddons)
        .param(&a.cluster)
        .body(json!([item]))
}

pub fn config_request(a: &ConfigArgs) -> Request {
    Request::new(Action::ModifyClusterAddon)
        .param(&a.cluster)
        .param(&a.addon)
        .body(json!({ "config": a.json }))
}

/// Prints what a task-starting call answered, or follows its task with `wait`.
pub async fn started(c: &Client, out: Output, answer: &Value, wait: bool) -> Result<(), CliError> {
    if !wait {
        emit(out, answer, |v| {
            fields(&[
                ("cluster_id", text(v, "cluster_id")),
                ("task_id", text(v, "task_id")),
            ])
        });
        return Ok(());
    }
    let id = text(answer, "task_id");
    let mut progress = Progress::for_output(out);
    let t = watch::task(c, &id, TaskState::is_terminal, &mut progress).await?;
    if out == Output::Json {
        emit(out, &t, |_| String::new());
    }
    watch::task_outcome(&t, &[TaskState::Success])
}

pub async fn install(c: &Client, out: Output, a: &ChangeArgs) -> Result<(), CliError> {
    let v = c.call(&install_request(a)).await?;
    started(c, out, &v, a.wait).await
}

pub async fn upgrade(c: &Client, out: Output, a: &ChangeArgs) -> Result<(), CliError> {
    let version = match &a.version {
        Some(v) => v.clone(),
        None => {
            // DescribeAddon with the cluster answers the newest version that suits it.
            let d = Request::new(Action::DescribeAddon)
                .param(&a.addon)
                .query("cluster_id", &a.cluster);
            text(&c.call(&d).await?, "version")
        }
    };
    let v = c.call(&upgrade_request(a, &version)).await?;
    started(c, out, &v, a.wait).await
}

pub async fn uninstall(c: &Client, out: Output, a: &UninstallArgs) -> Result<(), CliError> {
    let v = c.call(&uninstall_request(a)).await?;
    started(c, out, &v, a.wait).await
}

pub async fn config(c: &Client, out: Output, a: &ConfigArgs) -> Result<(), CliError> {
    let v = c.call(&config_request(a)).await?;
    started(c, out, &v, a.wait).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(version: Option<&str>, config: Option<&str>) -> ChangeArgs {
        ChangeArgs {
            cluster: "c1".into(),
            addon: "coredns".into(),
            version: version.map(str::to_string),
            config: config.map(str::to_string),
            wait: false,
        }
    }

    #[test]
    fn changes_send_the_bodies_the_sdk_models_send() {
        let r = install_request(&change(None, None));
        assert_eq!(r.path().unwrap(), "/clusters/c1/components/install");
        assert_eq!(r.body, Some(json!([{"name": "coredns"}])));
        let r = install_request(&change(Some("v2"), Some(r#"{"a":1}"#)));
        assert_eq!(
            r.body,
            Some(json!([{"name": "coredns", "version": "v2", "config": "{\"a\":1}"}]))
        );
        let r = upgrade_request(&change(None, None), "v3");
        assert_eq!(
            (r.method(), r.path().unwrap().as_str()),
            ("POST", "/clusters/c1/components/upgrade")
        );
        assert_eq!(
            r.body,
            Some(json!([{"component_name": "coredns", "next_version": "v3"}]))
        );
        let r = uninstall_request(&UninstallArgs {
            cluster: "c1".into(),
            addon: "x".into(),
            cleanup_cloud_resources: true,
            wait: false,
        });
        assert_eq!(
            r.body,
            Some(json!([{"name": "x", "cleanup_cloud_resources": true}]))
        );
        let r = config_request(&ConfigArgs {
            cluster: "c1".into(),
            addon: "metrics-server".into(),
            json: r#"{"replicas":2}"#.into(),
            wait: true,
        });
        assert_eq!(
            r.path().unwrap(),
            "/clusters/c1/components/metrics-server/config"
        );
        assert_eq!(r.body, Some(json!({"config": "{\"replicas\":2}"})));
    }
}
