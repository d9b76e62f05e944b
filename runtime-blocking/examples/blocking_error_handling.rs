//! Error handling: every agent and action error kind, and what each carries.

use std::time::Duration;

use ampere_blocking::{execute_action, ActionError, AgentError, Amp, AmpOptions, Message};
use serde_json::json;

fn main() {
    let amp = Amp::builder()
        .idle_timeout(Duration::from_secs(120))
        .kill_grace(Duration::from_secs(5))
        .build();

    for item in amp.execute("Analyze this project", AmpOptions::default()) {
        match item {
            Ok(Message::Result(result)) => println!("done: {}", result.result),
            Ok(_) => {}
            // A line that could not be decoded: the stream goes on.
            Err(AgentError::Decode(error)) => {
                eprintln!("skipped line {}: {}", error.line, error.excerpt)
            }
            Err(AgentError::CliNotFound { message, .. }) => eprintln!("{message}"),
            Err(AgentError::Validation(error)) => {
                eprintln!("bad option {}: {}", error.field, error.rule)
            }
            Err(AgentError::Process {
                exit_code,
                signal,
                stderr,
            }) => {
                eprintln!("the CLI failed (code {exit_code:?}, signal {signal:?}):\n{stderr}");
            }
            Err(AgentError::Timeout { kind, after }) => eprintln!("{kind} timeout after {after:?}"),
            Err(other) => eprintln!("error: {other}"),
        }
    }

    match amp.run("Fix the failing test", AmpOptions::default()) {
        Ok(summary) => println!("{}", summary.result),
        Err(AgentError::ErrorResult { subtype, error }) => {
            eprintln!("agent failed ({subtype}): {error}")
        }
        Err(AgentError::NoResult) => eprintln!("the CLI ended without a result"),
        Err(other) => eprintln!("{other}"),
    }

    match execute_action("my_action", json!({})) {
        Ok(result) => println!("{result}"),
        Err(ActionError::Http {
            status, message, ..
        }) => eprintln!("HTTP error {status:?}: {message}"),
        Err(ActionError::Failed {
            action_id,
            status,
            error,
        }) => {
            eprintln!("action {action_id} {status}: {error}")
        }
        Err(ActionError::Timeout { action_id, seconds }) => {
            eprintln!("action {action_id} still running after {seconds}s; look it up later")
        }
        Err(ActionError::Config { message, .. }) => eprintln!("{message}"),
        Err(other) => eprintln!("{other}"),
    }
}
