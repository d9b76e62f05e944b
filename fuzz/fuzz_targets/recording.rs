//! The recording parser (`ampere_core::recording`), fed arbitrary bytes: never panics, and
//! whatever it accepts writes back to a file it reads the same.
#![no_main]

use ampere_core::recording::Recording;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(recording) = Recording::parse(data) {
        let again = Recording::parse(recording.to_jsonl().as_bytes())
            .expect("a parsed recording writes a file that parses");
        assert_eq!(again.header, recording.header);
        assert_eq!(again.events, recording.events);
    }
});
