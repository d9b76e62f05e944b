//! Custom tools: a toolbox folder of scripts.
//!
//! `toolbox` sets `AMP_TOOLBOX` for the CLI.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example custom_tools`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AmpOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut execution = execute(
        "Use my custom deployment scripts",
        AmpOptions::default().toolbox("/usr/repository-path/toolbox"), // Path to toolbox scripts
    );
    while let Some(message) = execution.next().await {
        // Handle messages...
        println!("{}", message?.message_type());
    }
    Ok(())
}
