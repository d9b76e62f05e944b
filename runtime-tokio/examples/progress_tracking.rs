//! Interactive progress tracking, for user interfaces.
//!
//! Shows the tools available, each tool use, assistant text and the outcome.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example progress_tracking`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AgentError, AmpOptions, ContentBlock, Message};

async fn execute_with_progress(prompt: &str) -> Result<(), AgentError> {
    println!("Starting task...");
    let mut execution = execute(prompt, AmpOptions::default());
    while let Some(message) = execution.next().await {
        match message? {
            Message::System(system) if system.is_init() => {
                println!("Tools available: {}", system.tools.join(", "));
            }
            Message::Assistant(assistant) => {
                // Show tool usage or assistant responses
                match assistant.message.content.first() {
                    Some(ContentBlock::ToolUse { name, .. }) => println!("Using {name}..."),
                    Some(ContentBlock::Text { text }) => {
                        let preview: String = text.chars().take(100).collect();
                        println!("Assistant: {preview}...");
                    }
                    _ => {}
                }
            }
            Message::Result(result) => {
                println!("Completed successfully!");
                println!("{}", result.result);
            }
            Message::ErrorResult(error) => println!("Failed: {}", error.error),
            _ => {}
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    execute_with_progress("Find and fix the failing test").await?;
    Ok(())
}
