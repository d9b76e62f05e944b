//! Item 5: Zamp actions at scale: 2,000 × 300 ms with 1,000 in flight per runtime, and
//! 10,000 with 5,000 in flight (tokio), against the benchmark's mock (its own process).
//!
//! The ideal comes from core's poll schedule: the first poll `POLL_INITIAL` after the
//! create, each wait `POLL_COEFFICIENT` times the previous one; an action that completes
//! after 300 ms is seen done at the first poll whose cumulated wait reaches 300 ms.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ampere_core::action::{POLL_COEFFICIENT, POLL_INITIAL};
use serde_json::{json, Value};

use crate::actions_floor;
use crate::mock::{self, Server};
use crate::stats::{cpu_self, quantile, sorted, spread};
use crate::{Ctx, Runtime, RUNTIMES};

const ACTION_MS: u64 = 300;

/// (polls needed, ideal latency) for an action that completes `action` after its create.
pub fn ideal(action: Duration) -> (u32, Duration) {
    let (mut polls, mut wait, mut total) = (0u32, POLL_INITIAL.as_secs_f64(), 0.0f64);
    while total < action.as_secs_f64() {
        total += wait;
        wait *= POLL_COEFFICIENT;
        polls += 1;
    }
    (polls, Duration::from_secs_f64(total))
}

struct Run {
    fraction: f64,
    rate: f64,
    requests: f64,
    over_p50: f64,
    over_p99: f64,
    cpu_us: f64,
    mock_cpu_us: f64,
    connections: f64,
}

/// Runs the actions case (the mock alone first, unless `--case`) and prints its tables.
pub fn run(ctx: &Ctx) -> Result<(), String> {
    // The targets' cases, then a control per runtime with small bursts (100 in flight):
    // what the schedule allows when a burst's CPU is negligible.
    // Each target case follows its floor (`None`: the plain client of `actions_floor`).
    let sdk = |n, inflight| RUNTIMES.iter().map(move |r| (Some(*r), n, inflight));
    let cases: Vec<(Option<Runtime>, usize, usize)> = std::iter::once((None, 2000, 1000))
        .chain(sdk(2000, 1000))
        .chain([(None, 10_000, 5_000), (Some(Runtime::Tokio), 10_000, 5_000)])
        .chain(std::iter::once((None, 200, 100)))
        .chain(sdk(200, 100))
        .filter(|(rt, _, _)| rt.is_none_or(|rt| ctx.runs(rt)))
        .filter(|(_, n, inflight)| ctx.case.is_none_or(|c| c == (*n, *inflight)))
        .collect();
    if let (true, Some((n, m))) = (cases.is_empty(), ctx.case) {
        return Err(format!(
            "--case {n}×{m}: no such actions case here (2000×1000 and 200×100 for every runtime, 10000×5000 for tokio)"
        ));
    }
    // `--case` profiles one case: the mock alone is not measured.
    let mock_rate = match ctx.case {
        Some(_) => None,
        None => Some(mock::bench(ctx)?),
    };
    let (polls, ideal_lat) = ideal(Duration::from_millis(ACTION_MS));
    println!(
        "\n## 5b. actions of {ACTION_MS} ms; core's schedule (first poll after {:?}, ×{POLL_COEFFICIENT}): {polls} polls, ideal latency {:.0} ms + round trips, {} requests per action",
        POLL_INITIAL,
        ideal_lat.as_secs_f64() * 1e3,
        polls + 1
    );
    println!("ideal rate = in-flight ÷ ideal latency; fraction = (⌈N ÷ in-flight⌉ × ideal latency) ÷ wall time; overhead = latency − ideal latency");
    let server = Server::start(ctx, ACTION_MS)?;
    let rounds = ctx.rounds.clamp(1, 3);
    let mut results: Vec<Vec<Run>> = cases.iter().map(|_| Vec::new()).collect();
    for _ in 0..rounds {
        for (k, (rt, n, inflight)) in cases.iter().enumerate() {
            results[k].push(one(ctx, &server, *rt, *n, *inflight, ideal_lat)?);
        }
    }
    println!("| client | actions × in flight | % of ideal rate median (min–max) | ÷ floor per round | actions/s (ideal) | requests/action | overhead p50 / p99 ms | client CPU µs/action | mock CPU µs/action | connections opened |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut floor: Option<Vec<f64>> = None;
    for (k, (rt, n, inflight)) in cases.iter().enumerate() {
        let r = &results[k];
        let col = |f: fn(&Run) -> f64| r.iter().map(f).collect::<Vec<_>>();
        let med = |f: fn(&Run) -> f64| crate::stats::median(&col(f));
        let fractions = col(|x| x.fraction);
        if rt.is_none() {
            floor = Some(fractions.clone());
        }
        let of_floor: Vec<f64> = match &floor {
            Some(f) => fractions.iter().zip(f).map(|(a, b)| a / b).collect(),
            None => Vec::new(),
        };
        println!(
            "| {} | {n} × {inflight} | {} | {} | {:.0} ({:.0}) | {:.2} | {:.0} / {:.0} | {:.0} | {:.0} | {:.0} |",
            rt.map_or("floor: plain tokio client", Runtime::name),
            spread(&col(|x| x.fraction * 100.0), 1),
            if of_floor.is_empty() { "–".into() } else { spread(&of_floor, 3) },
            med(|x| x.rate),
            *inflight as f64 / ideal_lat.as_secs_f64(),
            med(|x| x.requests),
            med(|x| x.over_p50),
            med(|x| x.over_p99),
            med(|x| x.cpu_us),
            med(|x| x.mock_cpu_us),
            med(|x| x.connections),
        );
    }
    let needed = 5000.0 / ideal_lat.as_secs_f64() * (polls + 1) as f64;
    match mock_rate {
        Some(rate) => println!(
            "mock alone: {rate:.0} requests/s; 5,000 in flight at the ideal pace needs {needed:.0} requests/s"
        ),
        None => println!("mock alone: not measured (--case)"),
    }
    println!("÷ floor = the runtime's fraction ÷ the floor client's in the same round (what the machine and the mock allow)");
    println!("target: ≥ 95% at 1,000 in flight (every runtime), ≥ 80% at 5,000 (tokio), {} requests per action", polls + 1);
    Ok(())
}

fn one(
    ctx: &Ctx,
    server: &Server,
    rt: Option<Runtime>,
    n: usize,
    inflight: usize,
    ideal_lat: Duration,
) -> Result<Run, String> {
    let (r0, m0, c0) = server.stats()?;
    let cpu0 = cpu_self();
    let t = Instant::now();
    let lat = match rt {
        None => actions_floor::run(ctx, server.port, n, inflight)?,
        Some(Runtime::Tokio) => tokio_run(ctx, &server.base_url, n, inflight)?,
        Some(Runtime::AsyncStd) => async_std_run(&server.base_url, n, inflight)?,
        Some(Runtime::Blocking) => blocking_run(&server.base_url, n, inflight)?,
    };
    let wall = t.elapsed().as_secs_f64();
    let cpu = (cpu_self() - cpu0).as_secs_f64();
    let (r1, m1, c1) = server.stats()?;
    let waves = n.div_ceil(inflight) as f64;
    let over = sorted(
        lat.iter()
            .map(|l| (l - ideal_lat.as_secs_f64()) * 1e3)
            .collect(),
    );
    Ok(Run {
        fraction: waves * ideal_lat.as_secs_f64() / wall,
        rate: n as f64 / wall,
        requests: (r1 - r0) as f64 / n as f64,
        over_p50: quantile(&over, 0.5),
        over_p99: quantile(&over, 0.99),
        cpu_us: cpu * 1e6 / n as f64,
        mock_cpu_us: (m1 - m0) * 1e3 / n as f64,
        // Less the first stats request's own connection.
        connections: c1.saturating_sub(c0 + 1) as f64,
    })
}

fn params(i: usize) -> Value {
    json!({ "invoice_id": format!("inv_{i}") })
}

fn tokio_run(ctx: &Ctx, base: &str, n: usize, inflight: usize) -> Result<Vec<f64>, String> {
    let ex = ampere_tokio::ActionExecutor::builder()
        .base_url(base)
        .auth_token("bench-token")
        .build();
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..inflight)
        .map(|_| {
            let (ex, next) = (ex.clone(), next.clone());
            ctx.tokio.spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return Ok::<_, String>(lat);
                    }
                    let t = Instant::now();
                    ex.execute::<Value>("bench_action", params(i))
                        .await
                        .map_err(|e| format!("tokio action: {e}"))?;
                    lat.push(t.elapsed().as_secs_f64());
                }
            })
        })
        .collect();
    let mut all = Vec::with_capacity(n);
    for w in workers {
        all.extend(ctx.tokio.block_on(w).map_err(|e| e.to_string())??);
    }
    Ok(all)
}

