//! Agent error handling.
//!
//! The error kinds mirror the seed's exceptions: CLI not found, process errors (exit code or signal, stderr tail), validation, per-line decode errors, timeouts, cancellation.
//!
//! Offline against the doubles:
//! `AMP_CLI_PATH=target/debug/amp-stub cargo run -p ampere-tokio --example agent_error_handling`
//! (build the stub first with `cargo build -p ampere-tests --bin amp-stub`).

use ampere_tokio::{execute, AgentError, AmpOptions};

#[tokio::main]
async fn main() {
    let mut execution = execute("Run the build", AmpOptions::default());
    while let Some(item) = execution.next().await {
        match item {
            Ok(message) => println!("{}", message.message_type()),
            // One stdout line could not be decoded; the stream goes on.
            Err(AgentError::Decode(error)) => eprintln!("skipped a bad line: {error}"),
            Err(AgentError::CliNotFound { message, .. }) => eprintln!("{message}"),
            Err(AgentError::Process {
                exit_code,
                signal,
                stderr,
            }) => eprintln!("CLI failed (code {exit_code:?}, signal {signal:?}):\n{stderr}"),
            Err(AgentError::Validation(error)) => eprintln!("invalid option: {error}"),
            Err(AgentError::Timeout { kind, after }) => {
                eprintln!("{kind} timeout after {after:?}")
            }
            Err(AgentError::Cancelled) => eprintln!("cancelled"),
            Err(error) => eprintln!("error: {error}"),
        }
    }
}
