//! Skip permission prompts, for automation.
//!
//! `dangerously_allow_all(true)` passes `--dangerously-allow-all`.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example skip_permissions`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AmpOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut execution = execute(
        "Make changes without asking for permission",
        AmpOptions::default().dangerously_allow_all(true),
    );
    while let Some(message) = execution.next().await {
        // Handle messages...
        println!("{}", message?.message_type());
    }
    Ok(())
}
