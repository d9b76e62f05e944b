//! Thread commands: create a thread, render it as Markdown, share it.
//!
//! `threads new`, `threads markdown`, `threads share multiplayer`.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example threads`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{Amp, MultiplayerSetting, TtlDuration, Visibility};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let amp = Amp::new();
    let thread_id = amp.thread_new(Some(Visibility::Private)).await?;
    println!("New thread: {thread_id}");

    let markdown = amp.thread_markdown(&thread_id).await?;
    println!("{markdown}");

    let shared = amp
        .thread_multiplayer(&thread_id, MultiplayerSetting::Ttl(TtlDuration::hours(2)))
        .await?;
    println!("{shared}");
    Ok(())
}
