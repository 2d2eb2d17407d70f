//! The webhook deliverer's TLS client, and the PEM reading the server's TLS shares with it. It
//! trusts the public web's roots (built in, so deliveries do not depend on the host's CA store)
//! plus, optionally, one PEM file: a private or self-signed receiver's CA.

use rustls_pki_types::{CertificateDer, ServerName, pem::PemObject};
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// ring, named rather than taken from rustls' process default, which would panic if another
/// crate ever enabled a second provider.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Every certificate in a PEM file; none at all is an error too (a key file given by mistake).
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bad =
        |e: &dyn std::fmt::Display| format!("reading certificates from {}: {e}", path.display());
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e))?;
    if certs.is_empty() {
        return Err(bad(&"no PEM CERTIFICATE block in it"));
    }
    Ok(certs)
}

#[derive(Clone)]
pub struct TlsClient(tokio_rustls::TlsConnector);

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsClient")
    }
}

impl TlsClient {
    /// The web's roots, and those of `extra_ca` (a PEM file) if given.
    pub fn new(extra_ca: Option<&Path>) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = extra_ca {
            for cert in read_certs(path)? {
                roots
                    .add(cert)
                    .map_err(|e| format!("a CA certificate in {}: {e}", path.display()))?;
            }
        }
        let mut cfg = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        // The deliverer speaks HTTP/1.1 by hand: a receiver must not pick h2.
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self(tokio_rustls::TlsConnector::from(Arc::new(cfg))))
    }

    /// The handshake, verifying `host` (a name or an IP address) against the certificate.
    pub async fn connect(
        &self,
        host: &str,
        tcp: TcpStream,
    ) -> Result<TlsStream<TcpStream>, String> {
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| format!("{host:?} is not a name TLS can verify"))?;
        self.0
            .connect(name, tcp)
            .await
            .map_err(|e| format!("tls: {e}"))
    }
}
