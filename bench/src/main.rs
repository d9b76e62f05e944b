//! `ampere-bench`: ampere's benchmark command (issue 10, items 2–5).
//!
//! `cargo run --release -p ampere-bench -- <case>|all` where case is one of `ingest`,
//! `latency`, `paired` (latency's table 3b alone), `spawn`, `actions`, `mock`. Every case
//! runs ampere's three runtimes side by side with a plain baseline in the same process,
//! interleaved (A/B/C/D, round after round), and prints ratios, because the machines this
//! runs on are noisy.
//!
//! The same binary is also the stand-in Amp CLI (when `AMPERE_BENCH_CLI` is set, see
//! [`standin`]) and the benchmark's Zamp mock server (`ampere-bench serve-mock`).
#![warn(missing_docs)]

mod actions;
mod actions_floor;
mod drive;
mod ingest;
mod latency;
mod mock;
mod plain_async;
mod spawn;
mod standin;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

/// The runtimes under test, in the order every table shows them.
pub const RUNTIMES: [Runtime; 3] = [Runtime::Tokio, Runtime::AsyncStd, Runtime::Blocking];

/// One of ampere's runtimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// `ampere-tokio`.
    Tokio,
    /// `ampere-async-std`.
    AsyncStd,
    /// `ampere-blocking`.
    Blocking,
}

impl Runtime {
    /// The table label.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Tokio => "tokio",
            Runtime::AsyncStd => "async-std",
            Runtime::Blocking => "blocking",
        }
    }
}

/// Settings shared by every case.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// This binary, used as the stand-in CLI and the mock server.
    pub exe: PathBuf,
    /// Scratch folder for generated transcripts.
    pub scratch: PathBuf,
    /// Rounds of interleaved A/B runs.
    pub rounds: usize,
    /// `--only RUNTIME`: every case but the mock runs only that runtime beside its
    /// baselines (for profiling).
    pub only: Option<Runtime>,
    /// `--case N×M`: the actions case runs only its cases of N actions with M in flight,
    /// without the mock measured alone first (for profiling one case).
    pub case: Option<(usize, usize)>,
    /// `--lines N`: lines per execution of the latency case (200 without it). More lines
    /// give a p99 made by more tail events than the 10th-worst of 1,000.
    pub lines: Option<u64>,
    /// The tokio runtime the tokio cases run on (multi-threaded, one worker per core).
    pub tokio: std::sync::Arc<tokio::runtime::Runtime>,
}

impl Ctx {
    /// Whether `runtime` runs under `--only` (every runtime without it).
    pub fn runs(&self, runtime: Runtime) -> bool {
        self.only.is_none_or(|only| only == runtime)
    }
}

const USAGE: &str = "usage: ampere-bench <ingest|latency|paired|spawn|actions|mock|all> [--rounds N] [--only tokio|async-std|blocking] [--case N×M (actions: N actions, M in flight)] [--lines N (latency: lines per execution)]";

fn main() -> ExitCode {
    if let Some(mode) = std::env::var_os(standin::MODE_VAR) {
        return standin::run(&mode.to_string_lossy());
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve-mock") {
        return mock::serve_main();
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ampere-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let case = args.first().ok_or(USAGE)?.clone();
    let mut rounds = None;
    let mut only = None;
    let mut only_case = None;
    let mut lines = None;
    let mut rest = args[1..].iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--rounds" => {
                let n = rest.next().ok_or(USAGE)?;
                rounds = Some(n.parse::<usize>().map_err(|e| format!("--rounds: {e}"))?);
            }
            "--only" => {
                let name = rest.next().ok_or(USAGE)?;
                only = Some(
                    RUNTIMES
                        .into_iter()
                        .find(|r| r.name() == name)
                        .ok_or_else(|| format!("--only: unknown runtime {name:?}\n{USAGE}"))?,
                );
            }
            "--case" => {
                let spec = rest.next().ok_or(USAGE)?;
                only_case =
                    Some(parse_case(spec).map_err(|e| format!("--case {spec:?}: {e}\n{USAGE}"))?);
            }
            "--lines" => {
                let n = rest.next().ok_or(USAGE)?;
                lines = Some(match n.parse::<u64>() {
                    Ok(0) => return Err(format!("--lines must be at least 1\n{USAGE}")),
                    Ok(v) => v,
                    Err(e) => return Err(format!("--lines {n:?}: {e}\n{USAGE}")),
                });
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if only_case.is_some() && case != "actions" {
        return Err(format!("--case applies to the actions case only\n{USAGE}"));
    }
    if lines.is_some() && !matches!(case.as_str(), "latency" | "paired" | "all") {
        return Err(format!("--lines applies to the latency case only\n{USAGE}"));
    }
    stats::raise_nofile();
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let scratch = std::env::temp_dir().join(format!("ampere-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let ctx = Ctx {
        exe,
        scratch: scratch.clone(),
        rounds: rounds.unwrap_or(5),
        only,
        case: only_case,
        lines,
        tokio: std::sync::Arc::new(tokio),
    };
    println!("# ampere-bench {case} (rounds {})", ctx.rounds);
    println!("{}", stats::machine_line());
    let result = match case.as_str() {
        "ingest" => ingest::run(&ctx),
        "latency" => latency::run(&ctx),
        "paired" => latency::run_paired(&ctx),
        "spawn" => spawn::run(&ctx),
        "actions" => actions::run(&ctx),
        "mock" => mock::bench(&ctx).map(|_| ()),
        "all" => ingest::run(&ctx)
            .and_then(|()| latency::run(&ctx))
            .and_then(|()| spawn::run(&ctx))
            .and_then(|()| actions::run(&ctx)),
        other => Err(format!("unknown case {other:?}\n{USAGE}")),
    };
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// Parses `N×M` (or `NxM`): N actions with M in flight, both positive.
fn parse_case(spec: &str) -> Result<(usize, usize), String> {
    let (n, m) = spec
        .split_once(['×', 'x'])
        .ok_or("expected N×M, such as 2000×1000")?;
    let number = |s: &str, what: &str| match s.trim().parse::<usize>() {
        Ok(0) => Err(format!("{what} must be at least 1")),
        Ok(v) => Ok(v),
        Err(e) => Err(format!("{what} {s:?}: {e}")),
    };
    Ok((number(n, "N")?, number(m, "M")?))
}

#[cfg(test)]
mod tests {
    use super::parse_case;

    #[test]
    fn a_case_is_n_actions_by_m_in_flight() {
        assert_eq!(parse_case("2000×1000"), Ok((2000, 1000)));
        assert_eq!(parse_case("10000x5000"), Ok((10_000, 5_000)));
        let errors = [
            ("2000", "expected N×M"),
            ("0x5", "N must be at least 1"),
            ("5x0", "M must be at least 1"),
            ("ax5", "N \"a\""),
            ("5×", "M \"\""),
        ];
        for (spec, wanted) in errors {
            let error = parse_case(spec).expect_err(spec);
            assert!(error.contains(wanted), "{spec}: {error}");
        }
    }
}
