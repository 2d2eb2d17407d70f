//! Signature nonces seen within the window: in memory when one process owns the database
//! (SQLite), in the database when replicas share it (PostgreSQL).
//!
//! In memory the set is bounded (`--max-nonces`). Each nonce is kept as a 64-bit keyed hash
//! under the time its request was signed, and forgotten once that time leaves the 15-minute
//! window. At the cap the nonces signed earliest are forgotten first, and from then on a request
//! signed at or before the latest time forgotten is refused (InvalidTimeStamp.Expired): a replay
//! is never let through, only the accepted clock skew shrinks, for as long as the load lasts.
//! Two different nonces share a hash with odds of about one in 10^10 at millions kept: the cost
//! is one refused call.

use crate::auth::WINDOW_SECS;
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::Mutex;

/// About 60 MB at the cap: 15 minutes of some 1,100 calls a second.
pub const DEFAULT_MAX_NONCES: usize = 1_000_000;

pub struct NonceCache {
    inner: Mutex<Seen>,
    keys: std::hash::RandomState,
    shared: bool,
    cap: usize,
}

#[derive(Default)]
struct Seen {
    set: HashSet<u64, BuildHasherDefault<AlreadyHashed>>,
    /// Hashes by the second they were signed in, earliest first, for expiry and for the cap.
    /// Signing times span the window (some 1,800 seconds), so this tree stays small and hot
    /// while the set holds millions.
    by_time: BTreeMap<i64, Vec<u64>>,
    /// The latest signing time forgotten at the cap; requests signed at or before it are refused.
    floor: Option<i64>,
}

/// The set's keys are hashes already.
#[derive(Default)]
struct AlreadyHashed(u64);

impl Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum NonceCheck {
    Fresh,
    Used,
    /// Signed at or before `floor`, whose nonces the cap made the set forget.
    SignedTooEarly {
        floor: i64,
    },
}

impl Default for NonceCache {
    fn default() -> Self {
        Self::with_cap(DEFAULT_MAX_NONCES)
    }
}

impl NonceCache {
    pub fn with_cap(cap: usize) -> Self {
        Self {
            inner: Mutex::default(),
            keys: std::hash::RandomState::new(),
            shared: false,
            cap: cap.max(1),
        }
    }

    /// Nonces kept in the store, for several replicas.
    pub fn shared() -> Self {
        Self {
            shared: true,
            ..Self::default()
        }
    }

    pub fn is_shared(&self) -> bool {
        self.shared
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Nonces kept in memory now.
    pub fn kept(&self) -> usize {
        self.lock().set.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records the nonce of a request signed at `signed_at` (already within the window of `now`).
    pub fn first_use(&self, nonce: &str, signed_at: i64, now: i64) -> NonceCheck {
        let h = self.keys.hash_one(nonce);
        let mut guard = self.lock();
        let Seen {
            set,
            by_time,
            floor,
        } = &mut *guard;
        while let Some(entry) = by_time.first_entry() {
            if *entry.key() >= now - WINDOW_SECS {
                break;
            }
            for old in entry.remove() {
                set.remove(&old);
            }
        }
        if let Some(f) = *floor {
            if signed_at <= f {
                return NonceCheck::SignedTooEarly { floor: f };
            }
            if f < now - WINDOW_SECS {
                *floor = None;
            }
        }
        if set.contains(&h) {
            return NonceCheck::Used;
        }
        while set.len() >= self.cap {
            let Some(mut entry) = by_time.first_entry() else {
                break;
            };
            let t = *entry.key();
            let old = entry.get_mut().pop();
            if entry.get().is_empty() {
                entry.remove();
            }
            if let Some(old) = old {
                set.remove(&old);
            }
            *floor = Some(floor.map_or(t, |f| f.max(t)));
        }
        if floor.is_some_and(|f| signed_at <= f) {
            return NonceCheck::SignedTooEarly {
                floor: floor.unwrap_or(signed_at),
            };
        }
        set.insert(h);
        by_time.entry(signed_at).or_default().push(h);
        NonceCheck::Fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_refused_within_the_window_and_forgotten_after() {
        let c = NonceCache::default();
        assert_eq!(c.first_use("a", 100, 100), NonceCheck::Fresh);
        assert_eq!(c.first_use("a", 100, 200), NonceCheck::Used);
        assert_eq!(c.first_use("b", 200, 200), NonceCheck::Fresh);
        let later = 100 + WINDOW_SECS + 1;
        assert_eq!(c.first_use("a", later, later), NonceCheck::Fresh);
        assert_eq!(c.kept(), 2, "a's first entry expired, b's not");
    }

    #[test]
    fn at_the_cap_the_earliest_are_forgotten_and_no_replay_gets_through() {
        let c = NonceCache::with_cap(3);
        for (n, t) in [("a", 10), ("b", 20), ("c", 30)] {
            assert_eq!(c.first_use(n, t, 30), NonceCheck::Fresh);
        }
        // Full: d pushes out a (signed at 10), the earliest.
        assert_eq!(c.first_use("d", 40, 40), NonceCheck::Fresh);
        assert_eq!(c.kept(), 3);
        // a again: its nonce is forgotten, but it was signed at 10, at or before the floor.
        assert_eq!(
            c.first_use("a", 10, 41),
            NonceCheck::SignedTooEarly { floor: 10 }
        );
        // The others are still known; a fresh request still gets in.
        assert_eq!(c.first_use("b", 20, 41), NonceCheck::Used);
        assert_eq!(c.first_use("e", 41, 41), NonceCheck::Fresh);
        assert_eq!(c.kept(), 3, "bounded");
        // Once the floor leaves the window, so does the refusal.
        let later = 41 + WINDOW_SECS + 1;
        assert_eq!(c.first_use("a", 10 + later, later), NonceCheck::Fresh);
    }
}
