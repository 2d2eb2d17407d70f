//! The fleet API's workloads: one rollout over the whole fleet (CreateAddonRollout, then
//! DescribeAddonRollout polled until it ends) and DescribeFleetAddons latency, both signed, on one
//! keep-alive connection each, timed on this process's monotonic clock.

use crate::client::{Conn, Target, percentile};
use crate::{engine, fleet, procs};
use std::path::Path;
use std::time::{Duration, Instant};

/// The add-on every rollout moves: it sits at its oldest version on every cluster of the bench's
/// fleet (Kubernetes 1.31), and its newest suits them all.
pub const ADDON: &str = "metrics-server";

/// How often DescribeAddonRollout is asked while the rollout runs: the end is seen at most this
/// much (plus one call) late.
pub const POLL: Duration = Duration::from_millis(50);

/// A rollout that has not ended after this long is an error.
const ROLLOUT_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Clone, Copy)]
pub struct Strategy {
    pub wave_size: usize,
    pub max_parallel: usize,
}

impl Default for Strategy {
    /// Waves of 500, 256 clusters at a time: what the engine workload runs at once
    /// (`--max-concurrent-tasks 256`), so the two figures have the same concurrency.
    fn default() -> Self {
        Self {
            wave_size: 500,
            max_parallel: engine::ENGINE_CONCURRENCY,
        }
    }
}

/// What DescribeAddonRollout said at the end, and how long it took to get there.
pub struct RolloutRun {
    pub from: String,
    pub to: String,
    pub strategy: Strategy,
    pub total: u64,
    pub state: String,
    pub success: u64,
    pub skipped: u64,
    pub fail: u64,
    pub rolled_back: u64,
    /// Clusters at the target version after the end less those at it before (DescribeFleetAddons).
    pub changed: u64,
    /// From sending CreateAddonRollout to the answer of the poll that saw the end.
    pub seconds: f64,
    pub polls: usize,
}

impl RolloutRun {
    /// The clusters changed per second, or why there is no figure: the rollout did not succeed,
    /// or its counts do not match the clusters that changed.
    pub fn clusters_per_s(&self) -> Result<f64, String> {
        if self.state != "success" {
            return Err(format!(
                "the rollout ended {} (success {}, fail {}, rolled back {}, skipped {} of {})",
                self.state, self.success, self.fail, self.rolled_back, self.skipped, self.total
            ));
        }
        if self.success != self.changed || self.success + self.skipped != self.total {
            return Err(format!(
                "counts.success {} (skipped {} of {}) but {} clusters changed version",
                self.success, self.skipped, self.total, self.changed
            ));
        }
        if self.changed == 0 {
            return Err("the rollout changed no cluster".into());
        }
        Ok(self.changed as f64 / self.seconds)
    }
}

fn json(status: u16, body: &[u8], what: &str) -> Result<serde_json::Value, String> {
    if status != 200 {
        return Err(format!(
            "{what} answered {status}: {}",
            String::from_utf8_lossy(body)
        ));
    }
    serde_json::from_slice(body).map_err(|e| format!("{what}: {e}"))
}

/// DescribeFleetAddons on `conn`; its `addons` array.
async fn fleet_addons(conn: &mut Conn, query: &str) -> Result<Vec<serde_json::Value>, String> {
    let (status, body) = conn
        .call("GET", "/fleet/addons", query, "DescribeFleetAddons", b"")
        .await?;
    let v = json(status, &body, "DescribeFleetAddons")?;
    v["addons"]
        .as_array()
        .cloned()
        .ok_or_else(|| "DescribeFleetAddons: no addons array".into())
}

/// Clusters at `version` of `addon` (0 when none).
fn clusters_at(addons: &[serde_json::Value], addon: &str, version: &str) -> u64 {
    addons
        .iter()
        .filter(|a| a["name"] == addon)
        .flat_map(|a| a["versions"].as_array().cloned().unwrap_or_default())
        .filter(|v| v["version"] == version)
        .filter_map(|v| v["clusters"].as_u64())
        .sum()
}

