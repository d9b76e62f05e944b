//! Throughput of the typed stream-JSON decoder against a `serde_json::Value` baseline.
//!
//! `cargo bench -p ampere-core --bench decode` generates, in memory with `ampere-transcript`,
//! three transcripts of about 60 MB each: `--turns 5000` (plain), `--turns 5000 --thinking`
//! and `--turns 500 --big-every 10` (a ~1 MB tool result every 10 turns). On each it
//! measures, interleaved (the order rotated each round), best of N runs
//! (`AMPERE_BENCH_RUNS`, default 11), in on-CPU time of the thread (robust on a busy machine)
//! and in wall time:
//! (a) baseline: split lines with memchr and `serde_json::from_slice::<Value>` each line;
//! (b) typed: `Decoder` fed 64 KiB chunks, every message polled.
//! (c)–(f), for comparison only: sonic-rs and simd-json (SIMD JSON parsers) on the same lines,
//! into their own dynamic values and into ampere's typed `Message` through serde.
//! It prints each side's throughput and its ratio to the baseline, then one summary table.
//! `AMPERE_BENCH_SIMD=0` leaves (c)–(f) out.
//! `AMPERE_BENCH_ONLY=typed|baseline` runs one side once per transcript (for a profiler);
//! `AMPERE_BENCH_CHUNK=N` changes the chunk size of (b);
//! `AMPERE_BENCH_TRANSCRIPTS=plain,thinking,big` picks the transcripts.
//! Each transcript is then measured again in a fresh process (the bench runs itself with
//! `AMPERE_BENCH_FRESH=FILE`), baseline and typed only: there the allocator has not been
//! warmed by generating the transcripts, as in a program that only consumes the CLI's output
//! (the in-process figures hid a decoder that released its buffers after every ~1 MB line).
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

/// Splits `bytes` into non-empty lines and hands each one to `parse`.
fn lines(bytes: &[u8], mut parse: impl FnMut(&[u8])) -> usize {
    let mut n = 0;
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes) {
        let line = &bytes[start..end];
        start = end + 1;
        if !line.is_empty() {
            parse(line);
            n += 1;
        }
    }
    n
}

/// sonic-rs (SIMD) into its own dynamic value.
fn sonic_value(bytes: &[u8]) -> usize {
    lines(bytes, |line| {
        let v: sonic_rs::Value = sonic_rs::from_slice(line).expect("valid JSON");
        black_box(&v);
    })
}

/// sonic-rs driving ampere's typed `Message` through serde.
fn sonic_typed(bytes: &[u8]) -> usize {
    lines(bytes, |line| {
        let m: ampere_core::message::Message = sonic_rs::from_slice(line).expect("valid message");
        black_box(&m);
    })
}

/// simd-json into its owned value (it parses in place, so each line is copied first, as a
/// decoder fed by a pipe would have to).
fn simd_value(bytes: &[u8]) -> usize {
    let mut buf = Vec::new();
    lines(bytes, |line| {
        buf.clear();
        buf.extend_from_slice(line);
        let v = simd_json::to_owned_value(&mut buf).expect("valid JSON");
        black_box(&v);
    })
}

