//! The memory benchmark of issue 9: peak RSS (and whole-process throughput) of a program
//! consuming a 1 GB transcript through each runtime, fast and with a 1 ms-per-message
//! consumer, plus a transcript with ~1 MB lines; each case in a child process of its own.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/main/target cargo bench -p ampere-tests --bench rss -- [options]
//!   --dir DIR          where the transcripts are generated and kept (default: $TMPDIR/ampere-bench-rss)
//!   --turns N          turns of the main transcript (default 84000: ~1 GB)
//!   --big-turns N      turns of the big-line transcript, --big-every 10 (default 9000: ~1 GB)
//!   --slow-turns N     turns of the transcript the 1 ms consumer reads (default: --turns)
//!   --only WORD        run only the cases whose name contains WORD (repeatable)
//! ```
//!
//! The CLI is a stand-in shell script that reads its prompt and then `cat`s the transcript.
//! A case's peak RSS is the child's `VmHWM` (read from `/proc/self/status` when it is done);
//! its throughput is the transcript's size over the child's wall time (spawn to exit, as a
//! user would time the program; for the slow cases, which run side by side, the child's own
//! time from `main` to its report). Two baselines run in the same way: `raw` reads the pipe
//! and throws the bytes away, `decode` feeds them to core's `Decoder` with no runtime. The
//! slow cases (mostly asleep) run at the same time as each other; the fast ones one by one.
//! This is a `harness = false` bench: `cargo test` never runs it (and `cargo test
//! --all-targets`, which passes no `--bench`, gets a one-line notice instead).

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ampere_core::decode::{Decoder, DecoderConfig};
use ampere_core::message::Message;
use ampere_core::options::AmpOptions;

/// The environment variable telling the stand-in CLI which file to `cat`.
const FILE_ENV: &str = "AMPERE_BENCH_FILE";

