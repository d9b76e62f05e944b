//! Throughput of the typed stream-JSON decoder against a `serde_json::Value` baseline.
//!
//! `cargo bench -p ampere-core --bench decode` generates, in memory with `ampere-transcript`,
//! three transcripts of about 60 MB each: `--turns 5000` (plain), `--turns 5000 --thinking`
//! and `--turns 500 --big-every 10` (a ~1 MB tool result every 10 turns). On each it
//! measures, interleaved (alternating which side goes first), best of N runs
//! (`AMPERE_BENCH_RUNS`, default 11), in on-CPU time of the thread (robust on a busy machine)
//! and in wall time:
//! (a) baseline: split lines with memchr and `serde_json::from_slice::<Value>` each line;
//! (b) typed: `Decoder` fed 64 KiB chunks, every message polled.
//! It prints each side's throughput and the ratio typed/baseline, then one summary table.
//! `AMPERE_BENCH_ONLY=typed|baseline` runs one side once per transcript (for a profiler);
//! `AMPERE_BENCH_CHUNK=N` changes the chunk size of (b);
//! `AMPERE_BENCH_TRANSCRIPTS=plain,thinking,big` picks the transcripts.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use ampere_core::decode::Decoder;
use ampere_transcript::Options;

/// The benchmark's transcripts, by name (deterministic, so every run measures the same bytes).
fn transcripts() -> [(&'static str, &'static str, Options); 3] {
    [
        ("plain", "--turns 5000", Options::new(5000)),
        (
            "thinking",
            "--turns 5000 --thinking",
            Options::new(5000).thinking(true),
        ),
        (
            "big",
            "--turns 500 --big-every 10",
            Options::new(500).big_every(10),
        ),
    ]
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

/// One transcript's best times, per side.
struct Row {
    name: &'static str,
    args: &'static str,
    mb: f64,
    base: Best,
    typ: Best,
}

fn measure(bytes: &[u8], runs: usize, chunk: usize) -> (Best, Best) {
    let mut base = Best::default();
    let mut typ = Best::default();
    for round in 0..runs {
        // Alternate which side goes first.
        if round % 2 == 0 {
            base.add(time(|| baseline(bytes)));
            typ.add(time(|| typed(bytes, chunk)));
        } else {
            typ.add(time(|| typed(bytes, chunk)));
            base.add(time(|| baseline(bytes)));
        }
    }
    assert_eq!(base.n, typ.n, "both must see every message");
    (base, typ)
}

fn env_num(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

fn main() {
    let runs = env_num("AMPERE_BENCH_RUNS")
        .filter(|&r| r > 0)
        .unwrap_or(11);
    let chunk = env_num("AMPERE_BENCH_CHUNK")
        .filter(|&c| c > 0)
        .unwrap_or(64 * 1024);
    let pick = std::env::var("AMPERE_BENCH_TRANSCRIPTS").unwrap_or_default();
    // `AMPERE_BENCH_ONLY=typed` (or `baseline`) runs one side, for profilers.
    let only = std::env::var("AMPERE_BENCH_ONLY").unwrap_or_default();
    println!(
        "decoder alone vs memchr split + serde_json::from_slice::<Value>; typed Decoder fed \
         {} KiB chunks; best of {runs} runs each, interleaved",
        chunk / 1024
    );
    let mut rows = Vec::new();
    for (name, args, opts) in transcripts() {
        if !pick.is_empty() && !pick.split(',').any(|p| p.trim() == name) {
            continue;
        }
        let bytes = ampere_transcript::generate(&opts);
        let mb = bytes.len() as f64 / 1e6;
        println!(
            "\n== {name} (gen-transcript {args}): {mb:.1} MB, {} lines",
            memchr::memchr_iter(b'\n', &bytes).count()
        );
        if !only.is_empty() {
            let n = if only == "typed" {
                typed(&bytes, chunk)
            } else {
                baseline(&bytes)
            };
            println!("{only}: {n} messages");
            continue;
        }
        let (base, typ) = measure(&bytes, runs, chunk);
        for (label, get) in [
            (
                "thread CPU time",
                (|b: &Best| b.cpu) as fn(&Best) -> Option<Duration>,
            ),
            ("wall time", |b: &Best| b.wall),
        ] {
            let (Some(tb), Some(tt)) = (get(&base), get(&typ)) else {
                continue;
            };
            println!("-- best {label}");
            for (side, t, n) in [
                ("baseline (lines + Value)", tb, base.n),
                ("typed Decoder", tt, typ.n),
            ] {
                let s = t.as_secs_f64();
                println!(
                    "{side:<26} {:>8.1} ms  {:>8.1} MB/s  {:>10.0} msg/s",
                    s * 1e3,
                    mb / s,
                    n as f64 / s
                );
            }
            println!(
                "typed/baseline ratio ({label}): {:.2}",
                tb.as_secs_f64() / tt.as_secs_f64()
            );
        }
        rows.push(Row {
            name,
            args,
            mb,
            base,
            typ,
        });
    }
    if rows.is_empty() {
        return;
    }
    println!("\n| transcript | MB | baseline MB/s | typed MB/s | ratio (CPU) | ratio (wall) |");
    println!("|---|---|---|---|---|---|");
    let ratio = |b: Option<Duration>, t: Option<Duration>| match (b, t) {
        (Some(b), Some(t)) => format!("{:.2}", b.as_secs_f64() / t.as_secs_f64()),
        _ => "-".to_owned(),
    };
    for r in &rows {
        let speed = |b: &Best| {
            b.cpu
                .or(b.wall)
                .map_or("-".to_owned(), |t| format!("{:.0}", r.mb / t.as_secs_f64()))
        };
        println!(
            "| {} (`{}`) | {:.1} | {} | {} | {} | {} |",
            r.name,
            r.args,
            r.mb,
            speed(&r.base),
            speed(&r.typ),
            ratio(r.base.cpu, r.typ.cpu),
            ratio(r.base.wall, r.typ.wall),
        );
    }
}
