//! Quick start: your first Amp command.
//!
//! Streams messages and prints the final result.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example quick_start`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AmpOptions, Message};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Simple execution - get the final result
    let mut execution = execute("What files are in this directory?", AmpOptions::default());
    while let Some(message) = execution.next().await {
        if let Message::Result(result) = message? {
            println!("Result: {}", result.result);
            break;
        }
    }
    Ok(())
}
