//! Zamp: configuration from the environment, and typed results.
//!
//! With `ZAMP_BASE_URL` and `ZAMP_AUTH_TOKEN` set, no explicit configuration is needed; results deserialize into your type.
//!
//! Offline against the mock: run `cargo run -p ampere-tests --bin zamp-mock`, set
//! `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN` to what it prints, then
//! `cargo run -p ampere-tokio --example zamp_env_config`.

use ampere_tokio::{execute_action, ActionExecutor};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
struct Outcome {
    ok: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The free function: untyped result.
    let result = execute_action("send_invoice", json!({"invoice_id": "inv_123"})).await?;
    println!("raw: {result}");

    // An executor (one pooled HTTP client; clone it freely) and a typed result. A result
    // that does not fit is ActionError::ResultType, which keeps the raw value.
    let executor = ActionExecutor::new();
    let typed: Outcome = executor
        .execute("send_invoice", json!({"invoice_id": "inv_456"}))
        .await?;
    println!("typed: {typed:?} (ok = {})", typed.ok);
    Ok(())
}
