//! Thread visibility: who can see the threads an execution creates.
//!
//! `private`, `public` (sent as the CLI's `unlisted`), `workspace`, `group`.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example thread_visibility`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AmpOptions, Message, Visibility};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut execution = execute(
        "Analyze this private codebase",
        AmpOptions::default().visibility(Visibility::Private), // Only you can see this thread
    );
    while let Some(message) = execution.next().await {
        if let Message::Result(result) = message? {
            println!("{}", result.result);
            break;
        }
    }
    Ok(())
}
