//! The fleet file's lines (`ack-addons import`): a bad line is an error message, never a panic.
#![no_main]

use ack_domain::Catalog;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        let mut history = Vec::new();
        let _ = ack_domain::fleet_file::parse_line(&CATALOG, line, 0, &mut history);
    }
});
