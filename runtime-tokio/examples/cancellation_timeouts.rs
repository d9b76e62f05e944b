//! Cancellation and timeouts.
//!
//! `tokio::time::timeout` around the work (dropping the execution stops the CLI), the client's own timeouts, and an explicit `Execution::cancel`.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example cancellation_timeouts`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use std::time::Duration;

use ampere_tokio::{AgentError, Amp, AmpOptions, Message};

async fn execute_with_timeout(prompt: &str, timeout: Duration) -> Result<String, String> {
    let amp = Amp::new();
    let work = async {
        let options = AmpOptions::default().dangerously_allow_all(true);
        let mut execution = amp.execute(prompt, options);
        while let Some(message) = execution.next().await {
            if let Message::Result(result) = message.map_err(|e| e.to_string())? {
                return Ok(result.result);
            }
        }
        Err("no result".to_string())
    };
    // On timeout the execution is dropped: the CLI's process group gets SIGTERM (SIGKILL
    // after the grace), is reaped and its private files are removed.
    match tokio::time::timeout(timeout, work).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!(
            "Operation timed out after {}s",
            timeout.as_secs_f64()
        )),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Wrap the work in a timeout.
    match execute_with_timeout("Summarize the README", Duration::from_secs(30)).await {
        Ok(result) => println!("Result: {result}"),
        Err(error) => println!("{error}"),
    }

    // 2. Let the client enforce timeouts (the error says which one fired).
    let amp = Amp::builder()
        .overall_timeout(Duration::from_secs(300))
        .idle_timeout(Duration::from_secs(60))
        .kill_grace(Duration::from_secs(5))
        .build();
    match amp.run("Refactor the parser", AmpOptions::default()).await {
        Ok(summary) => println!("Result: {}", summary.result),
        Err(AgentError::Timeout { kind, after }) => println!("{kind} timeout after {after:?}"),
        Err(error) => println!("Failed: {error}"),
    }

    // 3. Cancel explicitly, and wait until the CLI is gone.
    let mut execution = amp.execute("Write a long essay", AmpOptions::default());
    if let Some(first) = execution.next().await {
        println!("first message: {}", first?.message_type());
    }
    execution.cancel().await;
    println!("cancelled");
    Ok(())
}
