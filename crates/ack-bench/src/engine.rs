//! The engine figures: upgrades submitted and run to completion, the engine alone draining a
//! queue, and the store's raw durable commit rate they are divided by.

use crate::client::{self, Target};
use crate::fleet;
use crate::procs::{Server, bin, fresh_db, import, pinned};
use std::path::Path;
use std::time::{Duration, Instant};

/// What the engine workload runs at once (`--max-concurrent-tasks`).
pub const ENGINE_CONCURRENCY: usize = 256;

/// The engine workload's server flags, with stages of `stage`.
pub fn engine_flags(stage: &'static str) -> [&'static str; 4] {
    ["--stage-duration", stage, "--max-concurrent-tasks", "256"]
}

/// Starts `n` upgrades spread over the fleet from 32 clients at once, each calling in turn over a
/// keep-alive connection of its own (as an SDK client does), and returns their task ids in order.
pub async fn submit_upgrades(t: &Target, n: usize, clusters: usize) -> Result<Vec<String>, String> {
    const CLIENTS: usize = 32;
    let addons = fleet::addons();
    let mut calls = Vec::with_capacity(n);
    for k in 0..n {
        let (cluster, which) = (k % clusters, (k / clusters) % fleet::OLD.len());
        let body = fleet::upgrade_to_newest(&addons, fleet::OLD[which])?;
        let path = format!(
            "/clusters/{}/components/upgrade",
            fleet::cluster_id(cluster)
        );
        calls.push((k, path, body));
    }
    let queue = std::sync::Arc::new(std::sync::Mutex::new(calls.into_iter()));
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS.min(n) {
        let (t, queue) = (t.clone(), queue.clone());
        clients.spawn(async move {
            let mut conn = client::Conn::open(&t).await?;
            let mut got = Vec::new();
            loop {
                let next = queue.lock().map_err(|e| e.to_string())?.next();
                let Some((k, path, body)) = next else {
                    return Ok::<_, String>(got);
                };
                let (status, out) = conn
                    .call("POST", &path, "", "UpgradeClusterAddons", body.as_bytes())
                    .await?;
                if status != 200 {
                    return Err(format!(
                        "upgrade answered {status}: {}",
                        String::from_utf8_lossy(&out)
                    ));
                }
                let v: serde_json::Value =
                    serde_json::from_slice(&out).map_err(|e| e.to_string())?;
                got.push((k, v["task_id"].as_str().unwrap_or_default().to_string()));
            }
        });
    }
    let mut ids = vec![String::new(); n];
    while let Some(done) = clients.join_next().await {
        for (k, id) in done.map_err(|e| e.to_string())?? {
            ids[k] = id;
        }
    }
    Ok(ids)
}

/// What the engine figure measured: tasks, then seconds end to end (submitted over HTTP while
/// the engine runs them) and seconds draining the same number already queued (the engine alone).
pub struct EngineRun {
    pub tasks: usize,
    pub end_to_end_s: f64,
    pub drain_s: f64,
    /// The drain server's mean group commit: writes per transaction, from its `/metrics`.
    pub batch: Option<f64>,
}

/// Upgrades with `--stage-duration 0` on fresh copies of the fleet: from the first request
/// until none runs; and, with the tasks queued first by a server whose stages never end, from
/// the moment a server with instant stages says `listening` until none runs.
pub async fn engine(db_like: &str, n: usize, clusters: usize) -> Result<EngineRun, String> {
    let (backend, pg) = if db_like.starts_with("postgres") {
        (
            "postgres",
            db_like
                .rsplit_once('/')
                .map_or(db_like, |(p, _)| p)
                .to_string(),
        )
    } else {
        ("sqlite", String::new())
    };
    let tmp = std::env::temp_dir().join(format!("ack-bench-{}", std::process::id()));
    let fleet = tmp.join(format!("fleet-{clusters}.jsonl"));
    let mut secs = Vec::new();
    let mut batch = None;
    for stage in ["0s", "1h"] {
        let db = fresh_db(backend, &pg, &tmp, "bench_engine")?;
        import(&fleet, &db)?;
        let mut server = Server::start(&db, &engine_flags(stage))?;
        let t = Target::signed(&server.addr);
        let mut started = Instant::now();
        submit_upgrades(&t, n, clusters).await?;
        if stage != "0s" {
            // Everything is queued (or parked in a stage that never ends): restart with instant
            // stages; the new server resumes each from its last completed stage.
            drop(server);
            // On PostgreSQL the stopped server's leases would expire after --task-lease; the
            // figure is about the engine, not that wait.
            let store = ack_store::Store::connect(&db).await?;
            store
                .release_all_leases()
                .await
                .map_err(|e| e.to_string())?;
            store.close().await;
            server = Server::start(&db, &engine_flags("0s"))?;
            // From `listening`, as end to end is: start-up is a figure of its own.
            started = Instant::now();
        }
        let store = ack_store::Store::connect(&db).await?;
        while store.running_tasks().await.map_err(|e| e.to_string())? > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        secs.push(started.elapsed().as_secs_f64());
        store.close().await;
        if stage != "0s" {
            batch = mean_batch(&Target::signed(&server.addr)).await;
        }
        drop(server);
    }
    Ok(EngineRun {
        tasks: n,
        end_to_end_s: secs[0],
        drain_s: secs[1],
        batch,
    })
}

