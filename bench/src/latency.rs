//! Item 3: line-to-yield latency per runtime, one execution and 50 at once, a line every
//! 5 ms, beside the floor (a plain std thread reading the same stand-in's pipe, splitting
//! lines and parsing them) and the runtime floors (the same plain loop on `tokio::process`
//! and on `async-process`, as tasks).
//!
//! The stand-in stamps each line with the wall clock (`SystemTime`, shared by both
//! processes; `Instant` is per process); the consumer computes now − stamp when the
//! message is in its hands.

use std::sync::{Arc, Mutex};

use ampere_core::message::Message;

use crate::drive::{self, PlainStdio};
use crate::stats::{self, quantile, sorted, spread};
use crate::{plain_async, standin, Ctx, Runtime, RUNTIMES};

/// Lines per execution without `--lines`.
const LINES: u64 = 200;
/// Microseconds between lines.
const INTERVAL_US: u64 = 5000;

type Samples = Arc<Mutex<Vec<f64>>>;

fn record(samples: &Samples, text: Option<&str>) {
    if let Some(us) = text.and_then(standin::latency_us) {
        if let Ok(mut s) = samples.lock() {
            s.push(us);
        }
    }
}

fn from_message(samples: &Samples, m: &Message) {
    if let Message::Assistant(a) = m {
        record(samples, Some(&a.text()));
    }
}

fn from_value(samples: &Samples, v: &serde_json::Value) {
    record(samples, v["message"]["content"][0]["text"].as_str());
}

/// Runs `n` executions of the stand-in in `mode`, on the plain loop over `rt`'s processes
/// (`plain`) or through ampere on `rt`, and returns every line's latency, sorted; an error
/// unless each execution stamped `lines` lines.
fn stamps(
    ctx: &Ctx,
    name: &str,
    plain: bool,
    rt: Runtime,
    mode: &str,
    n: usize,
    lines: u64,
) -> Result<Vec<f64>, String> {
    let samples: Samples = Arc::new(Mutex::new(Vec::new()));
    let s = samples.clone();
    if plain {
        let each = move |v: &serde_json::Value| from_value(&s, v);
        plain_async::concurrent(ctx, rt, PlainStdio::Minimal, mode, None, n, each)?;
    } else {
        drive::concurrent(ctx, rt, mode, n, move |_, m| from_message(&s, m))?;
    }
    let got = samples.lock().map_err(|_| "poisoned")?.clone();
    let expected = lines * n as u64;
    if got.len() as u64 != expected {
        return Err(format!("{name}: {} stamps, expected {expected}", got.len()));
    }
    Ok(sorted(got))
}

/// Runs the latency case (1 and 50 executions) and prints its tables.
pub fn run(ctx: &Ctx) -> Result<(), String> {
    let lines = ctx.lines.unwrap_or(LINES);
    for n in [1usize, 50] {
        println!(
            "\n## 3. line-to-yield latency, {n} execution(s) at once, {lines} lines each, one every {} ms; interleaved, {} rounds",
            INTERVAL_US / 1000,
            ctx.rounds
        );
        // Columns: the plain loop on std threads (the floor), on tokio and on async-std (the
        // runtime floors), then each runtime; per round: one sample vector each.
        let plains = [Runtime::Blocking, Runtime::Tokio, Runtime::AsyncStd];
        let names: Vec<&str> = [
            "plain thread (floor)",
            "tokio::process, plain",
            "async-process, plain",
        ]
        .into_iter()
        .chain(RUNTIMES.iter().map(|r| r.name()))
        .collect();
        let mut all: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
        let mut p99s: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
        // read(2) calls per line, per round (the whole process: the consumer, the stand-in's
        // pipes, anything else reading meanwhile).
        let mut reads: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
        for round in 0..ctx.rounds {
            // Rotate the order each round, so that no variant always runs first.
            for j in 0..names.len() {
                let k = (j + round) % names.len();
                // `--only RUNTIME`: that runtime, its plain loop and the floor.
                let rt = plains
                    .get(k)
                    .copied()
                    .unwrap_or_else(|| RUNTIMES[k - plains.len()]);
                if k > 0 && !ctx.runs(rt) {
                    continue;
                }
                // Every stand-in starts ticking at the same time, once all have started.
                let start = standin::epoch_ns() + 200_000_000 + 10_000_000 * n as u128;
                let mode = format!("tick:{lines}:{INTERVAL_US}:{start}");
                let before = stats::read_calls();
                let s = stamps(ctx, names[k], k < plains.len(), rt, &mode, n, lines)?;
                if let (Some(a), Some(b)) = (before, stats::read_calls()) {
                    reads[k].push(b.saturating_sub(a) as f64 / (lines * n as u64) as f64);
                }
                p99s[k].push(quantile(&s, 0.99));
                all[k].extend(s);
            }
        }
        println!("| | p50 µs | p99 µs (all rounds) | max µs | per-round p99 µs: median (min–max) | p99 ÷ floor p99 | p99 ÷ its runtime's plain p99 | read(2) calls per line |");
        println!("|---|---|---|---|---|---|---|---|");
        let p99: Vec<f64> = all
            .iter()
            .map(|a| quantile(&sorted(a.clone()), 0.99))
            .collect();
        for (k, name) in names
            .iter()
            .enumerate()
            .filter(|(k, _)| !all[*k].is_empty())
        {
            let s = sorted(all[k].clone());
            // ampere's rows beside the plain loop on the same runtime.
            let own = (k >= plains.len())
                .then(|| plains.iter().position(|&p| p == RUNTIMES[k - plains.len()]))
                .flatten()
                .map_or("".to_string(), |p| format!("{:.2}", p99[k] / p99[p]));
            println!(
                "| {name} | {:.0} | {:.0} | {:.0} | {} | {:.2} | {own} | {} |",
                quantile(&s, 0.5),
                p99[k],
                s.last().copied().unwrap_or(0.0),
                spread(&p99s[k], 0),
                p99[k] / p99[0],
                spread(&reads[k], 2)
            );
        }
        if n == 1 {
            println!("target: p99 ≤ 100 µs (or ≤ 1.2× the floor if the floor is above 80 µs)");
        } else {
            println!("target: p99 ≤ 1 ms");
        }
    }
    paired(ctx, lines)
}

