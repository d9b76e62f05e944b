//! The README quick start, blocking: stream the messages of one execution.
//!
//! Needs the Amp CLI and `AMP_API_KEY`; to try it offline, point `AMP_CLI_PATH` at the
//! project's stand-in: `cargo build -p ampere-tests --bin amp-stub` then
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-blocking --example blocking_quick_start`.

use ampere_blocking::{execute, AgentError, AmpOptions, Message};

fn main() -> Result<(), AgentError> {
    for message in execute("What files are in this directory?", AmpOptions::default()) {
        match message? {
            Message::System(init) => println!("Available tools: {}", init.tools.join(", ")),
            Message::Assistant(assistant) => println!("Assistant: {}", assistant.text()),
            Message::Result(result) => {
                println!("Result: {}", result.result);
                // Leaving the loop drops the execution: the CLI is stopped and cleaned up.
                break;
            }
            Message::ErrorResult(error) => println!("Failed: {}", error.error),
            _ => {}
        }
    }
    Ok(())
}
