//! Custom skills from a folder.
//!
//! `skills` goes into the generated settings overlay (`amp.skills.path`).
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example custom_skills`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AmpOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut execution = execute(
        "Use my deployment skill",
        AmpOptions::default().skills("./my-skills"), // Path to custom skills directory
    );
    while let Some(message) = execution.next().await {
        // Handle messages...
        println!("{}", message?.message_type());
    }
    Ok(())
}
