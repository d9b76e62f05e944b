//! Multi-turn conversations with streaming input (`--stream-json-input`).
//!
//! A channel of user messages is the prompt, one turn each; dropping the sender ends the input. Then the interactive form, `Amp::session`.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example multi_turn`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use std::time::Duration;

use ampere_tokio::{create_user_message, execute, Amp, AmpOptions, Message, UserInputMessage};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (tx, rx) = tokio::sync::mpsc::channel::<UserInputMessage>(8);
    tokio::spawn(async move {
        let _ = tx
            .send(create_user_message("Start analyzing the codebase"))
            .await;
        // Wait for some condition or user input
        tokio::time::sleep(Duration::from_secs(1)).await;
        let _ = tx
            .send(create_user_message(
                "Now focus on the authentication module",
            ))
            .await;
        // Dropping `tx` closes the input.
    });
    let mut execution = execute(rx, AmpOptions::default());
    while let Some(message) = execution.next().await {
        if let Message::Result(result) = message? {
            println!("Result: {}", result.result);
        }
    }

    // The interactive form: send, read, send again, finish.
    let mut session = Amp::new().session(AmpOptions::default());
    session.send_text("What does this project do?").await?;
    while let Some(message) = session.next().await {
        if let Message::Result(result) = message? {
            println!("Turn 1: {}", result.result);
            break;
        }
    }
    session.send_text("And how is it tested?").await?;
    let summary = session.finish().await?;
    println!(
        "Turn 2: {} ({} messages in all)",
        summary.result, summary.message_count
    );
    Ok(())
}
