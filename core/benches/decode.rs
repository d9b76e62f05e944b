//! Throughput of the typed stream-JSON decoder against a `serde_json::Value` baseline.
//!
//! `cargo bench -p ampere-core --bench decode` generates a ~60 MB transcript with
//! `ampere-transcript` (`--turns 5000`), then
//! measures, interleaved, best of N runs (`AMPERE_BENCH_RUNS`, default 11), in wall time and in
//! on-CPU time of the thread (robust on a busy machine):
//! (a) baseline: split lines with memchr and `serde_json::from_slice::<Value>` each line;
//! (b) typed: `Decoder` fed 64 KiB chunks, every message polled.
//! `AMPERE_BENCH_ONLY=typed|baseline` runs one side once (for a profiler);
//! `AMPERE_BENCH_CHUNK=N` changes the chunk size of (b).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use ampere_core::decode::Decoder;

/// The benchmark's transcript: `gen-transcript --turns 5000` (about 60 MB), generated in
/// memory by `ampere-transcript` (deterministic, so every run measures the same bytes).
fn transcript() -> Vec<u8> {
    ampere_transcript::generate(&ampere_transcript::Options::new(5000))
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

fn typed(bytes: &[u8], chunk_size: usize) -> usize {
    let mut d = Decoder::default();
    let mut n = 0;
    for chunk in bytes.chunks(chunk_size) {
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

/// On-CPU time of this thread: unlike wall time, it does not count time spent preempted by
/// other processes, so the comparison holds on a loaded machine.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn thread_cpu_time() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec with the C layout of 64-bit Linux.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

/// Wall time and on-CPU time of one run.
fn time(f: impl Fn() -> usize) -> (Duration, Option<Duration>, usize) {
    let cpu0 = thread_cpu_time();
    let start = Instant::now();
    let n = f();
    let wall = start.elapsed();
    let cpu = match (cpu0, thread_cpu_time()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    (wall, cpu, n)
}

#[derive(Default)]
struct Best {
    wall: Option<Duration>,
    cpu: Option<Duration>,
    n: usize,
}

impl Best {
    fn add(&mut self, (wall, cpu, n): (Duration, Option<Duration>, usize)) {
        self.wall = Some(self.wall.map_or(wall, |w| w.min(wall)));
        self.cpu = match (self.cpu, cpu) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.n = n;
    }
}

fn main() {
    let bytes = transcript();
    let runs: usize = std::env::var("AMPERE_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(11);
    let chunk: usize = std::env::var("AMPERE_BENCH_CHUNK")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&c| c > 0)
        .unwrap_or(64 * 1024);
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "transcript: {mb:.1} MB, {} lines; best of {runs} runs each, interleaved",
        memchr::memchr_iter(b'\n', &bytes).count()
    );
    // `AMPERE_BENCH_ONLY=typed` (or `baseline`) runs one side, for profilers.
    let only = std::env::var("AMPERE_BENCH_ONLY").unwrap_or_default();
    if !only.is_empty() {
        let n = if only == "typed" {
            typed(&bytes, chunk)
        } else {
            baseline(&bytes)
        };
        println!("{only}: {n} messages");
        return;
    }
    let mut base = Best::default();
    let mut typ = Best::default();
    for round in 0..runs {
        // Alternate which side goes first.
        if round % 2 == 0 {
            base.add(time(|| baseline(&bytes)));
            typ.add(time(|| typed(&bytes, chunk)));
        } else {
            typ.add(time(|| typed(&bytes, chunk)));
            base.add(time(|| baseline(&bytes)));
        }
    }
    assert_eq!(base.n, typ.n, "both must see every message");
    let typed_name = format!("typed Decoder ({} KiB chunks)", chunk / 1024);
    for (label, pick) in [
        (
            "wall time",
            (|b: &Best| b.wall) as fn(&Best) -> Option<Duration>,
        ),
        ("thread CPU time", |b: &Best| b.cpu),
    ] {
        let (Some(tb), Some(tt)) = (pick(&base), pick(&typ)) else {
            continue;
        };
        println!("-- best {label}");
        for (name, t, n) in [
            ("baseline (lines + Value)", tb, base.n),
            (typed_name.as_str(), tt, typ.n),
        ] {
            let s = t.as_secs_f64();
            println!(
                "{name:<34} {:>8.1} ms  {:>8.1} MB/s  {:>10.0} msg/s",
                s * 1e3,
                mb / s,
                n as f64 / s
            );
        }
        println!(
            "typed/baseline throughput ratio ({label}): {:.2}",
            tb.as_secs_f64() / tt.as_secs_f64()
        );
    }
}
