//! Simple result extraction, without handling the stream.
//!
//! `Amp::run` runs to completion and returns a `RunSummary`; an error result is an `AgentError`.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example simple_result`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{AgentError, Amp, AmpOptions};

async fn get_result(prompt: &str) -> Result<String, AgentError> {
    let summary = Amp::new()
        .run(prompt, AmpOptions::default().dangerously_allow_all(true))
        .await?;
    Ok(summary.result)
}

#[tokio::main]
async fn main() {
    match get_result("List all Rust files in this project").await {
        Ok(result) => println!("Found files: {result}"),
        Err(error) => {
            eprintln!("Failed: {error}");
            std::process::exit(1);
        }
    }
}
