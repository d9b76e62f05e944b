//! Item 4: 200 sequential and 100 concurrent spawns per runtime (spawn, write the prompt,
//! read to the end) vs a plain `std::process` spawn-write-read loop.

use std::time::{Duration, Instant};

use crate::drive::{self, PlainStdio};
use crate::stats::spread;
use crate::{Ctx, RUNTIMES};

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
    let names: Vec<&str> = ["plain std::process", PLAIN_LIKE_AMPERE]
        .into_iter()
        .chain(RUNTIMES.iter().map(|r| r.name()))
        .collect();
    // [variant][round] wall time, for sequential and concurrent.
    let mut seq: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut conc: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    one_plain(ctx)?; // warm up
    for round in 0..ctx.rounds {
        // Rotate the order each round, so that no variant always runs first.
        // `--only RUNTIME` skips the other runtimes (the baselines always run).
        let order: Vec<usize> = (0..names.len())
            .map(|j| (j + round) % names.len())
            .filter(|&k| k < 2 || ctx.only.is_none_or(|only| RUNTIMES[k - 2] == only))
            .collect();
        for &k in &order {
            let t = timed(|| {
                for _ in 0..SEQUENTIAL {
                    one(ctx, k)?;
                }
                Ok(())
            })?;
            seq[k].push(ms(t));
        }
        for &k in &order {
            conc[k].push(ms(timed(|| concurrent(ctx, k))?));
        }
    }
    println!("| | {SEQUENTIAL} sequential: ms median (min–max) | ÷ plain per round | ÷ plain like ampere | per spawn µs | {CONCURRENT} concurrent: ms | ÷ plain per round | ÷ plain like ampere |");
    println!("|---|---|---|---|---|---|---|---|");
    let ratio = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a / b).collect::<Vec<_>>();
    for k in (0..names.len()).filter(|&k| !seq[k].is_empty()) {
        println!(
            "| {} | {} | {} | {} | {:.0} | {} | {} | {} |",
            names[k],
            spread(&seq[k], 1),
            spread(&ratio(&seq[k], &seq[0]), 3),
            spread(&ratio(&seq[k], &seq[1]), 3),
            crate::stats::median(&seq[k]) * 1e3 / SEQUENTIAL as f64,
            spread(&conc[k], 1),
            spread(&ratio(&conc[k], &conc[0]), 3),
            spread(&ratio(&conc[k], &conc[1]), 3)
        );
    }
    println!("{PLAIN_LIKE_AMPERE}: the plain loop plus what every execution of ampere needs: the CLI's arguments, stderr piped and read to its end, the child in its own process group");
    println!("target: ≤ 1.05× the plain loop");
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

fn one_plain(ctx: &Ctx) -> Result<(), String> {
    let n = drive::plain(ctx, MODE, Some(PROMPT), |_| {})?;
    expect3(n)
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

/// The second baseline: the plain loop with ampere's stdio ([`PlainStdio::LikeAmpere`]).
fn one_plain_like_ampere(ctx: &Ctx) -> Result<(), String> {
    expect3(drive::plain_as(
        ctx,
        PlainStdio::LikeAmpere,
        MODE,
        Some(PROMPT),
        |_| {},
    )?)
}

fn one(ctx: &Ctx, k: usize) -> Result<(), String> {
    match k {
        0 => one_plain(ctx),
        1 => one_plain_like_ampere(ctx),
        _ => expect3(drive::execution(ctx, RUNTIMES[k - 2], MODE, |_| {})?),
    }
}

fn concurrent(ctx: &Ctx, k: usize) -> Result<(), String> {
    if k < 2 {
        let handles: Vec<_> = (0..CONCURRENT)
            .map(|_| {
                let ctx = ctx.clone();
                std::thread::spawn(move || one(&ctx, k))
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| "plain spawn thread panicked")??;
        }
        Ok(())
    } else {
        let n = drive::concurrent(ctx, RUNTIMES[k - 2], MODE, CONCURRENT, |_, _| {})?;
        if n == 3 * CONCURRENT as u64 {
            Ok(())
        } else {
            Err(format!("{n} messages, expected {}", 3 * CONCURRENT))
        }
    }
}
