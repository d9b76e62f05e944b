//! Throughput of the typed stream-JSON decoder against a `serde_json::Value` baseline.
//!
//! `cargo bench -p ampere-core --bench decode` generates (once, cached under `target/`) a
//! ~60 MB transcript with `gen_transcript.py --turns 5000`, then
//! measures, interleaved, best of N runs (`AMPERE_BENCH_RUNS`, default 7):
//! (a) baseline: split lines with memchr and `serde_json::from_slice::<Value>` each line;
//! (b) typed: `Decoder` fed 64 KiB chunks, every message polled.
//! `AMPERE_BENCH_ONLY=typed|baseline` runs one side once (for a profiler).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use ampere_core::decode::Decoder;

fn shared_dir() -> PathBuf {
    let beside = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared"));
    if beside.join("tools").is_dir() {
        return beside;
    }
    match std::env::var_os("AMPERE_SHARED_DIR") {
        Some(d) => PathBuf::from(d),
        None => panic!("shared dir not found at {}", beside.display()),
    }
}

fn transcript() -> Vec<u8> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    let path = target.join("bench-transcript-5000.jsonl");
    if let Ok(bytes) = std::fs::read(&path) {
        if bytes.len() > 1_000_000 {
            return bytes;
        }
    }
    let script = shared_dir().join("tools/gen_transcript.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(["--turns", "5000"])
        .output()
        .expect("run gen_transcript.py");
    assert!(out.status.success(), "gen_transcript.py failed");
    std::fs::create_dir_all(&target).expect("create target dir");
    std::fs::write(&path, &out.stdout).expect("cache transcript");
    out.stdout
}

fn baseline(bytes: &[u8]) -> usize {
    let mut n = 0;
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes) {
        let line = &bytes[start..end];
        start = end + 1;
        if line.is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(line).expect("valid JSON");
        black_box(&v);
        n += 1;
    }
    n
}

fn typed(bytes: &[u8]) -> usize {
    let mut d = Decoder::default();
    let mut n = 0;
    for chunk in bytes.chunks(64 * 1024) {
        d.push(chunk);
        while let Some(item) = d.poll_message() {
            black_box(&item.expect("valid message"));
            n += 1;
        }
    }
    d.push_eof();
    while let Some(item) = d.poll_message() {
        black_box(&item.expect("valid message"));
        n += 1;
    }
    n
}

fn time(f: impl Fn() -> usize) -> (Duration, usize) {
    let start = Instant::now();
    let n = f();
    (start.elapsed(), n)
}

fn main() {
    let bytes = transcript();
    let runs: usize = std::env::var("AMPERE_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "transcript: {mb:.1} MB, {} lines; best of {runs} runs each, interleaved",
        memchr::memchr_iter(b'\n', &bytes).count()
    );
    let mut best_base = Duration::MAX;
    let mut best_typed = Duration::MAX;
    let (mut n_base, mut n_typed) = (0, 0);
    // `AMPERE_BENCH_ONLY=typed` (or `baseline`) runs one side, for profilers.
    let only = std::env::var("AMPERE_BENCH_ONLY").unwrap_or_default();
    if !only.is_empty() {
        let n = if only == "typed" {
            typed(&bytes)
        } else {
            baseline(&bytes)
        };
        println!("{only}: {n} messages");
        return;
    }
    for _ in 0..runs {
        let (t, n) = time(|| baseline(&bytes));
        best_base = best_base.min(t);
        n_base = n;
        let (t, n) = time(|| typed(&bytes));
        best_typed = best_typed.min(t);
        n_typed = n;
    }
    assert_eq!(n_base, n_typed, "both must see every message");
    let report = |name: &str, t: Duration, n: usize| {
        let s = t.as_secs_f64();
        println!(
            "{name:<34} {:>8.1} ms  {:>8.1} MB/s  {:>10.0} msg/s",
            s * 1e3,
            mb / s,
            n as f64 / s
        );
    };
    report("baseline (lines + Value)", best_base, n_base);
    report("typed Decoder (64 KiB chunks)", best_typed, n_typed);
    println!(
        "typed/baseline throughput ratio: {:.2}",
        best_base.as_secs_f64() / best_typed.as_secs_f64()
    );
}
