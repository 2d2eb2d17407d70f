//! Query and path decoding, `componentIds`, and the ids and tag filters read from them.
#![no_main]

use ack_domain::{AddonName, ClusterId, RolloutId, Tag, TaskId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    for (k, v) in ack_wire::sign::decode_query(&s) {
        let _ = serde_json::from_str::<Vec<String>>(&v);
        let _ = Tag::parse_filter(&k, &v);
    }
    for seg in s.split('/') {
        if let Some(d) = ack_wire::sign::decode_path_segment(seg) {
            let _ = ClusterId::parse(&d);
            let _ = TaskId::parse(&d);
            let _ = RolloutId::parse(&d);
            let _ = AddonName::parse(&d);
        }
    }
});
