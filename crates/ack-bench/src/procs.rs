//! The processes and databases a run needs: servers pinned to core 0, fleets imported, sizes read.

use crate::client::{self, Target};
use crate::fleet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin(name: &str) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join(name)))
        .unwrap_or_else(|| name.into())
}

fn has(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The command, on core 0 when taskset exists (the load generator runs on core 1).
fn pinned(program: &Path) -> Command {
    if has("taskset") {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// What the engine workload runs at once (`--max-concurrent-tasks`).
pub const ENGINE_CONCURRENCY: usize = 256;

/// The engine workload's server flags, with stages of `stage`.
pub fn engine_flags(stage: &'static str) -> [&'static str; 4] {
    ["--stage-duration", stage, "--max-concurrent-tasks", "256"]
}

pub struct Server {
    child: Child,
    pub pid: u32,
    pub addr: String,
    pub startup: Duration,
    started: Instant,
    /// The server's later stdout lines.
    lines: std::sync::mpsc::Receiver<String>,
}

impl Server {
    fn spawn(mut cmd: Command) -> Result<Self, String> {
        let started = Instant::now();
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // The servers' own speed is measured, not their log's: one line per request
            // (written to nowhere) would be most of a status call's work.
            .env("ACK_ADDONS_LOG", "warn")
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        let mut line = String::new();
        out.read_line(&mut line).map_err(|e| e.to_string())?;
        let startup = started.elapsed();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .ok_or_else(|| format!("server said {line:?}"))?
            .to_string();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for l in out.lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            pid: child.id(),
            child,
            addr,
            startup,
            started,
            lines,
        })
    }

    /// Waits for "status cache warm: N clusters …": the time from start and N, or None if it
    /// did not come.
    pub fn wait_warm(&self, timeout: Duration) -> Option<(Duration, usize)> {
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) if l.starts_with("status cache warm") => {
                    let n = l
                        .split_whitespace()
                        .nth(3)
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    return Some((self.started.elapsed(), n));
                }
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    }

    pub fn start(db: &str, extra: &[&str]) -> Result<Self, String> {
        let mut cmd = pinned(&bin("ack-addons"));
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            db,
            "--access-key",
            &format!("{}:{}", crate::KEY.0, crate::KEY.1),
        ]);
        cmd.args(extra);
        Self::spawn(cmd)
    }

    pub fn baseline(body_size: usize) -> Result<Self, String> {
        let mut cmd = pinned(&bin("ack-bench"));
        cmd.args([
            "baseline",
            "--listen",
            "127.0.0.1:0",
            "--body-size",
            &body_size.to_string(),
        ]);
        Self::spawn(cmd)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let _ = self.child.wait();
    }
}

