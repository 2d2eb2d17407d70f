//! Wire time formats. Times are kept as Unix seconds everywhere inside; ACK shows them as
//! RFC 3339 (`2020-12-28T17:00:50Z`), stage times as `YYYY-MM-DD HH:mm:ss`, and "never" as the
//! Go zero time.

pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// `YYYY-MM-DDTHH:MM:SSZ` (times before 1970 show as 1970). Written by hand: every status
/// entry shows two times, and going through `Display` showed in the status call's profile.
pub fn rfc3339(epoch_secs: i64) -> String {
    let secs = epoch_secs.max(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = [0u8; 20];
    let mut put = |at: usize, v: i64, width: usize| {
        let mut v = v;
        for i in (0..width).rev() {
            out[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, y.min(9999), 4);
    put(5, m, 2);
    put(8, d, 2);
    put(11, rem / 3600, 2);
    put(14, rem / 60 % 60, 2);
    put(17, rem % 60, 2);
    for (at, c) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'Z'),
    ] {
        out[at] = c;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// RFC 3339, or the Go zero time for "not yet".
pub fn rfc3339_or_zero(epoch_secs: Option<i64>) -> String {
    epoch_secs.map_or_else(|| ZERO_TIME.to_string(), rfc3339)
}

/// RFC 3339 of a time kept in Unix milliseconds (rollouts, webhooks), or the zero time.
pub fn rfc3339_ms_or_zero(epoch_ms: Option<i64>) -> String {
    rfc3339_or_zero(epoch_ms.map(|ms| ms.div_euclid(1000)))
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

    #[test]
    fn agrees_with_humantime_across_leap_years_and_centuries() {
        use std::time::{Duration, UNIX_EPOCH};
        let mut t: u64 = 0;
        // Every 7 hours and 13 seconds from 1970 to past 2100.
        while t < 4_200_000_000 {
            let expected =
                humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(t)).to_string();
            assert_eq!(super::rfc3339(i64::try_from(t).unwrap()), expected);
            t += 7 * 3600 + 13;
        }
        assert_eq!(super::rfc3339(-5), "1970-01-01T00:00:00Z");
    }
}
