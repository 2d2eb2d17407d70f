//! Cross-replica staleness (PostgreSQL): how long after a write committed through replica A the
//! status calls on replica B show it. B answers from its status cache, which forgets a cluster
//! when it hears A's notice; the delay is that notice's way, plus one status call.

use crate::client::{Conn, Target, percentile};
use crate::{encode, fleet, procs};
use std::time::{Duration, Instant};

/// The longest a sample may take before it counts as missed.
const GIVE_UP: Duration = Duration::from_secs(2);
/// Add-ons at their older version on every cluster that the block's other workloads leave alone.
const ADDONS: [&str; 3] = ["terway-eniip", "logtail-ds", "gatekeeper"];

pub struct Staleness {
    pub samples: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Samples B did not show within [`GIVE_UP`].
    pub missed: usize,
}

/// Starts replica B on `db` beside `a` (same flags), then `samples` times: reads a cluster's
/// status on B (twice, so that B holds it), upgrades one of its add-ons through A, and reads on
/// B until the answer changes.
pub async fn staleness(
    a: &Target,
    db: &str,
    flags: &[&str],
    clusters: usize,
    samples: usize,
) -> Result<Staleness, String> {
    let b_server = procs::Server::start(db, flags)?;
    let b = Target {
        addr: b_server.addr.clone(),
        key: a.key.clone(),
    };
    let newest = fleet::addons();
    let (mut on_a, mut on_b) = (Conn::open(a).await?, Conn::open(&b).await?);
    let mut us: Vec<u32> = Vec::with_capacity(samples);
    let mut missed = 0;
    for i in 0..samples.min(clusters * ADDONS.len()) {
        let cluster = fleet::cluster_id(clusters - 1 - i % clusters);
        let addon = ADDONS[i / clusters];
        let path = format!("/clusters/{cluster}/components/upgradestatus");
        let query = format!("componentIds={}", encode(&format!("[\"{addon}\"]")));
        let action = "DescribeClusterAddonsUpgradeStatus";
        on_b.call("GET", &path, &query, action, b"").await?;
        let (_, before) = on_b.call("GET", &path, &query, action, b"").await?;
        let body = fleet::upgrade_to_newest(&newest, addon)?;
        let upgrade = format!("/clusters/{cluster}/components/upgrade");
        let (status, out) = on_a
            .call(
                "POST",
                &upgrade,
                "",
                "UpgradeClusterAddons",
                body.as_bytes(),
            )
            .await?;
        if status != 200 {
            return Err(format!(
                "upgrade through replica A answered {status}: {}",
                String::from_utf8_lossy(&out)
            ));
        }
        let committed = Instant::now();
        loop {
            let (_, now) = on_b.call("GET", &path, &query, action, b"").await?;
            let took = committed.elapsed();
            if now != before {
                us.push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
                break;
            }
            if took > GIVE_UP {
                missed += 1;
                break;
            }
        }
    }
    drop(b_server);
    us.sort_unstable();
    let ms = |p| percentile(&us, p);
    Ok(Staleness {
        samples: us.len() + missed,
        p50_ms: ms(0.50),
        p99_ms: ms(0.99),
        max_ms: us.last().map_or(0.0, |m| f64::from(*m) / 1000.0),
        missed,
    })
}