pub fn pg_up(pg: &str) -> bool {
    Command::new("psql")
        .args([&format!("{pg}/postgres"), "-qAtc", "select 1"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn psql(pg: &str, sql: &str) -> Result<String, String> {
    let o = Command::new("psql")
        .args([&format!("{pg}/postgres"), "-qAtc", sql])
        .output()
        .map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
}

pub fn fresh_db(backend: &str, pg: &str, tmp: &Path, name: &str) -> Result<String, String> {
    if backend == "postgres" {
        psql(pg, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        psql(pg, &format!("CREATE DATABASE {name}"))?;
        return Ok(format!("{pg}/{name}"));
    }
    for ext in ["db", "db-wal", "db-shm", "db.lock"] {
        let _ = std::fs::remove_file(tmp.join(format!("{name}.{ext}")));
    }
    Ok(format!(
        "sqlite://{}",
        tmp.join(format!("{name}.db")).display()
    ))
}

pub fn import(fleet: &Path, db: &str) -> Result<f64, String> {
    let started = Instant::now();
    let o = Command::new(bin("ack-addons"))
        .arg("import")
        .arg(fleet)
        .args(["--database", db])
        .output()
        .map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(format!("import: {}", String::from_utf8_lossy(&o.stderr)));
    }
    Ok(started.elapsed().as_secs_f64())
}

pub fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub fn db_size_mib(backend: &str, db: &str, pg: &str) -> Result<f64, String> {
    if backend == "postgres" {
        let name = db.rsplit('/').next().unwrap_or_default();
        let bytes: f64 = psql(pg, &format!("SELECT pg_database_size('{name}')"))?
            .parse()
            .unwrap_or(0.0);
        return Ok(bytes / 1_048_576.0);
    }
    let path = db.trim_start_matches("sqlite://");
    let size = |p: String| std::fs::metadata(p).map_or(0, |m| m.len());
    Ok((size(path.to_string()) + size(format!("{path}-wal"))) as f64 / 1_048_576.0)
}

/// Starts `n` upgrades spread over the fleet, 32 requests in flight (as many clients would),
/// and returns their task ids in order.
pub async fn submit_upgrades(t: &Target, n: usize, clusters: usize) -> Result<Vec<String>, String> {
    let addons = fleet::addons();
    let mut calls = Vec::with_capacity(n);
    for k in 0..n {
        let (cluster, which) = (k % clusters, (k / clusters) % fleet::OLD.len());
        let name = fleet::OLD[which];
        let newest = &addons
            .iter()
            .find(|(a, _, _)| a == name)
            .ok_or("catalog")?
            .2;
        let body = format!("[{{\"component_name\":\"{name}\",\"next_version\":\"{newest}\"}}]");
        let path = format!(
            "/clusters/{}/components/upgrade",
            fleet::cluster_id(cluster)
        );
        calls.push((path, body));
    }
    let mut ids = vec![String::new(); n];
    let mut running = tokio::task::JoinSet::new();
    let mut calls = calls.into_iter().enumerate();
    loop {
        while running.len() < 32
            && let Some((k, (path, body))) = calls.next()
        {
            let t = t.clone();
            running.spawn(async move {
                let r = async {
                    client::Conn::open(&t)
                        .await?
                        .call("POST", &path, "", "UpgradeClusterAddons", body.as_bytes())
                        .await
                }
                .await;
                (k, r)
            });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let (k, r) = done.map_err(|e| e.to_string())?;
        let (status, out) = r?;
        if status != 200 {
            return Err(format!(
                "upgrade answered {status}: {}",
                String::from_utf8_lossy(&out)
            ));
        }
        let v: serde_json::Value = serde_json::from_slice(&out).map_err(|e| e.to_string())?;
        ids[k] = v["task_id"].as_str().unwrap_or_default().to_string();
    }
    Ok(ids)
}

/// What the engine figure measured: tasks, then seconds end to end (submitted over HTTP while
/// the engine runs them) and seconds draining the same number already queued (the engine alone).
pub struct EngineRun {
    pub tasks: usize,
    pub end_to_end_s: f64,
    pub drain_s: f64,
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
        drop(server);
    }
    Ok(EngineRun {
        tasks: n,
        end_to_end_s: secs[0],
        drain_s: secs[1],
    })
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
    format!(
        "| {backend} | {raw_per_s:.0} | {} | {:.2} | {e2e:.0} | {} | {:.2} | {alone:.0} | {} |",
        r.tasks,
        r.end_to_end_s,
        ratio(e2e),
        r.drain_s,
        ratio(alone)
    )
}

/// The engine table's header, matching `engine_row`.
pub const ENGINE_HEADER: &str = "| backend | raw commits/s | tasks | end to end s | tasks/s | ÷ raw commits/s | engine alone s | tasks/s | ÷ raw commits/s |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";

/// `--auth off` under wrk, against the server and the baseline, as a cross-check of the
/// generator; None when wrk is not installed.
pub fn wrk_cross_check(
    duration: &Duration,
    clusters: usize,
    body_size: usize,
) -> Result<Option<String>, String> {
    if !has("wrk") {
        return Ok(Some(
            "\nCross-check with wrk: not run (wrk is not installed).\n".into(),
        ));
    }
    let tmp = std::env::temp_dir().join(format!("ack-bench-{}", std::process::id()));
    let db = fresh_db("sqlite", "", &tmp, "bench_wrk")?;
    import(&tmp.join(format!("fleet-{clusters}.jsonl")), &db)?;
    let server = Server::start(&db, &["--auth", "off"])?;
    let path = format!(
        "/clusters/{}/components/upgradestatus?componentIds=%5B%22metrics-server%22%5D",
        fleet::cluster_id(0)
    );
    let wrk = |addr: &str| -> Result<f64, String> {
        let mut cmd = if has("taskset") {
            let mut c = Command::new("taskset");
            c.args(["-c", "1", "wrk"]);
            c
        } else {
            Command::new("wrk")
        };
        let o = cmd
            .args([
                "-t1",
                "-c64",
                &format!("-d{}s", duration.as_secs().max(1)),
                &format!("http://{addr}{path}"),
            ])
            .output()
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&o.stdout);
        text.lines()
            .find_map(|l| {
                l.strip_prefix("Requests/sec:")
                    .and_then(|v| v.trim().parse().ok())
            })
            .ok_or_else(|| format!("wrk said {text}"))
    };
    let ours = wrk(&server.addr)?;
    drop(server);
    let base = Server::baseline(body_size)?;
    let theirs = wrk(&base.addr)?;
    Ok(Some(format!(
        "\nCross-check with wrk (`--auth off`, status of 1 add-on on {clusters} clusters, 64 connections): {ours:.0} req/s; the baseline {theirs:.0} req/s; ratio {:.2}.\n",
        ours / theirs
    )))
}

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
        let r = super::EngineRun {
            tasks: 1000,
            end_to_end_s: 2.0,
            drain_s: 1.0,
        };
        assert_eq!(
            super::engine_row("sqlite", &r, 2000.0),
            "| sqlite | 2000 | 1000 | 2.00 | 500 | 0.25 | 1.00 | 1000 | 0.50 |"
        );
        assert!(super::engine_row("pg", &r, 0.0).ends_with("| 1000 | – |"));
        let cells = |s: &str| s.lines().next().map_or(0, |l| l.matches('|').count());
        assert_eq!(
            cells(super::ENGINE_HEADER),
            cells(&super::engine_row("x", &r, 1.0))
        );
    }

    #[test]
    fn the_engine_flags_say_its_concurrency() {
        assert_eq!(
            super::engine_flags("0s")[3],
            super::ENGINE_CONCURRENCY.to_string()
        );
    }
}