/// Writes per group-commit transaction so far, from the server's `/metrics`.
async fn mean_batch(t: &Target) -> Option<f64> {
    let (_, body) = client::Conn::open(t)
        .await
        .ok()?
        .call("GET", "/metrics", "", "Metrics", b"")
        .await
        .ok()?;
    batch_of(&String::from_utf8_lossy(&body))
}

fn batch_of(metrics: &str) -> Option<f64> {
    let counter = |name: &str| -> Option<f64> {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
    };
    let commits = counter("ack_engine_commits_total")?;
    (commits > 0.0).then(|| counter("ack_engine_commit_writes_total").map(|w| w / commits))?
}

/// The back end's raw durable commit rate (commits/s): `ack-addons raw-commits` on a scratch
/// database of the same kind, on the servers' core, for about `length`.
pub fn raw_commits(backend: &str, pg: &str, tmp: &Path, length: Duration) -> Result<f64, String> {
    let db = fresh_db(backend, pg, tmp, "bench_raw_commits")?;
    let o = pinned(&bin("ack-addons"))
        .args(["raw-commits", "--database", &db, "--duration"])
        .arg(format!("{}ms", length.as_millis()))
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&o.stdout);
    if !o.status.success() {
        return Err(format!(
            "raw-commits: {}",
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    parse_raw_commits(&text).ok_or_else(|| format!("raw-commits said {text:?}"))
}

/// `raw commits N in S s` as commits per second.
fn parse_raw_commits(line: &str) -> Option<f64> {
    let rest = line.trim().strip_prefix("raw commits ")?;
    let (n, s) = rest.split_once(" in ")?;
    let n: f64 = n.parse().ok()?;
    let s: f64 = s.strip_suffix(" s")?.parse().ok()?;
    (s > 0.0).then(|| n / s)
}

/// A row of the engine table: the engine's figures beside the raw commit rate, each as tasks
/// per raw commit (1.0: a whole three-stage task costs what one bare commit does).
pub fn engine_row(backend: &str, r: &EngineRun, raw_per_s: f64) -> String {
    let n = r.tasks as f64;
    let (e2e, alone) = (n / r.end_to_end_s, n / r.drain_s);
    let ratio = |tps: f64| {
        if raw_per_s > 0.0 {
            format!("{:.2}", tps / raw_per_s)
        } else {
            "–".into()
        }
    };
    let batch = r.batch.map_or_else(|| "–".into(), |b| format!("{b:.1}"));
    format!(
        "| {backend} | {raw_per_s:.0} | {} | {:.2} | {e2e:.0} | {} | {:.2} | {alone:.0} | {} | {batch} |",
        r.tasks,
        r.end_to_end_s,
        ratio(e2e),
        r.drain_s,
        ratio(alone)
    )
}

/// The engine table's header, matching `engine_row`.
pub const ENGINE_HEADER: &str = "| backend | raw commits/s | tasks | end to end s | tasks/s | ÷ raw commits/s | engine alone s | tasks/s | ÷ raw commits/s | writes per commit, alone |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";

#[cfg(test)]
mod tests {
    #[test]
    fn raw_commits_are_read_from_the_line_the_server_prints() {
        assert_eq!(
            super::parse_raw_commits("raw commits 3000 in 2.000 s\n"),
            Some(1500.0)
        );
        assert_eq!(super::parse_raw_commits("raw commits 3000 in 0 s"), None);
        assert_eq!(super::parse_raw_commits("error: no"), None);
    }

    #[test]
    fn the_engine_row_divides_tasks_per_second_by_raw_commits() {
        let mut r = super::EngineRun {
            tasks: 1000,
            end_to_end_s: 2.0,
            drain_s: 1.0,
            batch: Some(12.34),
        };
        assert_eq!(
            super::engine_row("sqlite", &r, 2000.0),
            "| sqlite | 2000 | 1000 | 2.00 | 500 | 0.25 | 1.00 | 1000 | 0.50 | 12.3 |"
        );
        r.batch = None;
        assert!(super::engine_row("pg", &r, 0.0).ends_with("| 1000 | – | – |"));
        let cells = |s: &str| s.lines().next().map_or(0, |l| l.matches('|').count());
        assert_eq!(
            cells(super::ENGINE_HEADER),
            cells(&super::engine_row("x", &r, 1.0))
        );
    }

    #[test]
    fn the_mean_batch_is_writes_over_commits_from_the_metrics_text() {
        let text = "# TYPE ack_engine_commits counter\nack_engine_commits_total 40\nack_engine_commits_total_x 1\nack_engine_commit_writes_total 500\n";
        assert_eq!(super::batch_of(text), Some(12.5));
        assert_eq!(
            super::batch_of("ack_engine_commits_total 0\nack_engine_commit_writes_total 0\n"),
            None
        );
        assert_eq!(super::batch_of("nothing\n"), None);
    }

    #[test]
    fn the_engine_flags_say_its_concurrency() {
        assert_eq!(
            super::engine_flags("0s")[3],
            super::ENGINE_CONCURRENCY.to_string()
        );
    }
}
