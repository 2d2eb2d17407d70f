//! SQLite serves one process: `serve` holds an exclusive lock on `<database>.lock` while it runs,
//! so a second replica on the same file stops with a clear message instead of corrupting leases.

use std::fs::{File, OpenOptions, TryLockError};

/// The held lock (released when dropped), or None for a database that is not SQLite.
pub fn sqlite_single_replica(url: &str) -> Result<Option<File>, String> {
    let Some(path) = sqlite_file(url) else {
        return Ok(None);
    };
    let lock_path = format!("{path}.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("opening {lock_path}: {e}"))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Err(format!(
            "another ack-addons is already serving {path}: SQLite supports a single replica; \
             run several replicas on PostgreSQL (--database postgres://…)"
        )),
        Err(TryLockError::Error(e)) => Err(format!("locking {lock_path}: {e}")),
    }
}

/// The file of a SQLite database URL; None for another database or an in-memory one.
pub fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}
