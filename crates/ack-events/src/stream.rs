//! Following the log for one stream client: a task of its own reads the account's events after
//! the last one sent and hands frames to a bounded channel. It never waits for the client: when
//! the channel is full the client is too slow, and it is cut off (it resumes from its last id).

use crate::sse::{KEEP_ALIVE, frame};
use ack_store::{EventFilter, Store};
use bytes::Bytes;
use std::convert::Infallible;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{self, error::TrySendError};

#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// A comment after this long without an event.
    pub keep_alive: Duration,
    /// How often the log is read when nothing is pending.
    pub poll: Duration,
    /// Frames waiting for a slow client before it is cut off.
    pub buffer: usize,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            keep_alive: Duration::from_secs(15),
            poll: Duration::from_millis(100),
            buffer: 1024,
        }
    }
}

/// Events read from the log at once.
const BATCH: u32 = 256;

pub type Frames = mpsc::Receiver<Result<Bytes, Infallible>>;

/// Starts following the account's events after `after` that match `filter`.
pub fn follow(
    store: Store,
    account: String,
    filter: EventFilter,
    after: i64,
    cfg: StreamConfig,
) -> Frames {
    let (tx, rx) = mpsc::channel(cfg.buffer.max(1));
    tokio::spawn(async move {
        let send = |text: String| match tx.try_send(Ok(Bytes::from(text))) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                tracing::info!(%account, "event stream reader too slow: cut off");
                false
            }
            Err(TrySendError::Closed(_)) => false,
        };
        // Something at once, so that the client knows the stream is open.
        if !send(": ack-addons event stream\nretry: 1000\n\n".into()) {
            return;
        }
        let mut last = after;
        let mut quiet_since = Instant::now();
        loop {
            let got = match store.events_after(&account, &filter, last, BATCH).await {
                Ok(events) => events,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the event log failed; retrying");
                    Vec::new()
                }
            };
            for e in &got {
                if !send(frame(e)) {
                    return;
                }
                last = e.id;
                quiet_since = Instant::now();
            }
            if got.len() == BATCH as usize {
                continue;
            }
            if quiet_since.elapsed() >= cfg.keep_alive {
                if !send(KEEP_ALIVE.into()) {
                    return;
                }
                quiet_since = Instant::now();
            }
            tokio::select! {
                () = tokio::time::sleep(cfg.poll) => {},
                () = tx.closed() => return,
            }
        }
    });
    rx
}
