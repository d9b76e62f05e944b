//! Fuzzes the recording parser (`ampere_core::recording::Recording::parse`), whose input is a
//! file from outside. Checks: no panic on any bytes, and whatever parses writes back to a
//! file that parses to the same recording.
#![no_main]

use ampere_core::recording::Recording;
use libfuzzer_sys::fuzz_target;

/// A valid file to splice arbitrary bytes into, so that deep paths are reached often.
const SEED: &str = concat!(
    r#"{"event":"header","format":"ampere-recording","version":1,"ampere_version":"0.1.0","invocation":{"args":["--execute","--stream-json"],"prompt":"text","options":{}}}"#,
    "\n",
    r#"{"event":"stdin","t_us":1,"text":"hi\n"}"#,
    "\n",
    r#"{"event":"stdout","t_us":2,"hex":"ff0a"}"#,
    "\n",
    r#"{"event":"exit","t_us":3,"code":0}"#,
    "\n",
);

fn check(data: &[u8]) {
    if let Ok(rec) = Recording::parse(data) {
        let again = Recording::parse(rec.to_jsonl().as_bytes());
        let mut expected = rec.clone();
        expected.skipped = 0;
        assert_eq!(again.as_ref(), Ok(&expected), "a parsed recording writes back to itself");
        let _ = rec.stdout();
        let _ = rec.exit();
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let mut spliced = SEED.as_bytes().to_vec();
    let at = data.first().map_or(0, |&b| usize::from(b) * spliced.len() / 256);
    spliced.splice(at..at, data.iter().skip(1).copied());
    check(&spliced);
});
