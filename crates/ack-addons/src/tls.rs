//! HTTPS for `serve`: a certificate from files or made at start. The accept loop (`listen`)
//! shakes hands on each connection's own task, so HTTP/1.1, HTTP/2, the timeouts and graceful
//! shutdown work as they do over plain TCP.

use ack_events::tls::{provider, read_certs};
use clap::Args;
use rustls::ServerConfig;
use rustls_pki_types::{PrivateKeyDer, pem::PemObject};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Args)]
pub struct TlsArgs {
    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, env = "ACK_ADDONS_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "ACK_ADDONS_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate for localhost and 127.0.0.1 made at start, written as
    /// PEM beside the SQLite database (or into --tls-dir) for clients to trust.
    #[arg(
        long,
        env = "ACK_ADDONS_TLS_SELF_SIGNED",
        conflicts_with_all = ["tls_cert", "tls_key"]
    )]
    tls_self_signed: bool,
    /// Where --tls-self-signed writes cert.pem and key.pem.
    #[arg(long, env = "ACK_ADDONS_TLS_DIR", requires = "tls_self_signed")]
    tls_dir: Option<PathBuf>,
}

impl TlsArgs {
    /// The server's TLS configuration, or None for plain HTTP.
    pub fn config(&self, database: &str) -> Result<Option<Arc<ServerConfig>>, String> {
        let (cert, key) = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => (cert.clone(), key.clone()),
            _ if self.tls_self_signed => self_signed(&self.pem_paths(database))?,
            _ => return Ok(None),
        };
        server_config(&cert, &key).map(|c| Some(Arc::new(c)))
    }

    /// --tls-dir's cert.pem and key.pem; else beside a SQLite file, named after it; else (a
    /// PostgreSQL or in-memory database) a directory of this process's in the temp dir.
    fn pem_paths(&self, database: &str) -> (PathBuf, PathBuf) {
        let in_dir = |dir: &Path| (dir.join("cert.pem"), dir.join("key.pem"));
        if let Some(dir) = &self.tls_dir {
            return in_dir(dir);
        }
        match crate::lock::sqlite_file(database) {
            Some(db) => (
                format!("{db}.cert.pem").into(),
                format!("{db}.key.pem").into(),
            ),
            None => {
                in_dir(&std::env::temp_dir().join(format!("ack-addons-tls-{}", std::process::id())))
            }
        }
    }
}

/// Makes a fresh certificate and key and writes them, the key readable by its owner only.
fn self_signed((cert, key): &(PathBuf, PathBuf)) -> Result<(PathBuf, PathBuf), String> {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .map_err(|e| format!("making a self-signed certificate: {e}"))?;
    if let Some(dir) = cert.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    write_replacing(key, made.signing_key.serialize_pem().as_bytes(), 0o600)?;
    write_replacing(cert, made.cert.pem().as_bytes(), 0o644)?;
    eprintln!(
        "tls certificate: {} (key: {})",
        cert.display(),
        key.display()
    );
    Ok((cert.clone(), key.clone()))
}

/// Writes beside `path` and renames over it: a client reading the certificate never sees half
/// of one, and the key never exists with a wider mode, even for a moment.
fn write_replacing(path: &Path, data: &[u8], mode: u32) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let fail = |e: std::io::Error| format!("writing {}: {e}", path.display());
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(fail)?;
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)
}

fn server_config(cert: &Path, key: &Path) -> Result<ServerConfig, String> {
    let chain = read_certs(cert)?;
    let key_der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("reading the private key from {}: {e}", key.display()))?;
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| {
            format!(
                "the certificate {} and key {} cannot be served together: {e}",
                cert.display(),
                key.display()
            )
        })?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn self_signed_files_load_and_the_key_is_private() {
        let dir = std::env::temp_dir().join(format!("ack-tls-test-{}", std::process::id()));
        let args = |tls_dir: Option<PathBuf>| TlsArgs {
            tls_cert: None,
            tls_key: None,
            tls_self_signed: true,
            tls_dir,
        };
        let db = format!("sqlite://{}/x.db?mode=rwc", dir.display());
        let (cert, key) = args(None).pem_paths(&db);
        assert_eq!(cert, dir.join("x.db.cert.pem"));
        assert_eq!(key, dir.join("x.db.key.pem"));
        assert_eq!(
            args(Some(dir.clone())).pem_paths(&db).0,
            dir.join("cert.pem")
        );
        // Twice: the second start replaces the first's files.
        for _ in 0..2 {
            assert!(args(None).config(&db).unwrap().is_some());
        }
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let err = server_config(&key, &key).unwrap_err();
        assert!(
            err.contains("x.db.key.pem") && err.contains("no PEM CERTIFICATE"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
