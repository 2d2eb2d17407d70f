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

/// The SQLite file holds the access keys' secrets: it is made, or narrowed to, readable and
/// writable by this user only, before SQLite opens it (its -wal and -shm files take its mode).
pub fn private_sqlite_file(url: &str) -> Result<(), String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let Some(path) = sqlite_file(url) else {
        return Ok(());
    };
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o077 != 0 => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("making {path} private: {e}"))?;
            tracing::warn!(%path, "the database was readable by others; it is now 0600");
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map(|_| ())
            .map_err(|e| format!("creating {path}: {e}")),
        Err(e) => Err(format!("reading {path}: {e}")),
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