fn async_std_run(base: &str, n: usize, inflight: usize) -> Result<Vec<f64>, String> {
    let ex = ampere_async_std::ActionExecutor::builder()
        .base_url(base)
        .auth_token("bench-token")
        .build();
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..inflight)
        .map(|_| {
            let (ex, next) = (ex.clone(), next.clone());
            async_std::task::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return Ok::<_, String>(lat);
                    }
                    let t = Instant::now();
                    ex.execute::<Value>("bench_action", params(i))
                        .await
                        .map_err(|e| format!("async-std action: {e}"))?;
                    lat.push(t.elapsed().as_secs_f64());
                }
            })
        })
        .collect();
    let mut all = Vec::with_capacity(n);
    for w in workers {
        all.extend(async_std::task::block_on(w)?);
    }
    Ok(all)
}

fn blocking_run(base: &str, n: usize, inflight: usize) -> Result<Vec<f64>, String> {
    let ex = ampere_blocking::ActionExecutor::builder()
        .base_url(base)
        .auth_token("bench-token")
        .build();
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..inflight)
        .map(|_| {
            let (ex, next) = (ex.clone(), next.clone());
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    let mut lat = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            return Ok::<_, String>(lat);
                        }
                        let t = Instant::now();
                        ex.execute::<Value>("bench_action", params(i))
                            .map_err(|e| format!("blocking action: {e}"))?;
                        lat.push(t.elapsed().as_secs_f64());
                    }
                })
                .map_err(|e| format!("thread: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let mut all = Vec::with_capacity(n);
    for w in workers {
        all.extend(w.join().map_err(|_| "action thread panicked")??);
    }
    Ok(all)
}
