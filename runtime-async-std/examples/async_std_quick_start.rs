//! The README quick start, under async-std: stream the agent's messages and print the
//! result.
//!
//! ```sh
//! export AMP_API_KEY=sgamp_your_api_key_here   # or AMP_CLI_PATH=target/debug/amp-stub
//! cargo run -p ampere-async-std --example async_std_quick_start
//! ```

use ampere_async_std::{execute, AgentError, AmpOptions, Message};

fn main() -> Result<(), AgentError> {
    async_std::task::block_on(async {
        let mut messages = execute("What files are in this directory?", AmpOptions::default());
        while let Some(message) = messages.next().await {
            if let Message::Result(result) = message? {
                println!("Result: {}", result.result);
                break;
            }
        }
        Ok(())
    })
}
