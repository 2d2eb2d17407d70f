//! Version ordering on any two strings: antisymmetric, and equal only for equal strings.
#![no_main]

use ack_domain::version::compare;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let (a, b) = s.split_once('\u{1}').unwrap_or((&s, ""));
    assert_eq!(compare(a, b), compare(b, a).reverse());
    assert_eq!(compare(a, b).is_eq(), a == b);
});
