//! Version ordering for add-on versions (`v1.9.3.340-g9830b58-aliyun`) and Kubernetes versions
//! (`1.31.1-aliyun.1`): the dotted numbers at the front decide, missing parts count as zero.

use crate::DomainError;
use std::cmp::Ordering;

/// The leading dotted numeric part, after an optional `v`.
pub fn numeric_parts(v: &str) -> Vec<u64> {
    parts(v).collect()
}

/// The same, lazily: `compare` runs for every catalog version on each status call, so it
/// allocates nothing.
fn parts(v: &str) -> impl Iterator<Item = u64> + '_ {
    let v = v
        .strip_prefix('v')
        .or_else(|| v.strip_prefix('V'))
        .unwrap_or(v);
    let head = v.split(['-', '+', '_']).next().unwrap_or("");
    // Fused: map_while goes on after its first None if asked again, so `.10` would read as 10
    // on a second call (the property test found it).
    head.split('.').map_while(|p| p.parse::<u64>().ok()).fuse()
}

/// Whether the string looks like a version at all (starts with a number).
pub fn is_version(v: &str) -> bool {
    parts(v).next().is_some()
}

/// ACK's form of a Kubernetes version: `1.31`, `1.31.1` or `1.31.1-aliyun.1`, each number
/// at most 5 digits (so none overflows and none is padded past what a real release uses).
pub fn check_kubernetes(param: &str, v: &str) -> Result<(), DomainError> {
    let number = |p: &str| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    let (release, build) = match v.split_once("-aliyun.") {
        Some((r, b)) => (r, Some(b)),
        None => (v, None),
    };
    let dotted: Vec<&str> = release.split('.').collect();
    let ok = (2..=3).contains(&dotted.len())
        && dotted.iter().all(|p| number(p))
        && build.is_none_or(number);
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            param,
            format!("{v:?} is not a Kubernetes version of ACK's form (1.31.1-aliyun.1)"),
        ))
    }
}

/// The dotted numbers alone: `1.28` and `1.28.0` are the same release here.
fn numeric(a: &str, b: &str) -> Ordering {
    let (mut pa, mut pb) = (parts(a), parts(b));
    loop {
        match (pa.next(), pb.next()) {
            (None, None) => return Ordering::Equal,
            (x, y) => match x.unwrap_or(0).cmp(&y.unwrap_or(0)) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
}

/// Runs of digits (by value, then by length, so `01` and `1` differ) and of other characters
/// (bytewise), a digit run before a text run: `aliyun.9` before `aliyun.10`.
fn natural(a: &str, b: &str) -> Ordering {
    fn runs(s: &str) -> impl Iterator<Item = &str> {
        let bytes = s.as_bytes();
        let mut start = 0;
        std::iter::from_fn(move || {
            if start >= bytes.len() {
                return None;
            }
            let digit = bytes[start].is_ascii_digit();
            let len = bytes[start..]
                .iter()
                .take_while(|c| c.is_ascii_digit() == digit)
                .count();
            let run = &s[start..start + len];
            start += len;
            Some(run)
        })
    }
    let (mut ra, mut rb) = (runs(a), runs(b));
    loop {
        let (x, y) = match (ra.next(), rb.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => (x, y),
        };
        let digits = |r: &str| r.as_bytes()[0].is_ascii_digit();
        let o = match (digits(x), digits(y)) {
            (true, true) => {
                let (tx, ty) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                tx.len()
                    .cmp(&ty.len())
                    .then_with(|| tx.cmp(ty))
                    .then_with(|| x.len().cmp(&y.len()))
            }
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
}

/// A total order, consistent with equality: the dotted numbers decide; between versions of the
/// same numbers (`1.31.1-aliyun.1`, `1.31.1-aliyun.2`) the rest decides, read naturally; the
/// bytes settle what is left, so only equal strings compare equal.
pub fn compare(a: &str, b: &str) -> Ordering {
    numeric(a, b)
        .then_with(|| natural(a, b))
        .then_with(|| a.cmp(b))
}

/// `have` is at least `minimum` (for Kubernetes and dependency minimums), by the numbers only:
/// `1.28` meets a minimum of `1.28.0`.
pub fn at_least(have: &str, minimum: &str) -> bool {
    numeric(have, minimum) != Ordering::Less
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_real_versions() {
        assert_eq!(
            compare("v0.3.9.4-ff225cd-aliyun", "v0.3.9.5-aliyun"),
            Ordering::Less
        );
        assert_eq!(compare("1.2.24", "1.2.16"), Ordering::Greater);
        assert!(at_least("1.31.1-aliyun.1", "1.28"));
        assert!(!at_least("1.26.3-aliyun.1", "1.28"));
        assert!(at_least("1.28.0", "1.28"));
        assert!(is_version("1.31.1-aliyun.1"));
        assert_eq!(
            compare("1.31.1-aliyun.9", "1.31.1-aliyun.10"),
            Ordering::Less
        );
        assert_ne!(compare("1.28", "1.28.0"), Ordering::Equal);
        assert!(at_least("1.28", "1.28.0") && at_least("1.28.0", "1.28"));
        assert!(!is_version("latest"));
        assert_eq!(
            compare("0.1", ".10"),
            Ordering::Greater,
            "no number after a gap"
        );
    }

    #[test]
    fn kubernetes_versions_have_acks_form() {
        for ok in [
            "1.31.1-aliyun.1",
            "1.24.6-aliyun.1",
            "1.31",
            "1.30.7",
            "1.28.9-aliyun.12",
        ] {
            assert!(check_kubernetes("kubernetes_version", ok).is_ok(), "{ok}");
        }
        let bad = [
            "",
            "latest",
            "v1.31.1",
            "1",
            "1.31.1.1",
            "1.31.1-aliyun",
            "1.31.1-aliyun.",
            "1.31.1-aliyun.x",
            "1.31.1-gke.1",
            "1.31.1-aliyun.1 ",
            " 1.31",
            "1..31",
            "1.31.",
            "1.-31",
            "1.31;DROP",
            "1.31\0",
            "1.999999",
            "1.99999999999999999999999",
            "１.31",
        ];
        for v in bad {
            let e = check_kubernetes("kubernetes_version", v).unwrap_err();
            assert!(
                e.to_string().starts_with("kubernetes_version is invalid"),
                "{v:?}: {e}"
            );
        }
    }
}