/// A fresh database with `fleet_file` imported, a fresh server with instant stages and the engine
/// workload's concurrency, then one rollout of [`ADDON`] to its newest version over every cluster.
pub async fn rollout(
    db: &str,
    fleet_file: &Path,
    strategy: Strategy,
) -> Result<RolloutRun, String> {
    let (_, from, to) = fleet::addons()
        .into_iter()
        .find(|(n, _, _)| n == ADDON)
        .ok_or("catalog")?;
    procs::import(fleet_file, db)?;
    let server = procs::Server::start(db, &engine::engine_flags("0s"))?;
    if db.starts_with("sqlite") {
        // Measure the rollout, not the status cache filling at start-up.
        server.wait_warm(Duration::from_secs(120));
    }
    let mut conn = Conn::open(&Target::signed(&server.addr)).await?;
    let at_target_before = clusters_at(&fleet_addons(&mut conn, "").await?, ADDON, &to);
    let body = serde_json::json!({
        "addon": ADDON,
        "version": to,
        "strategy": {
            "canary": 0,
            "wave_size": strategy.wave_size,
            "max_parallel": strategy.max_parallel,
            "max_failures": 0,
            "soak": "0s",
            "rollback_on_failure": true,
        },
    })
    .to_string();
    let started = Instant::now();
    let (status, out) = conn
        .call(
            "POST",
            "/fleet/rollouts",
            "",
            "CreateAddonRollout",
            body.as_bytes(),
        )
        .await?;
    let created = json(status, &out, "CreateAddonRollout")?;
    let id = created["rollout_id"]
        .as_str()
        .ok_or("CreateAddonRollout: no rollout_id")?
        .to_string();
    let path = format!("/fleet/rollouts/{id}");
    let mut polls = 0;
    let (v, seconds) = loop {
        tokio::time::sleep(POLL).await;
        let (status, out) = conn
            .call("GET", &path, "", "DescribeAddonRollout", b"")
            .await?;
        polls += 1;
        let v = json(status, &out, "DescribeAddonRollout")?;
        let seconds = started.elapsed().as_secs_f64();
        // `paused` does not end by itself (nothing in this strategy pauses): it ends the wait.
        if v["state"] != "running" {
            break (v, seconds);
        }
        if started.elapsed() > ROLLOUT_TIMEOUT {
            return Err(format!(
                "the rollout was still running after {} s: {}",
                ROLLOUT_TIMEOUT.as_secs(),
                v["counts"]
            ));
        }
    };
    let at_target_after = clusters_at(&fleet_addons(&mut conn, "").await?, ADDON, &to);
    let count = |k: &str| v["counts"][k].as_u64().unwrap_or(0);
    Ok(RolloutRun {
        from,
        to,
        strategy,
        total: count("total"),
        state: v["state"].as_str().unwrap_or("?").to_string(),
        success: count("success"),
        skipped: count("skipped"),
        fail: count("fail"),
        rolled_back: count("rolled_back"),
        changed: at_target_after.saturating_sub(at_target_before),
        seconds,
        polls,
    })
}

/// The rollout table's header; [`rollout_row`] gives its rows.
pub const ROLLOUT_HEADER: &str = "| backend | clusters | rollout | state | changed (= counts.success) | skipped | rollout s | clusters/s | engine end to end tasks/s | engine alone: tasks, s | engine alone tasks/s | rollout ÷ engine alone |\n|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";

/// A row of the rollout table: the rollout beside the engine alone on the same back end and fleet
/// (the same number of upgrades of the same add-on, queued, then drained by a fresh server with the
/// same flags). A rollout that did not succeed is an error, not a figure.
pub fn rollout_row(
    backend: &str,
    clusters: usize,
    run: &Result<RolloutRun, String>,
    engine: Option<&engine::EngineRun>,
) -> (String, Option<String>) {
    let engine_tps = engine.map(|e| e.tasks as f64 / e.drain_s);
    let engine_cells = engine.map_or_else(
        || "– | – | –".to_string(),
        |e| {
            let n = e.tasks as f64;
            format!(
                "{:.0} | {}, {:.2} | {:.0}",
                n / e.end_to_end_s,
                e.tasks,
                e.drain_s,
                n / e.drain_s
            )
        },
    );
    let ratio = |cps: f64| engine_tps.map_or_else(|| "–".into(), |e| format!("{:.2}", cps / e));
    let (row, error) = match run {
        Ok(r) => {
            let what = format!(
                "{ADDON} {} → {}, waves of {}, {} at a time",
                r.from, r.to, r.strategy.wave_size, r.strategy.max_parallel
            );
            match r.clusters_per_s() {
                Ok(cps) => (
                    format!(
                        "| {backend} | {clusters} | {what} | {} | {} | {} | {:.2} | {cps:.0} | {engine_cells} | {} |",
                        r.state,
                        r.changed,
                        r.skipped,
                        r.seconds,
                        ratio(cps)
                    ),
                    None,
                ),
                Err(e) => (
                    format!(
                        "| {backend} | {clusters} | {what} | **error**: {e} | {} | {} | {:.2} | – | {engine_cells} | – |",
                        r.changed, r.skipped, r.seconds
                    ),
                    Some(e),
                ),
            }
        }
        Err(e) => (
            format!(
                "| {backend} | {clusters} | {ADDON} | **error**: {e} | – | – | – | – | {engine_cells} | – |"
            ),
            Some(e.clone()),
        ),
    };
    (row + "\n", error)
}

