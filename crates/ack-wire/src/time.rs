//! Wire time formats. Times are kept as Unix seconds everywhere inside; ACK shows them as
//! RFC 3339 (`2020-12-28T17:00:50Z`), stage times as `YYYY-MM-DD HH:mm:ss`, and "never" as the
//! Go zero time.

use std::time::{Duration, UNIX_EPOCH};

pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

pub fn rfc3339(epoch_secs: i64) -> String {
    let secs = u64::try_from(epoch_secs).unwrap_or(0);
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

/// RFC 3339, or the Go zero time for "not yet".
pub fn rfc3339_or_zero(epoch_secs: Option<i64>) -> String {
    epoch_secs.map_or_else(|| ZERO_TIME.to_string(), rfc3339)
}

/// `YYYY-MM-DD HH:mm:ss`, as DescribeTaskInfo shows stage times.
pub fn stage_time(epoch_secs: i64) -> String {
    let mut s = rfc3339(epoch_secs);
    s.truncate(19);
    s.replace('T', " ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(super::rfc3339(1_609_174_850), "2020-12-28T17:00:50Z");
        assert_eq!(super::rfc3339_or_zero(None), super::ZERO_TIME);
        assert_eq!(super::stage_time(1_609_174_850), "2020-12-28 17:00:50");
    }
}
