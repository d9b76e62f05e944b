//! Zamp: error handling.
//!
//! The error kinds mirror the seed's exceptions: HTTP failures, terminal failure states, polling timeouts, missing configuration.
//!
//! Offline against the mock: run `cargo run -p ampere-tests --bin zamp-mock`, set
//! `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN` to what it prints, then
//! `cargo run -p ampere-tokio --example zamp_error_handling`.

use ampere_tokio::{ActionError, ActionExecutor};
use serde_json::{json, Value};

#[tokio::main]
async fn main() {
    let params = json!({"invoice_id": "inv_123"});
    match ActionExecutor::new()
        .execute::<Value>("my_action", params)
        .await
    {
        Ok(result) => println!("Result: {result}"),
        Err(ActionError::Http {
            status, message, ..
        }) => {
            // non-2xx status, network error, request timeout
            println!("HTTP error {status:?}: {message}");
        }
        Err(error @ (ActionError::Failed { .. } | ActionError::UnexpectedStatus { .. })) => {
            println!("Action failed: {error}");
        }
        Err(ActionError::Timeout { action_id, seconds }) => {
            println!("Timed out after {seconds}s; action {action_id} may still complete");
        }
        Err(ActionError::Config { message, .. }) => {
            println!("Configuration: {message}");
        }
        Err(error) => println!("Error: {error}"),
    }
}
