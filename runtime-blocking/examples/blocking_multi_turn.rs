//! Multi-turn conversation: user messages come from a channel while the agent works (the
//! seed's async generator, as an `mpsc::Receiver`). The input ends when the sender is
//! dropped.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use ampere_blocking::{create_user_message, execute, AgentError, AmpOptions, Message, Prompt};

fn main() -> Result<(), AgentError> {
    let (tx, rx) = mpsc::channel();
    let producer = thread::spawn(move || {
        let _ = tx.send(create_user_message("Start analyzing the codebase"));
        // Wait for some condition or user input.
        thread::sleep(Duration::from_secs(1));
        let _ = tx.send(create_user_message(
            "Now focus on the authentication module",
        ));
        // `tx` is dropped here: the CLI's input is closed after the second message.
    });

    for message in execute(Prompt::messages(rx), AmpOptions::default()) {
        if let Message::Result(result) = message? {
            println!("{}", result.result);
        }
    }
    let _ = producer.join();
    Ok(())
}
