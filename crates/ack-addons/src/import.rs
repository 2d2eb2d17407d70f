//! `ack-addons import FILE`: bulk-load a fleet. The file is JSON Lines (one cluster object per
//! line) or one JSON array of cluster objects; see the README for the fields.

use ack_domain::cluster::{CLUSTER_TYPES, Cluster, DEFAULT_KUBERNETES_VERSION};
use ack_domain::instance::{AddonInstance, InstanceState};
use ack_domain::task::{AddonTaskStatus, UpgradeStatus};
use ack_domain::{AddonName, Catalog, ClusterId, TaskId, version};
use ack_store::Store;
use clap::Args;
use serde::Deserialize;
use std::io::{BufRead, BufReader, Read};
use std::time::Instant;

#[derive(Args)]
pub struct ImportArgs {
    /// The fleet file (JSON Lines, or a JSON array).
    file: std::path::PathBuf,
    #[arg(
        long,
        env = "ACK_ADDONS_DATABASE_URL",
        default_value = "sqlite://ack-addons.db"
    )]
    database: String,
    /// The catalog the add-on names and versions are checked against.
    #[arg(long, env = "ACK_ADDONS_CATALOG")]
    catalog: Option<std::path::PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetCluster {
    cluster_id: Option<String>,
    #[serde(default = "default_account")]
    account: String,
    name: String,
    #[serde(default = "default_region")]
    region_id: String,
    #[serde(default)]
    cluster_type: Option<String>,
    #[serde(default)]
    kubernetes_version: Option<String>,
    #[serde(default)]
    addons: Vec<FleetAddon>,
    #[serde(default)]
    tags: Vec<FleetTag>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetTag {
    key: Option<String>,
    #[serde(default)]
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetAddon {
    name: String,
    version: String,
    #[serde(default)]
    config: Option<String>,
    /// The add-on's latest finished task, for upgrade-status history.
    #[serde(default)]
    last_task: Option<FleetTask>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetTask {
    /// Success, Failed or Canceled.
    status: String,
    created_at: i64,
    finished_at: i64,
    #[serde(default)]
    message: String,
}

fn default_account() -> String {
    "default".into()
}

fn default_region() -> String {
    "cn-hangzhou".into()
}

const BATCH: usize = 2000;

pub async fn run(args: ImportArgs) -> Result<(), String> {
    let started = Instant::now();
    let catalog = crate::serve::load_catalog(args.catalog.as_deref())?;
    crate::lock::private_sqlite_file(&args.database)?;
    let store = Store::connect(&args.database).await?;
    let file = std::fs::File::open(&args.file)
        .map_err(|e| format!("opening {}: {e}", args.file.display()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
    .unwrap_or(0);
    let (mut clusters, mut addons) = (0usize, 0usize);
    let mut batch = Vec::with_capacity(BATCH);
    let first = reader
        .fill_buf()
        .map_err(|e| e.to_string())?
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace());
    // One transaction for the whole file: a bad line anywhere leaves the database as it was.
    let mut session = store.begin_import().await.map_err(|e| e.to_string())?;
    let mut history = Vec::new();
    let mut flush = async |batch: &mut Vec<(Cluster, Vec<AddonInstance>)>,
                           history: &mut Vec<AddonTaskStatus>|
           -> Result<(), String> {
        session
            .add_with_history(batch, history)
            .await
            .map_err(|e| format!("storing clusters: {e}"))?;
        batch.clear();
        history.clear();
        Ok(())
    };
    if first == Some(b'[') {
        let mut text = String::new();
        reader
            .read_to_string(&mut text)
            .map_err(|e| e.to_string())?;
        let all: Vec<FleetCluster> =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.file.display()))?;
        for (i, fc) in all.into_iter().enumerate() {
            let entry = convert(&catalog, fc, now, &mut history)
                .map_err(|e| format!("cluster #{}: {e}", i + 1))?;
            (clusters, addons) = (clusters + 1, addons + entry.1.len());
            batch.push(entry);
            if batch.len() == BATCH {
                flush(&mut batch, &mut history).await?;
            }
        }
    } else {
        for (n, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| e.to_string())?;
            if line.trim().is_empty() {
                continue;
            }
            let fc: FleetCluster =
                serde_json::from_str(&line).map_err(|e| format!("line {}: {e}", n + 1))?;
            let entry = convert(&catalog, fc, now, &mut history)
                .map_err(|e| format!("line {}: {e}", n + 1))?;
            (clusters, addons) = (clusters + 1, addons + entry.1.len());
            batch.push(entry);
            if batch.len() == BATCH {
                flush(&mut batch, &mut history).await?;
            }
        }
    }
    if !batch.is_empty() {
        flush(&mut batch, &mut history).await?;
    }
    session
        .commit()
        .await
        .map_err(|e| format!("committing the import: {e}"))?;
    println!(
        "imported {clusters} clusters with {addons} add-ons in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn convert(
    catalog: &Catalog,
    fc: FleetCluster,
    now: i64,
    history: &mut Vec<AddonTaskStatus>,
) -> Result<(Cluster, Vec<AddonInstance>), String> {
    let id = match fc.cluster_id.as_deref() {
        Some(s) => ClusterId::parse(s).map_err(|e| e.to_string())?,
        None => ClusterId::generate(),
    };
    let kube = fc
        .kubernetes_version
        .unwrap_or_else(|| DEFAULT_KUBERNETES_VERSION.into());
    if !version::is_version(&kube) {
        return Err(format!("kubernetes_version {kube:?} is not a version"));
    }
    let cluster_type = fc.cluster_type.unwrap_or_else(|| CLUSTER_TYPES[0].into());
    if !CLUSTER_TYPES.contains(&cluster_type.as_str()) {
        return Err(format!(
            "cluster_type {cluster_type:?} is not one of {CLUSTER_TYPES:?}"
        ));
    }
    let tags = ack_domain::tag::parse_list(
        "tags",
        fc.tags
            .iter()
            .map(|t| (t.key.as_deref(), t.value.as_deref())),
    )
    .map_err(|e| e.to_string())?;
    let mut instances = Vec::with_capacity(fc.addons.len());
    for a in fc.addons {
        let addon = catalog
            .get(&a.name)
            .ok_or_else(|| format!("add-on {} is not in the catalog", a.name))?;
        if addon.version(&a.version).is_none() {
            return Err(format!("add-on {} has no version {}", a.name, a.version));
        }
        let config = match a.config {
            Some(c) => addon
                .check_config("config", &c)
                .map_err(|e| e.to_string())
                .map(|m| serde_json::Value::Object(m).to_string())?,
            None => addon.default_config(),
        };
        if let Some(t) = a.last_task {
            let status = UpgradeStatus::parse(&t.status)
                .filter(|s| !s.in_flight())
                .ok_or_else(|| {
                    format!(
                        "last_task.status {:?} is not Success, Failed or Canceled",
                        t.status
                    )
                })?;
            history.push(AddonTaskStatus {
                cluster_id: id.clone(),
                component: AddonName::parse(&a.name).map_err(|e| e.to_string())?,
                task_id: TaskId::generate(),
                status,
                created_at: t.created_at,
                finished_at: Some(t.finished_at),
                is_canceled: status == UpgradeStatus::Canceled,
                message: t.message,
            });
        }
        instances.push(AddonInstance {
            cluster_id: id.clone(),
            name: AddonName::parse(&a.name).map_err(|e| e.to_string())?,
            version: a.version,
            config,
            state: InstanceState::Active,
            created_at: now,
            updated_at: now,
        });
    }
    let cluster = Cluster {
        id,
        account: fc.account,
        name: fc.name,
        region_id: fc.region_id.clone(),
        zone_id: format!("{}-a", fc.region_id),
        cluster_type,
        cluster_spec: "ack.pro.small".into(),
        profile: "Default".into(),
        kubernetes_version: kube.clone(),
        init_version: kube,
        state: "running".into(),
        vpc_id: String::new(),
        vswitch_ids: Vec::new(),
        created_at: now,
        updated_at: now,
        tags,
    };
    Ok((cluster, instances))
}
