//! Following `GET /fleet/events/stream` (Server-Sent Events): each event's `data:` object, as it
//! comes. Watchers use events only as a cue to re-read what they watch, so a lost or broken
//! stream costs liveness, never correctness.

use crate::client::Client;
use crate::request::Request;
use ack_wire::Action;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::Value;
use std::collections::VecDeque;
use std::time::Duration;

pub enum Next {
    Event(Value),
    /// Nothing within the wait.
    Quiet,
    /// The stream is gone (or never opened): the caller polls instead.
    Broken,
}

pub struct Events {
    body: Option<Incoming>,
    buf: Vec<u8>,
    ready: VecDeque<Value>,
}

impl Events {
    /// Opens the stream from now on with the server's filters (`cluster_id`, `type`); a stream
    /// that cannot be opened is `Broken` from the start rather than an error.
    pub async fn open(client: &Client, filters: &[(&str, &str)]) -> Self {
        let mut req = Request::new(Action::StreamEvents);
        for (k, v) in filters {
            req = req.query(k, *v);
        }
        Self {
            body: client.open(&req).await.ok(),
            buf: Vec::new(),
            ready: VecDeque::new(),
        }
    }

    /// The next event, waiting at most `within`.
    pub async fn next(&mut self, within: Duration) -> Next {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(v) = self.ready.pop_front() {
                return Next::Event(v);
            }
            let Some(body) = self.body.as_mut() else {
                return Next::Broken;
            };
            // Dropping a pending `frame()` loses nothing: a frame is only taken when ready.
            match tokio::time::timeout_at(deadline, body.frame()).await {
                Err(_) => return Next::Quiet,
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.buf.extend_from_slice(&data);
                        self.ready.extend(take_events(&mut self.buf));
                    }
                }
                Ok(Some(Err(_)) | None) => self.body = None,
            }
        }
    }
}

/// Removes every complete event (a block ended by a blank line) from `buf` and answers their
/// `data:` objects; comments, other fields and data that is not JSON are skipped.
pub fn take_events(buf: &mut Vec<u8>) -> Vec<Value> {
    buf.retain(|b| *b != b'\r');
    let mut out = Vec::new();
    while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
        let block: Vec<u8> = buf.drain(..end + 2).collect();
        let text = String::from_utf8_lossy(&block);
        let data: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        if data.is_empty() {
            continue;
        }
        if let Ok(v) = serde_json::from_str(&data.join("\n")) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_events_are_taken_and_a_partial_one_kept() {
        let mut buf = b": keep-alive\n\nid: 7\nevent: task.stage\ndata: {\"id\":7,\"task_id\":\"T-1\"}\n\nid: 8\ndata: {\"id\"".to_vec();
        let got = take_events(&mut buf);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["task_id"], "T-1");
        assert_eq!(buf, b"id: 8\ndata: {\"id\"");
        buf.extend_from_slice(b":8}\r\n\r\n");
        let got = take_events(&mut buf);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["id"], 8);
        assert!(buf.is_empty());
    }
}
