//! Signature parsing and canonicalization (ACS3 and ROA): any request, however malformed, is
//! verified or refused, never a panic. Input: method, path, query, headers (`name:value` lines)
//! and body, separated by 0xFF bytes.
#![no_main]

use ack_wire::sign::{AccessKeySecret, WireRequest, decode_query, verify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(5, |b| *b == 0xFF);
    let mut text = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let (method, path, query, headers) = (text(), text(), text(), text());
    let body = parts.next().unwrap_or_default();
    let headers: Vec<(&str, &str)> = headers.lines().filter_map(|l| l.split_once(':')).collect();
    let decoded = decode_query(&query);
    let req = WireRequest {
        method: &method,
        raw_path: &path,
        raw_query: &query,
        query: &decoded,
        headers: &headers,
        body,
    };
    let secret = AccessKeySecret::new("fuzz-secret");
    let _ = verify(&req, &|id| (id == "AK").then(|| secret.clone()));
});
