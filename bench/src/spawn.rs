//! Item 4: 200 sequential and 100 concurrent spawns per runtime (spawn, write the prompt,
//! read to the end) vs a plain `std::process` spawn-write-read loop.

use std::time::{Duration, Instant};

use crate::drive::{self, PlainStdio};
use crate::stats::{context_switches, cpu_self, spread};
use crate::{plain_async, Ctx, Runtime, RUNTIMES};

const SEQUENTIAL: usize = 200;
const CONCURRENT: usize = 100;
const MODE: &str = "reply";
/// What ampere writes for a text prompt: the prompt and `\n`.
const PROMPT: &[u8] = b"bench\n";

/// Runs the spawn case and prints its table.
pub fn run(ctx: &Ctx) -> Result<(), String> {
    println!(
        "\n## 4. spawns: {SEQUENTIAL} sequential and {CONCURRENT} concurrent executions (spawn, write the prompt, read to the end); interleaved, {} rounds",
        ctx.rounds
    );
    let names: Vec<&str> = [
        "plain std::process",
        PLAIN_LIKE_AMPERE,
        "tokio::process, ampere's stdio",
        "async-process, ampere's stdio",
        PLAIN_REAPER,
        "std::process + tokio's reactor, ampere's stdio",
        "std::process + async-io's reactor, ampere's stdio",
    ]
    .into_iter()
    .chain(RUNTIMES.iter().map(|r| r.name()))
    .collect();
    // [variant][round] wall time, for sequential and concurrent.
    let mut seq: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut conc: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    // [variant][round] this process's CPU µs and context switches per sequential spawn
    // (all its threads; the stand-in's own are not counted): less noisy than wall time.
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut switches: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    one(ctx, 0)?; // warm up
    for round in 0..ctx.rounds {
        // Rotate the order each round, so that no variant always runs first.
        // `--only RUNTIME` skips the other runtimes and their plain loops (the std baselines
        // always run).
        let order: Vec<usize> = (0..names.len())
            .map(|j| (j + round) % names.len())
            .filter(|&k| k < 2 || ctx.runs(runtime_of(k)))
            .collect();
        for &k in &order {
            let (cpu0, (v0, i0)) = (cpu_self(), context_switches());
            let t = timed(|| {
                for _ in 0..SEQUENTIAL {
                    one(ctx, k)?;
                }
                Ok(())
            })?;
            let (v1, i1) = context_switches();
            seq[k].push(ms(t));
            cpu[k].push((cpu_self() - cpu0).as_secs_f64() * 1e6 / SEQUENTIAL as f64);
            switches[k].push(((v1 - v0) + (i1 - i0)) as f64 / SEQUENTIAL as f64);
        }
        for &k in &order {
            conc[k].push(ms(timed(|| concurrent(ctx, k))?));
        }
    }
    println!("| | {SEQUENTIAL} sequential: ms median (min–max) | ÷ plain per round | ÷ plain like ampere | ÷ its runtime's loop, spawned like ampere | per spawn µs | CPU µs / context switches per spawn (this process) | {CONCURRENT} concurrent: ms | ÷ plain per round | ÷ plain like ampere | ÷ its runtime's loop, spawned like ampere |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let ratio = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a / b).collect::<Vec<_>>();
    // ampere's rows beside the plain loop on the same runtime's processes.
    let own = |rows: &[Vec<f64>], k: usize| match k {
        k if k >= PLAINS => spread(&ratio(&rows[k], &rows[loop_of(runtime_of(k))]), 3),
        _ => String::new(),
    };
    for k in (0..names.len()).filter(|&k| !seq[k].is_empty()) {
        println!(
            "| {} | {} | {} | {} | {} | {:.0} | {:.0} / {:.1} | {} | {} | {} | {} |",
            names[k],
            spread(&seq[k], 1),
            spread(&ratio(&seq[k], &seq[0]), 3),
            spread(&ratio(&seq[k], &seq[1]), 3),
            own(&seq, k),
            crate::stats::median(&seq[k]) * 1e3 / SEQUENTIAL as f64,
            crate::stats::median(&cpu[k]),
            crate::stats::median(&switches[k]),
            spread(&conc[k], 1),
            spread(&ratio(&conc[k], &conc[0]), 3),
            spread(&ratio(&conc[k], &conc[1]), 3),
            own(&conc, k),
        );
    }
    println!("{PLAIN_LIKE_AMPERE}: the plain loop plus what every execution of ampere needs: the CLI's arguments, stderr piped and read to its end, the child in its own process group");
    println!("std::process + a runtime's reactor: that loop spawned as ampere's async runtimes spawn (pipes and pidfd on the reactor, the exit read off the pidfd); \"÷ its runtime's loop\" divides by it for tokio and async-std, by \"{PLAIN_LIKE_AMPERE}\" for blocking");
    println!("{PLAIN_REAPER}: that loop with one helper thread per execution, started after the spawn, that reads stderr to its end and reaps the child while the caller reads stdout and then joins it (the shape of blocking's IO thread, without ampere)");
    println!("target: ≤ 1.05× the plain loop");
    // What blocking's one IO thread per execution costs on this machine.
    let t = Instant::now();
    for _ in 0..SEQUENTIAL {
        std::thread::spawn(|| {})
            .join()
            .map_err(|_| "thread panicked")?;
    }
    println!(
        "a std thread spawn + join (blocking starts one IO thread per execution): {:.0} µs",
        t.elapsed().as_secs_f64() * 1e6 / SEQUENTIAL as f64
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn timed(f: impl FnOnce() -> Result<(), String>) -> Result<Duration, String> {
    let t = Instant::now();
    f()?;
    Ok(t.elapsed())
}

fn expect3(n: u64) -> Result<(), String> {
    if n == 3 {
        Ok(())
    } else {
        Err(format!("{n} messages from the stand-in, expected 3"))
    }
}

/// The second baseline's label.
const PLAIN_LIKE_AMPERE: &str = "plain, ampere's stdio";

/// The std loop with a helper thread per execution (see [`PlainStdio::LikeAmpereReaper`]).
const PLAIN_REAPER: &str = "plain, ampere's stdio, a reaper thread";

/// The plain loops before ampere's runtimes in the tables: std minimal, then std, tokio
/// and async-process with ampere's stdio, std with a reaper thread, then std spawns with
/// the pipes and pidfd on tokio's and on async-io's reactor (ampere's async spawn).
const PLAINS: usize = 7;

/// The runtime a row runs on (the std loops count as blocking's).
fn runtime_of(k: usize) -> Runtime {
    match k {
        2 | 5 => Runtime::Tokio,
        3 | 6 => Runtime::AsyncStd,
        k if k >= PLAINS => RUNTIMES[k - PLAINS],
        _ => Runtime::Blocking,
    }
}

/// The row of the plain loop with ampere's stdio spawned as ampere spawns on `runtime`.
fn loop_of(runtime: Runtime) -> usize {
    match runtime {
        Runtime::Blocking => 1,
        Runtime::Tokio => 5,
        Runtime::AsyncStd => 6,
    }
}

/// The process set-up of plain row `k`: minimal for the first, ampere's for the others
/// (with a reaper thread, or spawned as ampere's async runtimes spawn).
fn stdio_of(k: usize) -> PlainStdio {
    match k {
        0 => PlainStdio::Minimal,
        4 => PlainStdio::LikeAmpereReaper,
        5 | 6 => PlainStdio::LikeAmpereReactor,
        _ => PlainStdio::LikeAmpere,
    }
}

fn one(ctx: &Ctx, k: usize) -> Result<(), String> {
    let rt = runtime_of(k);
    expect3(if k < PLAINS {
        plain_async::once(ctx, rt, stdio_of(k), MODE, Some(PROMPT), |_| {})?
    } else {
        drive::execution(ctx, rt, MODE, |_| {})?
    })
}

fn concurrent(ctx: &Ctx, k: usize) -> Result<(), String> {
    let n = if k < PLAINS {
        let prompt = Some(PROMPT);
        let stdio = stdio_of(k);
        plain_async::concurrent(ctx, runtime_of(k), stdio, MODE, prompt, CONCURRENT, |_| {})?
    } else {
        drive::concurrent(ctx, runtime_of(k), MODE, CONCURRENT, |_, _| {})?
    };
    if n == 3 * CONCURRENT as u64 {
        Ok(())
    } else {
        Err(format!("{n} messages, expected {}", 3 * CONCURRENT))
    }
}
