//! Message streaming: handle each kind of message as it arrives.
//!
//! System (tools, MCP servers), assistant (text and tool use) and the final result.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example message_streaming`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AmpOptions, Message};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut execution = execute("Run tests", AmpOptions::default());
    while let Some(message) = execution.next().await {
        match message? {
            // Session info, available tools, MCP servers
            Message::System(system) => println!("Available tools: {:?}", system.tools),
            // AI responses and tool usage
            Message::Assistant(_) => println!("Assistant is working..."),
            // Final result (success or error)
            Message::Result(result) => println!("Done: {}", result.result),
            Message::ErrorResult(error) => println!("Failed: {}", error.error),
            _ => {}
        }
    }
    Ok(())
}
