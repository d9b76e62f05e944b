//! The quick start under **smol** instead of async-std: the crate is executor-independent
//! (it is built on async-io and the blocking pool, which smol uses too).
//!
//! ```sh
//! cargo run -p ampere-async-std --example async_std_smol_quick_start
//! ```

use ampere_async_std::{execute, AgentError, AmpOptions, Message};
use futures_lite::StreamExt;

fn main() -> Result<(), AgentError> {
    smol::block_on(async {
        // `Execution` is a `futures_core::Stream`: any stream combinator works on it.
        let mut messages = execute("What files are in this directory?", AmpOptions::default());
        while let Some(message) = StreamExt::next(&mut messages).await {
            match message? {
                Message::System(init) => println!("tools: {}", init.tools.join(", ")),
                Message::Result(result) => println!("Result: {}", result.result),
                _ => {}
            }
        }
        Ok(())
    })
}
