//! Working directory: where Amp runs.
//!
//! `AmpOptions::cwd` sets the CLI's working folder (first argument, default `.`).
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example working_directory`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AmpOptions, Message};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".to_string());
    let mut execution = execute("Refactor the auth module", AmpOptions::default().cwd(dir));
    while let Some(message) = execution.next().await {
        if let Message::System(system) = message? {
            println!("Amp runs in {}", system.cwd);
        }
    }
    Ok(())
}