/// The 1 ms consumer's pause.
const SLOW: Duration = Duration::from_millis(1);

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<String> = all.iter().filter(|a| *a != "--bench").cloned().collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1..]);
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` / `--all-targets` does not: there
    // the benchmark (minutes long) is not run.
    if !all.iter().any(|a| a == "--bench") {
        println!("rss: a benchmark, not a test: `cargo bench -p ampere-tests --bench rss`");
        return;
    }
    if let Err(e) = parent(&args) {
        eprintln!("rss bench: {e}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------------------
// the parent: transcripts, cases, the table
// ---------------------------------------------------------------------------------------------

struct Settings {
    dir: PathBuf,
    turns: u64,
    big_turns: u64,
    slow_turns: Option<u64>,
    only: Vec<String>,
}

fn settings(args: &[String]) -> Result<Settings, String> {
    let mut s = Settings {
        dir: std::env::temp_dir().join("ampere-bench-rss"),
        turns: 84_000,
        big_turns: 9_000,
        slow_turns: None,
        only: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        let num = |v: String| v.parse::<u64>().map_err(|e| format!("{a} {v}: {e}"));
        match a.as_str() {
            "--dir" => s.dir = PathBuf::from(value()?),
            "--turns" => s.turns = num(value()?)?,
            "--big-turns" => s.big_turns = num(value()?)?,
            "--slow-turns" => s.slow_turns = Some(num(value()?)?),
            "--only" => s.only.push(value()?),
            other => return Err(format!("unknown argument {other:?} (see the file's docs)")),
        }
    }
    Ok(s)
}

/// A transcript on disk, generated once with `ampere-transcript`.
struct Transcript {
    path: PathBuf,
    bytes: u64,
    max_line: u64,
}

fn transcript(dir: &Path, turns: u64, big_every: u64) -> Result<Transcript, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join(format!("transcript-t{turns}-b{big_every}.jsonl"));
    let opts = ampere_transcript::Options {
        turns,
        big_every,
        ..ampere_transcript::Options::default()
    };
    if !path.exists() {
        eprintln!("generating {} ...", path.display());
        let tmp = path.with_extension("partial");
        let file = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        ampere_transcript::write_to(&opts, BufWriter::with_capacity(1 << 20, file))
            .map_err(|e| format!("writing {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let mut file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (mut bytes, mut max_line, mut line) = (0u64, 0u64, 0u64);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        for &c in &buf[..n] {
            line += 1;
            if c == b'\n' {
                max_line = max_line.max(line);
                line = 0;
            }
        }
    }
    Ok(Transcript {
        path,
        bytes,
        max_line: max_line.max(line),
    })
}

/// The stand-in CLI: reads the prompt, then prints the transcript.
fn stand_in(dir: &Path) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("amp-cat");
    let text = format!("#!/bin/sh\ncat >/dev/null\nexec cat \"${FILE_ENV}\"\n");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

struct Case {
    name: String,
    runtime: &'static str,
    mode: &'static str,
    file: usize,
}

struct Outcome {
    messages: u64,
    errors: u64,
    vmhwm_kb: u64,
    /// Spawn to exit, seen by the parent.
    wall: Duration,
    /// The child's own time from its `main` to its report (the slow cases run together, so
    /// the parent's clock only holds for the first to be waited for).
    own: Duration,
}

fn spawn_case(case: &Case, t: &Transcript, cli: &Path) -> Result<std::process::Child, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    Command::new(exe)
        .args(["--child", case.runtime, case.mode])
        .arg(&t.path)
        .arg(cli)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", case.name))
}

fn finish_case(
    name: &str,
    child: std::process::Child,
    started: Instant,
) -> Result<Outcome, String> {
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{name}: {e}"))?;
    let wall = started.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("{name}: {:?} {text}", out.status));
    }
    let field = |key: &str| -> u64 {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok(Outcome {
        messages: field("messages"),
        errors: field("errors"),
        vmhwm_kb: field("vmhwm_kb"),
        wall,
        own: Duration::from_micros(field("micros")),
    })
}

fn parent(args: &[String]) -> Result<(), String> {
    let s = settings(args)?;
    let files = [
        transcript(&s.dir, s.turns, 0)?,
        transcript(&s.dir, s.big_turns, 10)?,
        transcript(&s.dir, s.slow_turns.unwrap_or(s.turns), 0)?,
    ];
    let cli = stand_in(&s.dir)?;
    let mut cases = Vec::new();
    for base in ["raw", "decode"] {
        for file in [0, 1] {
            cases.push((base, "fast", file));
        }
    }
    for rt in ["tokio", "async-std", "blocking"] {
        cases.push((rt, "fast", 0));
        cases.push((rt, "fast", 1));
        cases.push((rt, "slow", 2));
    }
    let cases: Vec<Case> = cases
        .into_iter()
        .map(|(runtime, mode, file)| {
            let mb = files[file].bytes as f64 / 1e6;
            let kind = if file == 1 {
                format!("big-lines {mb:.0}MB")
            } else {
                format!("{mb:.0}MB")
            };
            Case {
                name: format!("{runtime} {mode} {kind}"),
                runtime,
                mode,
                file,
            }
        })
        .filter(|c| s.only.is_empty() || s.only.iter().any(|w| c.name.contains(w.as_str())))
        .collect();

    for (i, t) in files.iter().enumerate() {
        println!(
            "transcript {i}: {} ({:.1} MB, largest line {:.2} MB)",
            t.path.display(),
            t.bytes as f64 / 1e6,
            t.max_line as f64 / 1e6
        );
    }
    println!(
        "{:<30} {:>10} {:>7} {:>11} {:>9} {:>8} {:>10}",
        "case", "messages", "errors", "peak RSS MB", "wall s", "MB/s", "target MB"
    );
    let mut results = Vec::new();
    // Fast cases one at a time (their throughput counts), then the slow ones together.
    for case in cases.iter().filter(|c| c.mode == "fast") {
        let started = Instant::now();
        let child = spawn_case(case, &files[case.file], &cli)?;
        results.push((case, finish_case(&case.name, child, started)?));
        print_row(results.last(), &files);
    }
    let slow: Vec<&Case> = cases.iter().filter(|c| c.mode == "slow").collect();
    let mut running = Vec::new();
    for case in &slow {
        running.push((
            *case,
            Instant::now(),
            spawn_case(case, &files[case.file], &cli)?,
        ));
    }
    for (case, started, child) in running {
        results.push((case, finish_case(&case.name, child, started)?));
        print_row(results.last(), &files);
    }
    let over: Vec<&str> = results
        .iter()
        .filter(|(c, o)| o.vmhwm_kb as f64 / 1024.0 > target_mb(c, &files) || o.errors > 0)
        .map(|(c, _)| c.name.as_str())
        .collect();
    if over.is_empty() {
        println!("every case within its target");
        Ok(())
    } else {
        Err(format!("over the target or with errors: {over:?}"))
    }
}

/// ≤ 32 MB, or ≤ 3 × the largest line + 32 MB for the big-line transcript.
fn target_mb(case: &Case, files: &[Transcript]) -> f64 {
    if case.file == 1 {
        3.0 * files[1].max_line as f64 / (1024.0 * 1024.0) + 32.0
    } else {
        32.0
    }
}

fn print_row(row: Option<&(&Case, Outcome)>, files: &[Transcript]) {
    if let Some((case, o)) = row {
        let wall = if case.mode == "slow" { o.own } else { o.wall };
        let mbps = files[case.file].bytes as f64 / 1e6 / wall.as_secs_f64();
        println!(
            "{:<30} {:>10} {:>7} {:>11.1} {:>9.2} {:>8.0} {:>10.1}",
            case.name,
            o.messages,
            o.errors,
            o.vmhwm_kb as f64 / 1024.0,
            wall.as_secs_f64(),
            mbps,
            target_mb(case, files)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// the child: one case
// ---------------------------------------------------------------------------------------------

/// `--child RUNTIME MODE FILE CLI`: consumes FILE through RUNTIME (or a baseline) and prints
/// `messages=N errors=N vmhwm_kb=N`.
fn child(args: &[String]) {
    let [runtime, mode, file, cli] = args else {
        eprintln!("usage: rss --child RUNTIME fast|slow FILE CLI");
        std::process::exit(2);
    };
    let started = Instant::now();
    let slow = mode == "slow";
    let options = AmpOptions::new().env(FILE_ENV, file.as_str());
    let (messages, errors) = match runtime.as_str() {
        "raw" | "decode" => baseline(runtime == "decode", cli, file),
        "tokio" => tokio_case(cli, options, slow),
        "async-std" => async_std_case(cli, options, slow),
        "blocking" => blocking_case(cli, options, slow),
        other => {
            eprintln!("unknown runtime {other:?}");
            std::process::exit(2);
        }
    };
    println!(
        "messages={messages} errors={errors} vmhwm_kb={} micros={}",
        vmhwm_kb(),
        started.elapsed().as_micros()
    );
}

/// Peak resident set size of this process, in KiB (`VmHWM`).
fn vmhwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

type Counts = (u64, u64);

fn count(counts: &mut Counts, item: &Result<Message, impl std::fmt::Debug>) {
    match item {
        Ok(_) => counts.0 += 1,
        Err(e) => {
            if counts.1 == 0 {
                eprintln!("first error: {e:?}");
            }
            counts.1 += 1;
        }
    }
}

fn baseline(decode: bool, cli: &str, file: &str) -> Counts {
    let mut child = match Command::new(cli)
        .env(FILE_ENV, file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("spawn {cli}: {e}");
            std::process::exit(1);
        }
    };
    let mut counts = (0, 0);
    let mut decoder = Decoder::new(DecoderConfig::default());
    if let Some(mut out) = child.stdout.take() {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match out.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) if decode => {
                    decoder.push(&buf[..n]);
                    while let Some(item) = decoder.poll_message() {
                        count(&mut counts, &item);
                    }
                }
                Ok(n) => counts.0 += buf[..n].iter().filter(|&&c| c == b'\n').count() as u64,
            }
        }
    }
    decoder.push_eof();
    while let Some(item) = decoder.poll_message() {
        count(&mut counts, &item);
    }
    let _ = child.wait();
    counts
}

fn tokio_case(cli: &str, options: AmpOptions, slow: bool) -> Counts {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tokio runtime: {e}");
            std::process::exit(1);
        }
    };
    rt.block_on(async {
        let amp = ampere_tokio::Amp::builder().cli_path(cli).build();
        let mut execution = amp.execute("bench", options);
        let mut counts = (0, 0);
        while let Some(item) = execution.next().await {
            count(&mut counts, &item);
            if slow {
                tokio::time::sleep(SLOW).await;
            }
        }
        counts
    })
}

fn async_std_case(cli: &str, options: AmpOptions, slow: bool) -> Counts {
    async_std::task::block_on(async {
        let amp = ampere_async_std::Amp::builder().cli_path(cli).build();
        let mut execution = amp.execute("bench", options);
        let mut counts = (0, 0);
        while let Some(item) = execution.next().await {
            count(&mut counts, &item);
            if slow {
                async_std::task::sleep(SLOW).await;
            }
        }
        counts
    })
}

fn blocking_case(cli: &str, options: AmpOptions, slow: bool) -> Counts {
    let amp = ampere_blocking::Amp::builder().cli_path(cli).build();
    let mut counts = (0, 0);
    for item in amp.execute("bench", options) {
        count(&mut counts, &item);
        if slow {
            std::thread::sleep(SLOW);
        }
    }
    let _ = std::io::stdout().flush();
    counts
}
