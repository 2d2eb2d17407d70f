//! The accept loop (instead of `axum::serve`, which has no timeouts and no connection limit):
//! hyper-util's HTTP/1.1 and HTTP/2 server per connection, plain or over TLS, with a header
//! timeout, an idle timeout, a cap on open connections and a bounded graceful shutdown.

use crate::conn_io::Shared;
use axum::Router;
use clap::Args;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

#[derive(Args, Clone, Copy)]
pub struct Limits {
    /// A connection that has not sent a whole request head (request line and headers) this
    /// long after it opened, or after its previous answer, is closed (with a 408 if it had
    /// sent part of one). Covers the TLS handshake too.
    #[arg(long, env = "ACK_ADDONS_HEADER_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_timeout: Duration,
    /// A connection on which nothing was read or written this long is closed once its request
    /// in flight, if any, is answered.
    #[arg(long, env = "ACK_ADDONS_IDLE_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration)]
    pub idle_timeout: Duration,
    /// A request body not received this long after its head is refused with 408.
    #[arg(long, env = "ACK_ADDONS_BODY_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub body_timeout: Duration,
    /// Connections open at once; further ones wait in the listen backlog until one closes.
    #[arg(long, env = "ACK_ADDONS_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
}

/// How long requests in flight at shutdown may take to finish (event streams never do).
const GRACE: Duration = Duration::from_secs(5);

/// Serves `app` until `shutdown` resolves, then stops accepting, closes idle connections, lets
/// the requests in flight finish for up to [`GRACE`], and returns.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections as usize));
    let (stop, stopping) = watch::channel(false);
    let mut http = auto::Builder::new(TokioExecutor::new());
    http.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    http.http2().timer(TokioTimer::new());
    let http = Arc::new(http);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Taken before accepting: past the cap, connections wait in the kernel's backlog and
        // those already open are untouched.
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => p.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was accepted: wait a
                    // little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let (tls, app, http, stopping) = (
            tls.clone(),
            app.clone(),
            Arc::clone(&http),
            stopping.clone(),
        );
        tokio::spawn(async move {
            let opened = Instant::now();
            let deadline = opened + limits.header_timeout;
            match tls {
                None => drive(tcp, app, &http, limits, opened, stopping).await,
                Some(acceptor) => {
                    match tokio::time::timeout_at(deadline, acceptor.accept(tcp)).await {
                        Ok(Ok(io)) => drive(io, app, &http, limits, opened, stopping).await,
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let all = permits.acquire_many(limits.max_connections);
    if tokio::time::timeout(GRACE, all).await.is_err() {
        tracing::warn!("requests still in flight after {GRACE:?}; stopping anyway");
    }
    Ok(())
}

/// One connection, until it ends: closed by the client, idle too long, too slow with its first
/// request head, or asked to finish by shutdown.
async fn drive<T>(
    io: T,
    app: Router,
    http: &auto::Builder<TokioExecutor>,
    limits: Limits,
    opened: Instant,
    mut stopping: watch::Receiver<bool>,
) where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (theirs, mut ours) = Shared::new(io);
    let counter = Shared::clone_handle(&ours);
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        counter.note_request();
        let mut app = app.clone();
        async move { tower::Service::call(&mut app, req).await }
    });
    let conn = http.serve_connection(TokioIo::new(theirs), service);
    let mut conn = std::pin::pin!(conn);
    let mut finishing = false;
    let timed_out = loop {
        let idle_at = Instant::from_std(ours.last_active()) + limits.idle_timeout;
        // hyper's own header timer starts only once it knows the protocol; this one also
        // covers a client that sends nothing, or trickles an HTTP/2 preface.
        let first_head_due = ours.requests() == 0;
        tokio::select! {
            r = conn.as_mut() => break r.is_err_and(|e| is_header_timeout(&*e)),
            _ = stopping.changed(), if !finishing => {
                finishing = true;
                conn.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(idle_at), if !finishing => {
                if Instant::from_std(ours.last_active()) + limits.idle_timeout <= Instant::now() {
                    finishing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            () = tokio::time::sleep_until(opened + limits.header_timeout), if first_head_due => {
                if ours.requests() == 0 {
                    break true;
                }
            }
        }
    };
    let answer = match ours.take_refusal() {
        Some(status) => Some(ack_server::parse_refusal(status)),
        None if timed_out && ours.request_pending() => {
            Some(ack_server::head_timeout_refusal(limits.header_timeout))
        }
        None => None,
    };
    if let Some(bytes) = answer {
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            ours.write_all(&bytes).await?;
            ours.shutdown().await
        })
        .await;
    }
}

fn is_header_timeout(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<hyper::Error>()
        .is_some_and(hyper::Error::is_timeout)
}

/// A process starts with a low soft limit on open files (often 1,024) and a high hard one; each
/// connection holds one, so take the hard limit.
pub fn raise_open_files(limits: &Limits) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut lim = getrlimit(Resource::Nofile);
    if lim.current < lim.maximum {
        lim.current = lim.maximum;
        if let Err(e) = setrlimit(Resource::Nofile, lim) {
            tracing::warn!(error = %e, "could not raise the open-file limit");
        }
    }
    let now = getrlimit(Resource::Nofile).current;
    // The database, the log and the listener need descriptors too.
    if let Some(n) = now.filter(|n| *n < u64::from(limits.max_connections) + 64) {
        tracing::warn!(
            open_files = n,
            max_connections = limits.max_connections,
            "the open-file limit is below --max-connections; accepts will fail before the cap"
        );
    }
}
