//! Item 2: whole-process ingest per runtime vs "memchr split + `from_slice::<Value>`" on the
//! same stand-in's pipe, over a 60 MB transcript (`--turns 5000`).

use std::time::Instant;

use crate::stats::{context_switches, cpu_children, cpu_self, median, spread};
use crate::{drive, Ctx, RUNTIMES};

/// Turns of the generated transcript (about 60 MB).
const TURNS: u64 = 5000;

struct Sample {
    mb_s: f64,
    cpu_ms: f64,
    csw: f64,
}

/// Runs the ingest case and prints its table.
pub fn run(ctx: &Ctx) -> Result<(), String> {
    let path = ctx.scratch.join(format!("transcript-{TURNS}.jsonl"));
    let opts = ampere_transcript::Options::new(TURNS);
    let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    ampere_transcript::write_to(&opts, std::io::BufWriter::new(file))
        .map_err(|e| format!("writing the transcript: {e}"))?;
    let bytes = std::fs::metadata(&path).map_err(|e| e.to_string())?.len();
    let lines = opts.line_count();
    let mode = format!("cat:{}", path.display());
    println!(
        "\n## 2. ingest: {:.1} MB, {lines} lines (ampere-transcript --turns {TURNS}), stand-in cats it; whole process, interleaved, {} rounds",
        bytes as f64 / 1e6,
        ctx.rounds
    );
    // Warm the page cache and the binaries.
    drive::plain(ctx, &mode, None, |_| {})?;

    let mut base: Vec<Sample> = Vec::new();
    let mut per: Vec<Vec<Sample>> = RUNTIMES.iter().map(|_| Vec::new()).collect();
    for round in 0..ctx.rounds {
        // Rotate the order each round (0 = the baseline), so that none always runs first.
        for j in 0..=RUNTIMES.len() {
            let k = (j + round) % (RUNTIMES.len() + 1);
            if k == 0 {
                base.push(measure(bytes, || {
                    let n = drive::plain(ctx, &mode, None, |_| {})?;
                    check(n, lines, "baseline")
                })?);
            } else {
                let rt = RUNTIMES[k - 1];
                if !ctx.runs(rt) {
                    continue;
                }
                per[k - 1].push(measure(bytes, || {
                    let n = drive::execution(ctx, rt, &mode, |_| {})?;
                    check(n, lines, rt.name())
                })?);
            }
        }
    }
    let base_mb: Vec<f64> = base.iter().map(|s| s.mb_s).collect();
    println!("| | MB/s median (min–max) | ÷ baseline, per round: median (min–max) | CPU ms/run (self+child) | context switches/run |");
    println!("|---|---|---|---|---|");
    row("split + Value baseline", &base, &base_mb);
    for (k, rt) in RUNTIMES.iter().enumerate() {
        if !per[k].is_empty() {
            row(rt.name(), &per[k], &base_mb);
        }
    }
    println!("target: every runtime ≥ 1.5× the baseline");
    Ok(())
}

fn row(name: &str, samples: &[Sample], base_mb: &[f64]) {
    let mb: Vec<f64> = samples.iter().map(|s| s.mb_s).collect();
    let ratio: Vec<f64> = mb.iter().zip(base_mb).map(|(a, b)| a / b).collect();
    println!(
        "| {name} | {} | {} | {:.0} | {:.0} |",
        spread(&mb, 0),
        spread(&ratio, 2),
        median(&samples.iter().map(|s| s.cpu_ms).collect::<Vec<_>>()),
        median(&samples.iter().map(|s| s.csw).collect::<Vec<_>>()),
    );
}

fn check(n: u64, lines: u64, what: &str) -> Result<(), String> {
    if n == lines {
        Ok(())
    } else {
        Err(format!("{what}: {n} messages, expected {lines}"))
    }
}

fn measure(bytes: u64, f: impl FnOnce() -> Result<(), String>) -> Result<Sample, String> {
    let (cpu0, child0, (v0, i0)) = (cpu_self(), cpu_children(), context_switches());
    let t = Instant::now();
    f()?;
    let wall = t.elapsed();
    let (v1, i1) = context_switches();
    let cpu = (cpu_self() - cpu0) + (cpu_children() - child0);
    Ok(Sample {
        mb_s: bytes as f64 / 1e6 / wall.as_secs_f64(),
        cpu_ms: cpu.as_secs_f64() * 1e3,
        csw: ((v1 - v0) + (i1 - i0)) as f64,
    })
}
