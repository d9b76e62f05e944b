//! The stand-in Amp CLI: this same binary, when `AMPERE_BENCH_CLI` is set.
//!
//! ampere passes its usual flags (`--execute --stream-json ...`) and writes the prompt to
//! stdin; the stand-in ignores argv and does what the variable says:
//! - `cat:PATH`: copies the file to stdout (a recorded transcript);
//! - `tick:LINES:INTERVAL_US:START_NS[:PHASE_US]`: an init line, then (from `START_NS`, ns
//!   since the Unix epoch, plus `PHASE_US` or else a phase of its own) `LINES` assistant
//!   messages, one every
//!   `INTERVAL_US` µs on a fixed schedule, each carrying the wall-clock time it was written
//!   (`STAMP <ns since the Unix epoch>`), then a result line;
//! - `reply`: reads stdin to its end (the prompt), then prints init, one assistant
//!   message and a result.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The environment variable that turns this binary into the stand-in CLI.
pub const MODE_VAR: &str = "AMPERE_BENCH_CLI";

/// A minimal init line (the generator's shape).
pub const INIT: &str = r#"{"type":"system","subtype":"init","cwd":"/tmp","session_id":"T-bench","tools":["Bash"],"mcp_servers":[]}"#;
/// A minimal success result line.
pub const RESULT: &str = r#"{"type":"result","subtype":"success","duration_ms":1,"is_error":false,"num_turns":1,"result":"done","session_id":"T-bench","usage":{"input_tokens":1,"output_tokens":1}}"#;

/// One assistant line carrying `text`.
pub fn assistant(text: &str) -> String {
    format!(
        r#"{{"type":"assistant","message":{{"type":"message","role":"assistant","content":[{{"type":"text","text":"{text}"}}],"stop_reason":"end_turn","usage":{{"input_tokens":1,"output_tokens":1}}}},"parent_tool_use_id":null,"session_id":"T-bench"}}"#
    )
}

/// Nanoseconds since the Unix epoch now (the clock both processes share).
pub fn epoch_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// Parses `STAMP <ns>` out of a message text; the latency in µs from then to now.
pub fn latency_us(text: &str) -> Option<f64> {
    let stamp: u128 = text.strip_prefix("STAMP ")?.trim().parse().ok()?;
    let now = epoch_ns();
    Some(now.saturating_sub(stamp) as f64 / 1000.0)
}

/// Runs the stand-in in `mode`.
pub fn run(mode: &str) -> ExitCode {
    match run_mode(mode) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe means the reader went away: not the stand-in's failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stand-in CLI ({mode}): {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_mode(mode: &str) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut parts = mode.splitn(2, ':');
    match parts.next() {
        Some("cat") => {
            let path = parts.next().unwrap_or_default();
            let mut file = std::fs::File::open(path)?;
            std::io::copy(&mut file, &mut out)?;
            out.flush()
        }
        Some("tick") => {
            let mut rest = parts.next().unwrap_or_default().split(':');
            let mut num = || rest.next().and_then(|s| s.parse::<u128>().ok());
            let lines = num().unwrap_or(100) as u64;
            let interval = num().unwrap_or(5000) as u64;
            let start_ns = num().unwrap_or(0);
            let given_phase = num();
            writeln!(out, "{INIT}")?;
            out.flush()?;
            // Start ticking at the shared start time (after every stand-in has started),
            // at a phase of its own in the interval, as independent executions would (or at
            // the phase given: two paired executions tick half an interval apart).
            let phase = given_phase.unwrap_or_else(|| {
                u128::from(std::process::id()).wrapping_mul(7919) % u128::from(interval.max(1))
            });
            let wait_ns = (start_ns + phase * 1000).saturating_sub(epoch_ns());
            std::thread::sleep(Duration::from_nanos(wait_ns as u64));
            let start = Instant::now();
            for i in 1..=lines {
                let due = start + Duration::from_micros(interval * i);
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                let line = assistant(&format!("STAMP {}", epoch_ns()));
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")?;
                out.flush()?;
            }
            writeln!(out, "{RESULT}")?;
            out.flush()
        }
        Some("reply") => {
            let mut prompt = Vec::new();
            std::io::stdin().read_to_end(&mut prompt)?;
            writeln!(out, "{INIT}\n{}\n{RESULT}", assistant("hello"))?;
            out.flush()
        }
        _ => Err(std::io::Error::other(format!("unknown mode {mode:?}"))),
    }
}
