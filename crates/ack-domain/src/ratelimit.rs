//! Per-caller throttling as a token bucket: `rate` tokens a second, at most `burst` saved up;
//! a call takes one. Pure (the caller brings the clock), so the rule is tested without a server.

/// `--rate-limit RATE[/s][,BURST]`; the burst defaults to one second's worth (at least 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_sec: f64,
    pub burst: f64,
}

impl RateLimit {
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad =
            || format!("{s:?} is not RATE[/s][,BURST] with RATE > 0 and BURST ≥ 1, e.g. 50/s,100");
        let (rate, burst) = match s.split_once(',') {
            Some((r, b)) => (r, Some(b)),
            None => (s, None),
        };
        let rate = rate.trim();
        let per_sec: f64 = rate
            .strip_suffix("/s")
            .unwrap_or(rate)
            .trim()
            .parse()
            .map_err(|_| bad())?;
        if !per_sec.is_finite() || per_sec <= 0.0 {
            return Err(bad());
        }
        let burst = match burst {
            Some(b) => b.trim().parse::<f64>().map_err(|_| bad())?,
            None => per_sec.max(1.0),
        };
        if !burst.is_finite() || burst < 1.0 {
            return Err(bad());
        }
        Ok(Self { per_sec, burst })
    }
}

/// One caller's bucket.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    tokens: f64,
    last_ms: i64,
}

impl Bucket {
    pub fn full(limit: &RateLimit, now_ms: i64) -> Self {
        Self {
            tokens: limit.burst,
            last_ms: now_ms,
        }
    }

    /// Takes a token, or says how many milliseconds until one is there (at least 1).
    pub fn take(&mut self, limit: &RateLimit, now_ms: i64) -> Result<(), u64> {
        let elapsed = (now_ms - self.last_ms).max(0) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * limit.per_sec).min(limit.burst);
        self.last_ms = self.last_ms.max(now_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - self.tokens) / limit.per_sec * 1000.0).ceil();
        Err((wait as u64).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_with_or_without_unit_and_burst() {
        assert_eq!(
            RateLimit::parse("50/s,100"),
            Ok(RateLimit {
                per_sec: 50.0,
                burst: 100.0
            })
        );
        assert_eq!(
            RateLimit::parse("0.5"),
            Ok(RateLimit {
                per_sec: 0.5,
                burst: 1.0
            })
        );
        for bad in ["", "0", "-1/s", "x", "5/s,0", "5/s,y", "inf", "NaN"] {
            assert!(RateLimit::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_burst_then_the_rate_and_the_wait_is_exact() {
        let l = RateLimit::parse("10/s,3").unwrap();
        let mut b = Bucket::full(&l, 0);
        assert!((0..3).all(|_| b.take(&l, 0).is_ok()));
        assert_eq!(b.take(&l, 0), Err(100), "one token comes every 100 ms");
        assert_eq!(b.take(&l, 60), Err(40));
        assert!(b.take(&l, 100).is_ok());
        // Saved tokens never pass the burst, however long the wait.
        assert!((0..3).all(|_| b.take(&l, 1_000_000).is_ok()));
        assert!(b.take(&l, 1_000_000).is_err());
        // A clock that steps back gives nothing.
        assert!(b.take(&l, 999_000).is_err());
    }
}
