#![no_main]
//! Settings parsing never panics; whatever parses survives a serialize / reparse round trip.
use ampere_core::settings::{parse_settings, to_file_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(map) = parse_settings(text) {
        let compact = serde_json::to_string(&map).unwrap_or_default();
        assert_eq!(parse_settings(&compact).ok(), Some(map.clone()));
        let pretty = to_file_bytes(&map);
        let pretty = String::from_utf8_lossy(&pretty);
        assert_eq!(parse_settings(&pretty).ok(), Some(map));
    }
});
