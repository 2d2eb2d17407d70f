//! `ack-addons import FILE`: bulk-load a fleet. The file is JSON Lines (one cluster object per
//! line) or one JSON array of cluster objects; see the README for the fields.

use ack_domain::cluster::Cluster;
use ack_domain::fleet_file::{FleetCluster, convert, parse_line};
use ack_domain::instance::AddonInstance;
use ack_domain::task::AddonTaskStatus;
use ack_store::Store;
use clap::Args;
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
            let entry = parse_line(&catalog, &line, now, &mut history)
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
