//! Error handling: every failure is one `AgentError` (or `ActionError`) variant to match on;
//! timeouts and cancellation stop the CLI's whole process group and clean up.
//!
//! ```sh
//! cargo run -p ampere-async-std --example async_std_error_handling
//! ```

use std::time::Duration;

use ampere_async_std::{ActionError, ActionExecutor, AgentError, Amp, AmpOptions, Message};
use serde_json::{json, Value};

fn describe(error: &AgentError) -> String {
    match error {
        AgentError::CliNotFound { message, .. } => format!("install the CLI: {message}"),
        AgentError::Validation(v) => format!("bad option {}: {}", v.field, v.rule),
        AgentError::Process {
            exit_code,
            signal,
            stderr,
            ..
        } => format!("CLI failed (code {exit_code:?}, signal {signal:?}): {stderr}"),
        AgentError::Decode(e) => format!("skipped an unreadable line {}: {}", e.line, e.excerpt),
        AgentError::Timeout { kind, after } => format!("{kind} timeout after {after:?}"),
        AgentError::Cancelled => "cancelled".to_string(),
        AgentError::ErrorResult { error, .. } => format!("the agent failed: {error}"),
        other => other.to_string(),
    }
}

fn main() {
    async_std::task::block_on(async {
        // Timeouts: the run ends with AgentError::Timeout (after the messages it produced).
        let amp = Amp::builder()
            .overall_timeout(Duration::from_secs(30))
            .idle_timeout(Duration::from_secs(10))
            .kill_grace(Duration::from_secs(2))
            .build();
        let mut messages = amp.execute("Analyze this project", AmpOptions::default());
        while let Some(item) = messages.next().await {
            match item {
                Ok(Message::Result(r)) => println!("Result: {}", r.result),
                Ok(_) => {}
                // A per-line decode error is recoverable: the stream goes on.
                Err(e @ AgentError::Decode(_)) => eprintln!("{}", describe(&e)),
                Err(e) => eprintln!("{}", describe(&e)),
            }
        }

        // Cancellation: stop early and wait until the process is gone and files removed
        // (simply dropping the stream does the same in the background).
        let mut messages = amp.execute("Refactor everything", AmpOptions::default());
        if let Some(Ok(Message::System(init))) = messages.next().await {
            println!("started session {}; cancelling", init.session_id);
        }
        messages.cancel().await;

        // Invalid options fail before anything is spawned.
        let bad = AmpOptions::new().labels(["not a label!"]);
        if let Err(e) = amp.run("x", bad).await {
            eprintln!("{}", describe(&e));
        }

        // Actions.
        let executor = ActionExecutor::new();
        match executor.execute::<Value>("my_action", json!({})).await {
            Ok(result) => println!("{result}"),
            Err(ActionError::Config { message, .. }) => eprintln!("{message}"),
            Err(e @ ActionError::Http { .. }) => {
                eprintln!("HTTP error {:?}: {e}", e.http_status())
            }
            Err(ActionError::Failed {
                action_id,
                status,
                error,
            }) => {
                eprintln!("Action {action_id} failed ({status}): {error}")
            }
            Err(e @ ActionError::Timeout { .. }) => eprintln!("Timed out: {e}"),
            Err(e) => eprintln!("{e}"),
        }
    });
}
