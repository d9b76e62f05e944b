//! Thread labels: add labels to the thread an execution creates.
//!
//! Up to 20 labels of 1..=32 characters, checked before anything runs.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example thread_labels`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AmpOptions, Message};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut execution = execute(
        "Summarize this repo",
        AmpOptions::default().labels(["sdk", "summary"]),
    );
    while let Some(message) = execution.next().await {
        if let Message::Result(result) = message? {
            println!("{}", result.result);
            break;
        }
    }
    Ok(())
}
