//! Multi-turn conversations, two ways:
//!
//! 1. a stream of user messages as the prompt (the seed's async generator), here fed from a
//!    task through an `async_channel`;
//! 2. an interactive [`Session`](ampere_async_std::Session): send, read the answer, send again.
//!
//! ```sh
//! cargo run -p ampere-async-std --example async_std_multi_turn
//! ```

use std::time::Duration;

use ampere_async_std::{create_user_message, AgentError, Amp, AmpOptions, Message};

fn main() -> Result<(), AgentError> {
    async_std::task::block_on(async {
        let amp = Amp::new();

        // 1. A prompt stream: messages are written to the CLI as they are produced.
        let (tx, rx) = async_channel::bounded(4);
        async_std::task::spawn(async move {
            let _ = tx
                .send(create_user_message("Start analyzing the codebase"))
                .await;
            // Wait for some condition or user input.
            async_io::Timer::after(Duration::from_secs(1)).await;
            let _ = tx
                .send(create_user_message(
                    "Now focus on the authentication module",
                ))
                .await;
            // Dropping `tx` ends the input; the CLI exits after its last answer.
        });
        let mut messages = amp.execute(rx, AmpOptions::default());
        while let Some(message) = messages.next().await {
            if let Message::Result(result) = message? {
                println!("{}", result.result);
            }
        }

        // 2. A session.
        let mut session = amp.session(AmpOptions::default());
        session.send_text("What does this project do?").await?;
        while let Some(message) = session.next().await {
            if let Message::Result(result) = message? {
                println!("First answer: {}", result.result);
                break;
            }
        }
        session.send_text("Summarize that in one sentence.").await?;
        let summary = session.finish().await?;
        println!("Last answer: {}", summary.result);
        Ok(())
    })
}
