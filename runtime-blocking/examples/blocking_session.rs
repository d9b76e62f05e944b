//! An interactive session: send a message, read until the agent's turn ends, decide what
//! to send next, and finish with a summary of the whole conversation.

use ampere_blocking::{AgentError, Amp, AmpOptions, Message};

fn main() -> Result<(), AgentError> {
    let mut session = Amp::new().session(AmpOptions::default());
    for prompt in [
        "What does this project do?",
        "Which file is the entry point?",
    ] {
        session.send_text(prompt)?;
        for message in session.by_ref() {
            match message? {
                Message::Assistant(a) => println!("assistant: {}", a.text()),
                Message::Result(r) => {
                    println!("turn done: {}", r.result);
                    break;
                }
                _ => {}
            }
        }
    }
    let summary = session.finish()?;
    println!(
        "{} messages, {} turns in session {:?}",
        summary.message_count, summary.num_turns, summary.session_id
    );
    Ok(())
}
