//! Zamp: run one action with explicit configuration.
//!
//! Creates the action, polls until it completes, prints the result.
//!
//! Offline against the mock: run `cargo run -p ampere-tests --bin zamp-mock`, set
//! `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN` to what it prints, then
//! `cargo run -p ampere-tokio --example zamp_execute`.

use ampere_tokio::ActionExecutor;
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Explicit values (taken from the environment here so the example runs against the
    // mock; in your code pass your platform URL and token).
    let base_url =
        std::env::var("ZAMP_BASE_URL").unwrap_or_else(|_| "https://api.zamp.ai".to_string());
    let auth_token =
        std::env::var("ZAMP_AUTH_TOKEN").unwrap_or_else(|_| "your-api-token".to_string());
    let executor = ActionExecutor::builder()
        .base_url(base_url)
        .auth_token(auth_token)
        .build();
    let result: Value = executor
        .execute("send_invoice", json!({"invoice_id": "inv_123"}))
        .await?;
    println!("{result}");
    Ok(())
}
