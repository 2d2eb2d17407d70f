//! A keep-alive HTTP/1.1 load generator that signs every request freshly (ACS3-HMAC-SHA256 with
//! a unique nonce), since a replayed signature is refused. Hand-written on purpose: it must cost
//! the loaded core as little as possible.

use ack_wire::sign::{AccessKeySecret, sign_acs3};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Clone)]
pub struct Target {
    pub addr: String,
    pub key: Option<(String, AccessKeySecret)>,
}

impl Target {
    /// `addr` with the bench's access key (account `default`, as the fleet is imported).
    pub fn signed(addr: &str) -> Self {
        Self {
            addr: addr.to_string(),
            key: Some((crate::KEY.0.into(), AccessKeySecret::new(crate::KEY.1))),
        }
    }
}

/// What one request is: method, raw path, raw query, action name.
pub type Make =
    dyn Fn(&mut Rng) -> (&'static str, String, String, &'static str) + Send + Sync + 'static;

#[derive(Default)]
pub struct Outcome {
    pub ok: u64,
    pub errors: u64,
    pub latencies_us: Vec<u32>,
    pub body_bytes: usize,
}

/// xorshift64*: enough randomness to pick clusters, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        usize::try_from(self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % (n.max(1) as u64)).unwrap_or(0)
    }
}

static SINGLE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// One keep-alive connection for sequential calls (polling, latency series), each signed with a
/// nonce never used before; `Conn::open(t).await?.call(…)` is one request on its own connection.
pub struct Conn {
    target: Target,
    stream: BufReader<TcpStream>,
}

impl Conn {
    pub async fn open(t: &Target) -> Result<Self, String> {
        let s = TcpStream::connect(&t.addr)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Self {
            target: t.clone(),
            stream: BufReader::new(s),
        })
    }

    pub async fn call(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        action: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        let n = SINGLE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nonce = format!("one-{}-{n}", std::process::id());
        let t = &self.target;
        send(
            &mut self.stream,
            t,
            method,
            path,
            query,
            action,
            body,
            &nonce,
        )
        .await
    }
}

#[allow(clippy::too_many_arguments)]
async fn send<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    conn: &mut BufReader<S>,
    t: &Target,
    method: &str,
    path: &str,
    query: &str,
    action: &str,
    body: &[u8],
    nonce: &str,
) -> Result<(u16, Vec<u8>), String> {
    let mut headers = vec![
        ("host".to_string(), t.addr.clone()),
        ("x-acs-action".to_string(), action.to_string()),
        ("x-acs-version".to_string(), "2015-12-15".to_string()),
        (
            "x-acs-date".to_string(),
            humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        ),
        ("x-acs-signature-nonce".to_string(), nonce.to_string()),
        ("accept".to_string(), "application/json".to_string()),
    ];
    if !body.is_empty() {
        headers.push((
            "content-type".to_string(),
            "application/json; charset=utf-8".to_string(),
        ));
    }
    if let Some((id, secret)) = &t.key {
        sign_acs3(method, path, query, &mut headers, body, id, secret);
    }
    let target = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (n, v) in &headers {
        req.push_str(n);
        req.push_str(": ");
        req.push_str(v);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    conn.get_mut()
        .write_all(&bytes)
        .await
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    conn.read_line(&mut line).await.map_err(|e| e.to_string())?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("bad status line")?;
    let mut len = 0usize;
    loop {
        line.clear();
        if conn.read_line(&mut line).await.map_err(|e| e.to_string())? == 0 {
            return Err("closed".into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((n, v)) = l.split_once(':')
            && n.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut out = vec![0; len];
    conn.read_exact(&mut out).await.map_err(|e| e.to_string())?;
    Ok((status, out))
}

/// `connections` keep-alive connections issuing requests until `duration` has passed.
pub async fn load(
    t: &Target,
    connections: usize,
    duration: Duration,
    make: std::sync::Arc<Make>,
    run: u64,
) -> Outcome {
    let deadline = Instant::now() + duration;
    let mut set = tokio::task::JoinSet::new();
    let target = std::sync::Arc::new(Target {
        addr: t.addr.clone(),
        key: t.key.clone(),
    });
    for c in 0..connections {
        let t = std::sync::Arc::clone(&target);
        let make = std::sync::Arc::clone(&make);
        set.spawn(async move {
            let mut out = Outcome::default();
            let mut rng = Rng::new(run.wrapping_mul(1_000_003) ^ (c as u64 + 1));
            let mut n = 0u64;
            'outer: while Instant::now() < deadline {
                let Ok(mut s) = TcpStream::connect(&t.addr).await else {
                    out.errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let mut conn = BufReader::new(&mut s);
                while Instant::now() < deadline {
                    let (method, path, query, action) = make(&mut rng);
                    n += 1;
                    let nonce = format!("{run:x}-{c}-{n}");
                    let started = Instant::now();
                    match send(&mut conn, &t, method, &path, &query, action, b"", &nonce).await {
                        Ok((200, body)) => {
                            out.ok += 1;
                            out.body_bytes = body.len();
                            out.latencies_us.push(
                                u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX),
                            );
                        }
                        Ok(_) => out.errors += 1,
                        Err(_) => {
                            out.errors += 1;
                            continue 'outer;
                        }
                    }
                }
            }
            out
        });
    }
    let mut all = Outcome::default();
    while let Some(Ok(o)) = set.join_next().await {
        all.ok += o.ok;
        all.errors += o.errors;
        all.body_bytes = all.body_bytes.max(o.body_bytes);
        all.latencies_us.extend(o.latencies_us);
    }
    all.latencies_us.sort_unstable();
    all
}

pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_picks() {
        let v: Vec<u32> = (1..=100).map(|x| x * 1000).collect();
        assert!((percentile(&v, 0.5) - 51.0).abs() < 1e-9);
        assert!((percentile(&v, 0.99) - 99.0).abs() < 1e-9);
        assert_eq!(percentile(&[], 0.99), 0.0);
        let mut r = Rng::new(7);
        let picks: std::collections::HashSet<usize> = (0..1000).map(|_| r.below(10)).collect();
        assert_eq!(picks.len(), 10, "every cluster gets picked");
        assert!(picks.iter().all(|p| *p < 10));
    }
}
