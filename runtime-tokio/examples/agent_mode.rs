//! Agent mode: the model, system prompt and tool selection.
//!
//! `Mode::RUSH` for faster responses (`smart`, `rush`, `large`, `deep`, or any mode by name).
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example agent_mode`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AmpOptions, Mode};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut execution = execute(
        "Quickly fix this typo",
        AmpOptions::default().mode(Mode::RUSH), // Use rush mode for faster responses
    );
    while let Some(message) = execution.next().await {
        println!("{}", message?.message_type());
    }
    Ok(())
}