/// Table 3b alone (`ampere-bench paired`).
pub fn run_paired(ctx: &Ctx) -> Result<(), String> {
    paired(ctx, ctx.lines.unwrap_or(LINES))
}

/// One execution beside the floor at the same time: each variant runs while a floor
/// execution ticks half an interval away from it, so that both see the same minutes of the
/// machine (on a shared VM the tail of a line's latency moves from one stretch of seconds
/// to the next, which the interleaved rounds above leave in the ratio).
fn paired(ctx: &Ctx, lines: u64) -> Result<(), String> {
    println!(
        "\n## 3b. one execution paired with the floor: each beside a floor execution at the same time, ticking {:.1} ms apart, {lines} lines each, {} rounds",
        INTERVAL_US as f64 / 2000.0,
        ctx.rounds
    );
    // The first row is the floor beside itself (A/A): what the pairing alone does.
    // (name, the plain loop rather than ampere, the runtime)
    let variants: Vec<(&str, bool, Runtime)> = [
        ("plain thread (A/A)", Runtime::Blocking),
        ("tokio::process, plain", Runtime::Tokio),
        ("async-process, plain", Runtime::AsyncStd),
    ]
    .into_iter()
    .map(|(name, rt)| (name, true, rt))
    .chain(RUNTIMES.iter().map(|&r| (r.name(), false, r)))
    .filter(|&(_, plain, rt)| (plain && rt == Runtime::Blocking) || ctx.runs(rt))
    .collect();
    // Per variant: its samples and its floor's (all rounds), and the per-round p99 ratios.
    let mut seen: Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> = vec![Default::default(); variants.len()];
    for round in 0..ctx.rounds {
        for j in 0..variants.len() {
            let k = (j + round) % variants.len();
            let (name, plain, rt) = variants[k];
            let start = standin::epoch_ns() + 200_000_000;
            let floor_mode = format!("tick:{lines}:{INTERVAL_US}:{start}:0");
            let mode = format!("tick:{lines}:{INTERVAL_US}:{start}:{}", INTERVAL_US / 2);
            let (f, o) = std::thread::scope(|scope| {
                let floor_mode = floor_mode.as_str();
                let floor = scope.spawn(move || {
                    stamps(
                        ctx,
                        "the paired floor",
                        true,
                        Runtime::Blocking,
                        floor_mode,
                        1,
                        lines,
                    )
                });
                let own = stamps(ctx, name, plain, rt, &mode, 1, lines);
                let floor = floor
                    .join()
                    .map_err(|_| "the floor's thread panicked".to_string())?;
                Ok::<_, String>((floor?, own?))
            })?;
            seen[k].2.push(quantile(&o, 0.99) / quantile(&f, 0.99));
            seen[k].0.extend(o);
            seen[k].1.extend(f);
        }
    }
    println!("| | p50 µs | p99 µs (all rounds) | its floor's p50 / p99 µs | p99 ÷ its floor's p99 | per-round p99 ÷ floor's: median (min–max) |");
    println!("|---|---|---|---|---|---|");
    for ((name, _, _), (own, floor, ratios)) in variants.iter().zip(seen) {
        let (own, floor) = (sorted(own), sorted(floor));
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} / {:.0} | {:.2} | {} |",
            quantile(&own, 0.5),
            quantile(&own, 0.99),
            quantile(&floor, 0.5),
            quantile(&floor, 0.99),
            quantile(&own, 0.99) / quantile(&floor, 0.99),
            spread(&ratios, 2)
        );
    }
    println!("target: p99 ≤ 100 µs (or ≤ 1.2× the floor if the floor is above 80 µs)");
    Ok(())
}
