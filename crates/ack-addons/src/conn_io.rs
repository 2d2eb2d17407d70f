//! A connection's stream, shared between hyper and the task that drives it. hyper gives up on a
//! request it cannot parse by writing a bare answer with an empty body, and on a header timeout
//! by closing silently; neither can be configured. Sharing the stream lets the task see when the
//! client was last active, hold back hyper's bare answer, and write an ACK-shaped one instead
//! once hyper is done with the connection.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

struct State<T> {
    io: T,
    last_active: Instant,
    /// Bytes came in after the last answer went out: a request (or part of one) is pending.
    read_since_write: bool,
    /// The status of the bare answer hyper tried to write, held back.
    refused: Option<u16>,
    requests: u64,
}

pub struct Shared<T> {
    state: Arc<Mutex<State<T>>>,
    /// hyper's handle: its bare answers are held back. The task's own handle writes through.
    hyper: bool,
}

impl<T> Shared<T> {
    /// hyper's handle and the task's.
    pub fn new(io: T) -> (Self, Self) {
        let state = Arc::new(Mutex::new(State {
            io,
            last_active: Instant::now(),
            read_since_write: false,
            refused: None,
            requests: 0,
        }));
        let ours = Shared {
            state: Arc::clone(&state),
            hyper: false,
        };
        (Shared { state, hyper: true }, ours)
    }

    /// Another handle of the task's.
    pub fn clone_handle(&self) -> Self {
        Shared {
            state: Arc::clone(&self.state),
            hyper: false,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panic while holding the lock leaves plain data behind; carry on with it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn last_active(&self) -> Instant {
        self.lock().last_active
    }

    pub fn note_request(&self) {
        self.lock().requests += 1;
    }

    pub fn requests(&self) -> u64 {
        self.lock().requests
    }

    pub fn request_pending(&self) -> bool {
        self.lock().read_since_write
    }

    pub fn take_refusal(&self) -> Option<u16> {
        self.lock().refused.take()
    }
}

/// The status of hyper's automatic answer to a request it could not parse: the whole write is
/// one head, `content-length: 0` and no content type (every answer of ours has one).
fn bare_refusal(buf: &[u8]) -> Option<u16> {
    let rest = buf.strip_prefix(b"HTTP/1.1 ")?;
    let status = match rest.get(..4)? {
        b"400 " => 400,
        b"414 " => 414,
        b"431 " => 431,
        _ => return None,
    };
    let has = |needle: &[u8]| {
        buf.windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    let whole_head =
        buf.ends_with(b"\r\n\r\n") && buf.windows(4).filter(|w| *w == b"\r\n\r\n").count() == 1;
    (whole_head && has(b"\r\ncontent-length: 0\r\n") && !has(b"content-type")).then_some(status)
}

impl<T: AsyncRead + Unpin> AsyncRead for Shared<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut s = self.lock();
        let before = buf.filled().len();
        let r = Pin::new(&mut s.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            s.last_active = Instant::now();
            s.read_since_write = true;
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Shared<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let hyper = self.hyper;
        let mut s = self.lock();
        if hyper && s.refused.is_some() {
            return Poll::Ready(Ok(buf.len()));
        }
        if hyper && let Some(status) = bare_refusal(buf) {
            s.refused = Some(status);
            return Poll::Ready(Ok(buf.len()));
        }
        let r = Pin::new(&mut s.io).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            s.last_active = Instant::now();
            s.read_since_write = false;
        }
        r
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.lock().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let hyper = self.hyper;
        let mut s = self.lock();
        if hyper && s.refused.is_some() {
            // The task writes the answer first, then closes.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut s.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::bare_refusal;

    #[test]
    fn only_hypers_own_empty_answers_are_held_back() {
        let date = "date: Wed, 02 Dec 2026 06:00:00 GMT\r\n\r\n";
        for (status, reason) in [(400, "Bad Request"), (414, "URI Too Long"), (431, "x")] {
            let head = format!("HTTP/1.1 {status} {reason}\r\ncontent-length: 0\r\n{date}");
            assert_eq!(bare_refusal(head.as_bytes()), Some(status));
        }
        let ours =
            format!("HTTP/1.1 400 Bad Request\r\ncontent-type: a/b\r\ncontent-length: 0\r\n{date}");
        assert_eq!(bare_refusal(ours.as_bytes()), None);
        let with_body = format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n{date}x");
        assert_eq!(bare_refusal(with_body.as_bytes()), None);
        assert_eq!(
            bare_refusal(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
            None
        );
    }
}
