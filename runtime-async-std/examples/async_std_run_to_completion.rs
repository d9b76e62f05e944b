//! Simple result extraction: run the agent to completion and get a summary (the final
//! answer, usage, turns, tool calls), with an idle timeout.
//!
//! ```sh
//! cargo run -p ampere-async-std --example async_std_run_to_completion
//! ```

use std::time::Duration;

use ampere_async_std::{AgentError, Amp, AmpOptions};

fn main() {
    let amp = Amp::builder()
        .idle_timeout(Duration::from_secs(300))
        .overall_timeout(Duration::from_secs(1800))
        .build();
    let outcome = async_std::task::block_on(amp.run(
        "List all Rust files in this project",
        AmpOptions::new().dangerously_allow_all(true),
    ));
    match outcome {
        Ok(summary) => {
            println!("Found files: {}", summary.result);
            println!(
                "{} turns, {} tokens, {} tool calls, thread {}",
                summary.num_turns,
                summary.usage.total_tokens(),
                summary.tool_calls.len(),
                summary.session_id.as_deref().unwrap_or("?")
            );
        }
        Err(AgentError::ErrorResult { error, .. }) => eprintln!("The agent failed: {error}"),
        Err(error) => eprintln!("Failed: {error}"),
    }
}
