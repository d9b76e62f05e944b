//! Interactive progress tracking (the seed's `execute_with_progress`): react to each
//! message type as the agent works.
//!
//! ```sh
//! cargo run -p ampere-async-std --example async_std_execute -- "Run the tests"
//! ```

use ampere_async_std::{execute, AgentError, AmpOptions, ContentBlock, Message, Mode};

fn main() -> Result<(), AgentError> {
    let prompt = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "What files are in this directory?".to_string());
    let options = AmpOptions::new()
        .cwd(".")
        .mode(Mode::RUSH)
        .labels(["sdk", "example"]);
    async_std::task::block_on(async {
        println!("Starting task...");
        let mut messages = execute(prompt, options);
        while let Some(message) = messages.next().await {
            match message? {
                Message::System(init) if init.is_init() => {
                    println!("Tools available: {}", init.tools.join(", "));
                }
                Message::Assistant(reply) => {
                    for block in reply.content() {
                        match block {
                            ContentBlock::ToolUse { name, .. } => println!("Using {name}..."),
                            ContentBlock::Text { text } => {
                                let short: String = text.chars().take(100).collect();
                                println!("Assistant: {short}");
                            }
                            _ => {}
                        }
                    }
                }
                Message::Result(done) => {
                    println!("Completed successfully!");
                    println!("{}", done.result);
                }
                Message::ErrorResult(failed) => println!("Failed: {}", failed.error),
                _ => {}
            }
        }
        Ok(())
    })
}