/// simd-json driving ampere's typed `Message` through serde.
fn simd_typed(bytes: &[u8]) -> usize {
    let mut buf = Vec::new();
    lines(bytes, |line| {
        buf.clear();
        buf.extend_from_slice(line);
        let m: ampere_core::message::Message =
            simd_json::serde::from_slice(&mut buf).expect("valid message");
        black_box(&m);
    })
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

/// The sides measured, in order: the baseline first, then ampere's decoder, then the SIMD
/// parsers (measured only, not used by ampere; see the README's performance section).
const SIDES: [&str; 6] = [
    "baseline (lines + serde_json Value)",
    "typed Decoder (ampere)",
    "sonic-rs Value",
    "sonic-rs typed Message",
    "simd-json OwnedValue",
    "simd-json typed Message",
];

fn run_side(side: usize, bytes: &[u8], chunk: usize) -> usize {
    match side {
        0 => baseline(bytes),
        1 => typed(bytes, chunk),
        2 => sonic_value(bytes),
        3 => sonic_typed(bytes),
        4 => simd_value(bytes),
        _ => simd_typed(bytes),
    }
}

/// One transcript's best times, per side.
struct Row {
    name: &'static str,
    args: &'static str,
    mb: f64,
    best: Vec<Best>,
    /// Baseline and typed ms in a fresh process.
    fresh: Option<(f64, f64)>,
}

/// Every side `runs` times, interleaved, the order rotated each round.
fn measure(bytes: &[u8], runs: usize, chunk: usize, sides: &[usize]) -> Vec<Best> {
    let mut best: Vec<Best> = SIDES.iter().map(|_| Best::default()).collect();
    for round in 0..runs {
        for k in 0..sides.len() {
            let side = sides[(k + round) % sides.len()];
            best[side].add(time(|| run_side(side, bytes, chunk)));
        }
    }
    for &side in sides {
        assert_eq!(best[side].n, best[0].n, "every side must see every message");
    }
    best
}

fn env_num(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

/// The fresh-process side: baseline and typed on `path`, interleaved, best of `runs`; prints
/// `fresh <baseline ms> <typed ms>` (thread CPU time, else wall time).
fn fresh_child(path: &str, runs: usize, chunk: usize) {
    let bytes = std::fs::read(path).expect("the transcript file");
    let best = measure(&bytes, runs, chunk, &[0, 1]);
    let ms = |b: &Best| b.cpu.or(b.wall).map_or(f64::NAN, |t| t.as_secs_f64() * 1e3);
    println!("fresh {} {}", ms(&best[0]), ms(&best[1]));
}

/// Runs [`fresh_child`] in a new process on `bytes`; (baseline ms, typed ms).
fn fresh(bytes: &[u8], name: &str) -> Option<(f64, f64)> {
    let path =
        std::env::temp_dir().join(format!("ampere-decode-{name}-{}.jsonl", std::process::id()));
    std::fs::write(&path, bytes).ok()?;
    let out = std::process::Command::new(std::env::current_exe().ok()?)
        .arg("--bench")
        .env("AMPERE_BENCH_FRESH", &path)
        .output();
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8(out.ok()?.stdout).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("fresh "))?;
    let mut it = line.split(' ').filter_map(|v| v.parse::<f64>().ok());
    Some((it.next()?, it.next()?))
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
    // `AMPERE_BENCH_SIMD=0` leaves the SIMD parsers out.
    let simd = std::env::var("AMPERE_BENCH_SIMD").map_or(true, |v| v != "0");
    if let Ok(path) = std::env::var("AMPERE_BENCH_FRESH") {
        return fresh_child(&path, runs, chunk);
    }
    let sides: Vec<usize> = if simd {
        (0..SIDES.len()).collect()
    } else {
        vec![0, 1]
    };
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
        let best = measure(&bytes, runs, chunk, &sides);
        for (label, get) in [
            (
                "thread CPU time",
                (|b: &Best| b.cpu) as fn(&Best) -> Option<Duration>,
            ),
            ("wall time", |b: &Best| b.wall),
        ] {
            let Some(tb) = get(&best[0]) else { continue };
            println!("-- best {label}");
            for &side in &sides {
                let Some(t) = get(&best[side]) else { continue };
                let s = t.as_secs_f64();
                println!(
                    "{:<36} {:>8.1} ms  {:>8.1} MB/s  {:>10.0} msg/s  ÷ baseline {:.2}",
                    SIDES[side],
                    s * 1e3,
                    mb / s,
                    best[side].n as f64 / s,
                    tb.as_secs_f64() / s
                );
            }
        }
        let fresh = fresh(&bytes, name);
        rows.push(Row {
            name,
            args,
            mb,
            best,
            fresh,
        });
    }
    if rows.is_empty() {
        return;
    }
    let ratio = |b: Option<Duration>, t: Option<Duration>| match (b, t) {
        (Some(b), Some(t)) => format!("{:.2}", b.as_secs_f64() / t.as_secs_f64()),
        _ => "-".to_owned(),
    };
    println!("\nspeed ÷ the baseline, thread CPU time (wall time in parentheses):");
    let head: Vec<&str> = sides.iter().map(|&s| SIDES[s]).collect();
    println!(
        "| transcript | MB | baseline MB/s | {} |",
        head[1..].join(" | ")
    );
    println!("|---|---|---|{}", "---|".repeat(sides.len() - 1));
    for r in &rows {
        let base = &r.best[0];
        let speed = base
            .cpu
            .or(base.wall)
            .map_or("-".to_owned(), |t| format!("{:.0}", r.mb / t.as_secs_f64()));
        let cells: Vec<String> = sides[1..]
            .iter()
            .map(|&s| {
                let b = &r.best[s];
                format!("{} ({})", ratio(base.cpu, b.cpu), ratio(base.wall, b.wall))
            })
            .collect();
        println!(
            "| {} (`{}`) | {:.1} | {speed} | {} |",
            r.name,
            r.args,
            r.mb,
            cells.join(" | ")
        );
    }
    println!("\nin a fresh process (baseline and typed only, thread CPU time):");
    println!("| transcript | baseline ms | typed Decoder ms | typed ÷ baseline speed |");
    println!("|---|---|---|---|");
    for r in &rows {
        match r.fresh {
            Some((b, t)) => println!("| {} | {b:.1} | {t:.1} | {:.2} |", r.name, b / t),
            None => println!("| {} | - | - | - |", r.name),
        }
    }
}
