//! Where a local PostgreSQL server runs while its blocks are measured: on the load generator's
//! core, beside it, and not on the servers' core.
//!
//! A replica's database is another machine's work. On a 2-core box the kernel puts a backend
//! on the core of the process that wakes it (the replica, pinned to core 0), so the nonce
//! writer's backend took about a third of that core and the replica measured slower, with a
//! p99 three times as long, for the database's sake. Pinned beside the load generator, the
//! database's cost lands on the other side of the wire, as it would in a deployment; the load
//! generator then shares its core with it, which counts against PostgreSQL, not for it.
//!
//! The postmaster is pinned, so every backend it forks later inherits the core, and so are its
//! children of the moment. Everything is put back as it was when the guard drops; a run killed
//! before that (Ctrl-C) leaves the server on that core until it restarts, or until
//! `taskset -a -p MASK PID` (the bench prints each pinned pid) puts it back.

use std::process::Command;

pub struct Pinned {
    /// Each pinned process and the affinity mask it had (as `taskset -p` prints it).
    saved: Vec<(u32, String)>,
    pub core: &'static str,
}

/// The load generator's core: where `bench/run` runs this process.
pub const LOAD_CORE: &str = "1";

/// For a PostgreSQL block, the database pinned beside the load generator, and how the report
/// states its placement; a SQLite block has none to place.
pub fn for_backend(backend: &str, args: &crate::Args) -> (Option<Pinned>, String) {
    if backend != "postgres" {
        return (None, String::new());
    }
    if args.db_unpinned {
        return (
            None,
            "PostgreSQL's server where the kernel put it (`--db-unpinned`).".into(),
        );
    }
    match pin(&args.pg, LOAD_CORE) {
        Ok(p) => {
            let said = format!(
                "PostgreSQL's server (postmaster and backends, {} processes) on core {} with the load generator.",
                p.saved.len(),
                p.core
            );
            (Some(p), said)
        }
        Err(e) => {
            eprintln!("PostgreSQL left where the kernel puts it: {e}");
            (
                None,
                format!("PostgreSQL's server where the kernel put it (not pinned: {e})."),
            )
        }
    }
}

/// Pins the PostgreSQL server behind `pg` (trust auth, its postmaster on this machine) to
/// `core`; `Err` says why not (another machine, no taskset, not allowed), and the run goes on
/// with the kernel's placement.
pub fn pin(pg: &str, core: &'static str) -> Result<Pinned, String> {
    let dir = crate::procs::psql(pg, "SHOW data_directory")?;
    let pid_file = std::path::Path::new(&dir).join("postmaster.pid");
    let text = std::fs::read_to_string(&pid_file)
        .map_err(|e| format!("cannot read {}: {e}", pid_file.display()))?;
    let postmaster = first_line_pid(&text).ok_or("postmaster.pid names no process")?;
    let mut guard = Pinned {
        saved: Vec::new(),
        core,
    };
    for pid in std::iter::once(postmaster).chain(children(postmaster)) {
        // A backend that ended meanwhile is no error.
        let Ok(mask) = mask_of(pid) else { continue };
        // Saved first, so that a refusal below puts back what was already moved.
        eprintln!("pinning PostgreSQL process {pid} (affinity mask {mask}) to core {core}");
        guard.saved.push((pid, mask));
        taskset(&["-a", "-pc", core, &pid.to_string()])?;
    }
    if guard.saved.is_empty() {
        return Err(format!("process {postmaster} is not on this machine"));
    }
    Ok(guard)
}

impl Drop for Pinned {
    fn drop(&mut self) {
        for (pid, mask) in &self.saved {
            let _ = taskset(&["-a", "-p", mask, &pid.to_string()]);
        }
        // Backends forked meanwhile (another client's, say) took the pinned core from the
        // postmaster: they go back to the postmaster's own mask.
        let Some((postmaster, mask)) = self.saved.first() else {
            return;
        };
        for pid in children(*postmaster) {
            if !self.saved.iter().any(|(p, _)| *p == pid) {
                let _ = taskset(&["-a", "-p", mask, &pid.to_string()]);
            }
        }
    }
}

fn first_line_pid(text: &str) -> Option<u32> {
    text.lines().next()?.trim().parse().ok()
}

/// The processes whose parent is `parent` (from /proc).
fn children(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| parent_of(&s))
                == Some(parent)
        })
        .collect()
}

/// The parent pid in a /proc/PID/stat line: the field after the state, past the parenthesised
/// name (which may itself hold spaces and parentheses).
fn parent_of(stat: &str) -> Option<u32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

fn mask_of(pid: u32) -> Result<String, String> {
    let out = taskset(&["-p", &pid.to_string()])?;
    // "pid 2225's current affinity mask: 3"
    out.rsplit(':')
        .next()
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .ok_or_else(|| format!("taskset said {out:?}"))
}

fn taskset(args: &[&str]) -> Result<String, String> {
    let o = Command::new("taskset")
        .args(args)
        .output()
        .map_err(|e| format!("taskset: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "taskset {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::{first_line_pid, parent_of};

    #[test]
    fn the_parent_is_read_past_a_name_with_spaces_and_parentheses() {
        assert_eq!(
            parent_of("4242 (postgres: a (b) c) S 2225 4242 4242 0 -1"),
            Some(2225)
        );
        assert_eq!(parent_of("1 (init) S 0 1 1"), Some(0));
        assert_eq!(parent_of("garbage"), None);
    }

    #[test]
    fn the_postmaster_is_the_first_line_of_its_pid_file() {
        assert_eq!(
            first_line_pid("2225\n/var/lib/postgresql/15/main\n"),
            Some(2225)
        );
        assert_eq!(first_line_pid(""), None);
        assert_eq!(first_line_pid("x\n"), None);
    }
}
