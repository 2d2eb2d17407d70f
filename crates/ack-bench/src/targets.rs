//! The scale-out targets, each a ratio measured in this run, checked against what is required:
//! the report's last table. Pure: the run collects the figures, this decides and renders.

use std::fmt::Write as _;

/// The figures the targets are computed from, as the run measured them.
#[derive(Default)]
pub struct Figures {
    /// (backend, clusters, status 1 add-on × baseline, its p99 ms, the baseline's p99 ms in the
    /// same rounds), idle, per block.
    pub status: Vec<(String, usize, f64, f64, f64)>,
    /// (backend, clusters, DescribeTaskInfo × baseline).
    pub task_info: Vec<(String, usize, f64)>,
    /// Cross-replica staleness p99 ms (PostgreSQL).
    pub staleness_p99: Option<f64>,
    /// (backend, engine alone tasks/s, end to end tasks/s, raw commits/s).
    pub engine: Vec<(String, f64, f64, f64)>,
    /// (backend, clusters, status cache KB per cluster).
    pub cache_kb: Vec<(String, usize, f64)>,
    /// (backend, clusters, rollout clusters/s ÷ engine alone tasks/s).
    pub rollout: Vec<(String, usize, f64)>,
}

struct Check {
    what: String,
    required: &'static str,
    measured: String,
    met: bool,
}

fn at_least(what: String, required: &'static str, v: f64, min: f64) -> Check {
    Check {
        what,
        required,
        measured: format!("{v:.2}"),
        met: v >= min,
    }
}

fn at_most(what: String, required: &'static str, v: f64, max: f64) -> Check {
    Check {
        what,
        required,
        measured: format!("{v:.2}"),
        met: v <= max,
    }
}

fn checks(f: &Figures) -> Vec<Check> {
    let mut out = Vec::new();
    let smallest = |b: &str| f.status.iter().filter(|s| s.0 == b).min_by_key(|s| s.1);
    let largest = |b: &str| f.status.iter().filter(|s| s.0 == b).max_by_key(|s| s.1);
    if let Some(s) = smallest("postgres") {
        out.push(at_least(
            format!("PostgreSQL status, 1 add-on, {} clusters (× baseline)", s.1),
            "≥ 0.4",
            s.2,
            0.4,
        ));
    }
    if let Some(p99) = f.staleness_p99 {
        out.push(at_most(
            "cross-replica staleness p99 (ms)".into(),
            "≤ 50",
            p99,
            50.0,
        ));
    }
    for (b, alone, e2e, raw) in &f.engine {
        if *raw > 0.0 {
            out.push(at_least(
                format!("engine alone, {b} (tasks/s ÷ raw commits/s)"),
                "≥ 1.0",
                alone / raw,
                1.0,
            ));
            out.push(at_least(
                format!("engine end to end, {b} (tasks/s ÷ raw commits/s)"),
                "≥ 1.0",
                e2e / raw,
                1.0,
            ));
        }
    }
    for (b, n, r) in &f.task_info {
        let (required, min) = if b == "sqlite" {
            ("≥ 0.3", 0.3)
        } else {
            ("≥ 0.2", 0.2)
        };
        out.push(at_least(
            format!("DescribeTaskInfo, {b}, {n} clusters (× baseline)"),
            required,
            *r,
            min,
        ));
    }
    for (b, n, _, p99, base_p99) in &f.status {
        if *base_p99 > 0.0 {
            out.push(at_most(
                format!("status p99, {b}, {n} clusters (÷ the baseline's p99)"),
                "≤ 3",
                p99 / base_p99,
                3.0,
            ));
        }
    }
    for b in ["sqlite", "postgres"] {
        if let (Some(small), Some(large)) = (smallest(b), largest(b))
            && large.1 > small.1
        {
            let what = format!(
                "status at {} ÷ at {} clusters, {b} (× baseline each)",
                large.1, small.1
            );
            out.push(at_least(
                what,
                "≥ 0.8 (≤ 20% slower)",
                large.2 / small.2,
                0.8,
            ));
        }
    }
    for (b, n, kb) in &f.cache_kb {
        if f.cache_kb.iter().filter(|c| c.0 == *b).all(|c| c.1 <= *n) {
            out.push(at_most(
                format!("status cache per cluster, {b}, {n} clusters (KB)"),
                "≤ 1.5",
                *kb,
                1.5,
            ));
        }
    }
    for (b, n, r) in &f.rollout {
        out.push(at_least(
            format!("rollout of {n} clusters, {b} (clusters/s ÷ engine alone tasks/s)"),
            "≥ 0.8",
            *r,
            0.8,
        ));
    }
    out
}

/// The targets table, with how many were met.
pub fn render(f: &Figures) -> String {
    let checks = checks(f);
    let met = checks.iter().filter(|c| c.met).count();
    let mut md = format!(
        "\nTargets (issue 13), every one a ratio of figures from this run: {met} of {} met.\n\n| target | required | measured | |\n|---|---|---:|---|\n",
        checks.len()
    );
    for c in &checks {
        let mark = if c.met { "met" } else { "**missed**" };
        writeln!(
            md,
            "| {} | {} | {} | {mark} |",
            c.what, c.required, c.measured
        )
        .ok();
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_target_is_met_or_missed_by_its_own_ratio() {
        let f = Figures {
            status: vec![
                ("sqlite".into(), 1000, 0.5, 5.0, 2.0),
                ("sqlite".into(), 1_000_000, 0.35, 9.0, 2.0),
                ("postgres".into(), 1000, 0.41, 7.0, 2.0),
            ],
            task_info: vec![
                ("sqlite".into(), 1000, 0.31),
                ("postgres".into(), 1000, 0.1),
            ],
            staleness_p99: Some(12.0),
            engine: vec![("sqlite".into(), 500.0, 300.0, 1000.0)],
            cache_kb: vec![
                ("sqlite".into(), 1000, 3.0),
                ("sqlite".into(), 1_000_000, 1.2),
            ],
            rollout: vec![("sqlite".into(), 1000, 0.9)],
        };
        let by_what: Vec<(String, bool)> =
            checks(&f).into_iter().map(|c| (c.what, c.met)).collect();
        let met = |prefix: &str| {
            by_what
                .iter()
                .find(|(w, _)| w.starts_with(prefix))
                .map(|(_, m)| *m)
        };
        assert_eq!(met("PostgreSQL status"), Some(true));
        assert_eq!(met("cross-replica"), Some(true));
        assert_eq!(met("engine alone, sqlite"), Some(false));
        assert_eq!(met("DescribeTaskInfo, sqlite"), Some(true));
        assert_eq!(met("DescribeTaskInfo, postgres"), Some(false));
        assert_eq!(met("status p99, sqlite, 1000 "), Some(true));
        assert_eq!(met("status p99, sqlite, 1000000"), Some(false), "9 ÷ 2 > 3");
        assert_eq!(
            met("status at 1000000 ÷ at 1000 clusters, sqlite"),
            Some(false),
            "0.7"
        );
        // Only the largest fleet's cache is judged (small fleets carry the fixed costs).
        assert_eq!(
            by_what
                .iter()
                .filter(|(w, _)| w.starts_with("status cache"))
                .count(),
            1
        );
        assert_eq!(met("status cache per cluster, sqlite, 1000000"), Some(true));
        assert_eq!(met("rollout"), Some(true));
        assert!(render(&f).contains("6 of 12 met"), "{}", render(&f));
    }
}
