//! Thread continuity: continue the latest thread, or a thread by id.
//!
//! `AmpOptions::continue_thread(true)` or `continue_thread("T-...")`.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example thread_continuity`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, Amp, AmpOptions, Message};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Continue the most recent conversation
    let mut execution = execute(
        "What was the last error you found?",
        AmpOptions::default().continue_thread(true),
    );
    while let Some(message) = execution.next().await {
        if let Message::Result(result) = message? {
            println!("{}", result.result);
        }
    }

    // Continue a specific thread by ID (given as the first argument; else a new thread)
    let thread_id = match std::env::args().nth(1) {
        Some(id) => id,
        None => Amp::new().thread_new(None).await?,
    };
    let mut execution = execute(
        "Can you update that code we discussed?",
        AmpOptions::default().continue_thread(thread_id.as_str()),
    );
    while let Some(message) = execution.next().await {
        if let Message::Result(result) = message? {
            println!("{}", result.result);
        }
    }
    Ok(())
}
