//! The processes and databases a run needs: servers pinned to core 0, fleets imported, sizes read.

use crate::fleet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn bin(name: &str) -> PathBuf {
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
pub(crate) fn pinned(program: &Path) -> Command {
    if has("taskset") {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(program);
        c
    } else {
        Command::new(program)
    }
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
        // The servers' own speed is measured, not their log's: one line per request (written
        // to nowhere) would be most of a status call's work. For profiling by hand,
        // ACK_BENCH_SERVER_LOG=FILE appends their log there at ACK_BENCH_SERVER_LOG_LEVEL
        // (e.g. `warn,sqlx::query=debug`, every statement with its time).
        let (stderr, level) = match std::env::var_os("ACK_BENCH_SERVER_LOG") {
            Some(path) => (
                Stdio::from(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .map_err(|e| e.to_string())?,
                ),
                std::env::var("ACK_BENCH_SERVER_LOG_LEVEL").unwrap_or_else(|_| "warn".into()),
            ),
            None => (Stdio::null(), "warn".into()),
        };
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(stderr)
            .env("ACK_ADDONS_LOG", level)
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

pub(crate) fn psql(pg: &str, sql: &str) -> Result<String, String> {
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
    remove_sqlite(tmp, name);
    Ok(format!(
        "sqlite://{}",
        tmp.join(format!("{name}.db")).display()
    ))
}

/// Removes a SQLite database `fresh_db` made (a big fleet's file is gigabytes).
pub fn remove_sqlite(tmp: &Path, name: &str) {
    for ext in ["db", "db-wal", "db-shm", "db.lock"] {
        let _ = std::fs::remove_file(tmp.join(format!("{name}.{ext}")));
    }
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
