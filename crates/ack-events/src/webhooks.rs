//! Webhook delivery: each webhook, under a lease, takes its oldest pending delivery (written with
//! the event, in the change's transaction) and POSTs it until a 2xx answer, retrying with backoff (a timeout or a refused connection
//! counts as a failure) for up to a day, in event order. It runs beside the API on tasks of its
//! own, so a slow or dead receiver never slows a request.

use crate::sse::payload;
use crate::tls::TlsClient;
use ack_domain::webhook::{GIVE_UP_AFTER_MS, WebhookUrl, backoff_ms, parse_url};
use ack_store::{Attempt, Store, WebhookRecord};
use hmac::{KeyInit, Mac};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub lease: Duration,
    pub tick: Duration,
    /// The first retry's wait; it doubles up to ten minutes.
    pub retry_base: Duration,
    /// How long a receiver may take to answer.
    pub timeout: Duration,
    /// For https receivers.
    pub tls: TlsClient,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">`, what a receiver recomputes.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// One POST, over TLS for an https URL; the answer's status, or why there was none. The
/// timeout covers connecting, the handshake and the answer alike.
async fn post(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    timeout: Duration,
    tls: &TlsClient,
) -> Result<u16, String> {
    let to = parse_url(url).map_err(|e| e.to_string())?;
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect((to.host.as_str(), to.port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let head = request_head(&to, headers, body.len());
        if to.tls {
            exchange(tls.connect(&to.host, tcp).await?, &head, body).await
        } else {
            exchange(tcp, &head, body).await
        }
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| format!("no answer within {}s", timeout.as_secs()))?
}

fn request_head(to: &WebhookUrl, headers: &[(&str, String)], len: usize) -> String {
    let WebhookUrl {
        host, port, path, ..
    } = to;
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: application/json\r\ncontent-length: {len}\r\nconnection: close\r\nuser-agent: ack-addons\r\n"
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// Sends the request and reads as far as the status line.
async fn exchange(
    mut s: impl AsyncRead + AsyncWrite + Unpin,
    head: &str,
    body: &[u8],
) -> Result<u16, String> {
    s.write_all(head.as_bytes())
        .await
        .map_err(|e| format!("send: {e}"))?;
    s.write_all(body).await.map_err(|e| format!("send: {e}"))?;
    let mut buf = vec![0u8; 1024];
    let mut got = 0;
    while !buf[..got].windows(2).any(|w| w == b"\r\n") && got < buf.len() {
        let n = s
            .read(&mut buf[got..])
            .await
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let line = String::from_utf8_lossy(&buf[..got]);
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| "no HTTP status in the answer".to_string())
}

#[derive(Clone)]
pub struct Deliverer {
    store: Store,
    cfg: WebhookConfig,
    owner: Arc<str>,
    busy: Arc<Mutex<HashSet<String>>>,
}

impl Deliverer {
    pub fn new(store: Store, cfg: WebhookConfig) -> Self {
        let owner: Arc<str> = format!("webhooks-{}", now_ms()).into();
        Self {
            store,
            cfg,
            owner,
            busy: Arc::default(),
        }
    }

    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let lease = i64::try_from(self.cfg.lease.as_millis()).unwrap_or(30_000);
            loop {
                let now = now_ms();
                match self
                    .store
                    .claim_webhooks(&self.owner, now, now + lease)
                    .await
                {
                    Ok(hooks) => {
                        for w in hooks {
                            let fresh = self
                                .busy
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .insert(w.id.clone());
                            if fresh {
                                let me = self.clone();
                                tokio::spawn(async move {
                                    let id = w.id.clone();
                                    if let Err(e) = me.deliver(w).await {
                                        tracing::warn!(webhook = %id, error = %e, "webhook delivery step failed; retrying");
                                    }
                                    me.busy
                                        .lock()
                                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                                        .remove(&id);
                                });
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "claiming webhooks failed; retrying"),
                }
                tokio::time::sleep(self.cfg.tick).await;
            }
        })
    }

    /// Delivers what is due for one webhook, in order, until an attempt fails or nothing is due.
    async fn deliver(&self, w: WebhookRecord) -> Result<(), ack_domain::DomainError> {
        for _ in 0..1000 {
            let now = now_ms();
            let Some((d, e)) = self.store.pending_delivery(&w.id).await? else {
                return Ok(());
            };
            if d.next_attempt_ms > now {
                return Ok(());
            }
            let body = payload(&e).to_string().into_bytes();
            let ts = now / 1000;
            let headers = [
                ("x-ack-event-id", e.id.to_string()),
                ("x-ack-event-type", e.kind.clone()),
                ("x-ack-timestamp", ts.to_string()),
                ("x-ack-signature", signature(w.secret.expose(), ts, &body)),
            ];
            let (status, error) =
                match post(&w.url, &headers, &body, self.cfg.timeout, &self.cfg.tls).await {
                    Ok(s) if (200..300).contains(&s) => (s, None),
                    Ok(s) => (s, Some(format!("answered {s}"))),
                    Err(why) => (0, Some(why)),
                };
            let attempt = match error {
                None => Attempt::Delivered { status },
                Some(error) if now - d.first_ms >= GIVE_UP_AFTER_MS => {
                    Attempt::GaveUp { status, error }
                }
                Some(error) => {
                    let jitter = ((e.id.unsigned_abs().wrapping_mul(2_654_435_761)
                        + u64::from(d.attempts))
                        % 1000) as f64
                        / 1000.0;
                    let base = i64::try_from(self.cfg.retry_base.as_millis()).unwrap_or(1000);
                    Attempt::Retry {
                        status,
                        error,
                        next_attempt_ms: now_ms() + backoff_ms(d.attempts + 1, base, jitter),
                    }
                }
            };
            let delivered = matches!(attempt, Attempt::Delivered { .. } | Attempt::GaveUp { .. });
            self.store
                .record_attempt(&w.id, &self.owner, e.id, now_ms(), &attempt)
                .await?;
            if !delivered {
                return Ok(());
            }
        }
        Ok(())
    }
}