/// A latency series: calls made, answers that were wrong, p50 and p99 in ms.
pub struct Latency {
    pub calls: usize,
    pub errors: usize,
    pub p50: f64,
    pub p99: f64,
}

/// Calls made at least and at most by [`fleet_addons_latency`].
pub const LATENCY_CALLS: (usize, usize) = (3, 20);

/// DescribeFleetAddons with `query`, sequential on one keep-alive connection: at least 3 calls,
/// then more until `budget` has passed or 20 were made. An answer other than 200, or one where
/// [`ADDON`] is not installed on `clusters` clusters (when given), is an error.
pub async fn fleet_addons_latency(
    t: &Target,
    query: &str,
    budget: Duration,
    clusters: Option<usize>,
) -> Result<Latency, String> {
    let mut conn = Conn::open(t).await?;
    let started = Instant::now();
    let (mut lat, mut errors) = (Vec::new(), 0);
    while lat.len() + errors < LATENCY_CALLS.0
        || (lat.len() + errors < LATENCY_CALLS.1 && started.elapsed() < budget)
    {
        let call = Instant::now();
        let answer = fleet_addons(&mut conn, query).await;
        let us = u32::try_from(call.elapsed().as_micros()).unwrap_or(u32::MAX);
        let installed = answer.as_ref().ok().and_then(|a| {
            a.iter()
                .find(|x| x["name"] == ADDON)
                .and_then(|x| x["installed"].as_u64())
        });
        match (answer, clusters) {
            (Ok(_), Some(n)) if installed != Some(n as u64) => errors += 1,
            (Ok(_), _) => lat.push(us),
            (Err(e), _) if e.contains("answered") => errors += 1,
            // The connection broke: open another one.
            (Err(_), _) => {
                errors += 1;
                conn = Conn::open(t).await?;
            }
        }
    }
    lat.sort_unstable();
    Ok(Latency {
        calls: lat.len() + errors,
        errors,
        p50: percentile(&lat, 0.50),
        p99: percentile(&lat, 0.99),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(state: &str, success: u64, skipped: u64, changed: u64) -> RolloutRun {
        RolloutRun {
            from: "a".into(),
            to: "b".into(),
            strategy: Strategy::default(),
            total: 10,
            state: state.into(),
            success,
            skipped,
            fail: 10 - success - skipped,
            rolled_back: 0,
            changed,
            seconds: 2.0,
            polls: 3,
        }
    }

    #[test]
    fn only_a_rollout_that_succeeded_on_the_clusters_it_changed_is_a_figure() {
        assert_eq!(run("success", 10, 0, 10).clusters_per_s(), Ok(5.0));
        assert_eq!(run("success", 8, 2, 8).clusters_per_s(), Ok(4.0));
        assert!(
            run("fail", 9, 0, 9)
                .clusters_per_s()
                .unwrap_err()
                .contains("ended fail")
        );
        assert!(
            run("success", 10, 0, 7)
                .clusters_per_s()
                .unwrap_err()
                .contains("7 clusters changed")
        );
        assert!(run("success", 0, 10, 0).clusters_per_s().is_err());
    }

    #[test]
    fn every_rollout_row_has_the_header_s_columns() {
        let cols = |s: &str| s.lines().next().unwrap_or("").matches('|').count();
        let engine = engine::EngineRun {
            tasks: 10,
            end_to_end_s: 2.0,
            drain_s: 1.0,
            batch: None,
        };
        let rows = [
            rollout_row("sqlite", 10, &Ok(run("success", 10, 0, 10)), Some(&engine)),
            rollout_row("sqlite", 10, &Ok(run("success", 10, 0, 10)), None),
            rollout_row("sqlite", 10, &Ok(run("fail", 9, 0, 9)), Some(&engine)),
            rollout_row("sqlite", 10, &Err("refused".into()), Some(&engine)),
        ];
        assert!(rows[0].0.contains("| 5 | 5 | 10, 1.00 | 10 | 0.50 |"));
        assert!(rows[0].1.is_none() && rows[1].1.is_none());
        assert!(rows[2].0.contains("**error**") && rows[2].1.is_some());
        assert!(rows[3].0.contains("**error**: refused") && rows[3].1.is_some());
        for (row, _) in &rows {
            assert_eq!(cols(row), cols(ROLLOUT_HEADER), "{row}");
        }
    }

    #[test]
    fn clusters_at_a_version_come_from_the_fleet_answer() {
        let a: Vec<serde_json::Value> = serde_json::from_str(
            r#"[{"name":"x","versions":[{"version":"2","clusters":4}]},
                {"name":"metrics-server","versions":[{"version":"2","clusters":7},{"version":"1","clusters":3}]}]"#,
        )
        .unwrap_or_default();
        assert_eq!(clusters_at(&a, ADDON, "2"), 7);
        assert_eq!(clusters_at(&a, ADDON, "3"), 0);
    }
}
