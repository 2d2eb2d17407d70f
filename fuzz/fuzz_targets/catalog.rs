//! The catalog parser (`--catalog FILE`): a bad file is an error message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ack_domain::Catalog::from_json(text);
    }
});
