//! Simple result extraction: run to completion and get the final answer (the seed's
//! `get_result`), with a timeout.

use std::time::Duration;

use ampere_blocking::{AgentError, Amp, AmpOptions};

fn main() -> Result<(), AgentError> {
    let amp = Amp::builder()
        .overall_timeout(Duration::from_secs(300))
        .build();
    match amp.run(
        "List all Rust files in this project",
        AmpOptions::new().dangerously_allow_all(true),
    ) {
        Ok(summary) => {
            println!("Found files: {}", summary.result);
            println!(
                "{} turns, {} tool calls, {} tokens, {} ms",
                summary.num_turns,
                summary.tool_calls.len(),
                summary.usage.total_tokens(),
                summary.duration_ms
            );
            Ok(())
        }
        Err(error) => {
            eprintln!("Failed: {error}");
            Err(error)
        }
    }
}
