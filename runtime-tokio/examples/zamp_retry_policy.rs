//! Zamp: retry policy, summary and start-to-close timeout.
//!
//! The platform-side retry policy is always sent (the seed's default when none is given).
//!
//! Offline against the mock: run `cargo run -p ampere-tests --bin zamp-mock`, set
//! `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN` to what it prints, then
//! `cargo run -p ampere-tokio --example zamp_retry_policy`.

use std::time::Duration;

use ampere_tokio::{ActionExecutor, ActionRequest, RetryPolicy};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = RetryPolicy {
        initial_interval: Duration::from_secs(30),
        maximum_attempts: 11,
        maximum_interval: Duration::from_secs(15 * 60),
        backoff_coefficient: 1.5,
    };
    // Or use the default configuration:
    assert_eq!(policy, RetryPolicy::default());

    let request = ActionRequest::new("send_invoice", json!({"invoice_id": "inv_123"}))
        .summary("Send the March invoice")
        .retry_policy(RetryPolicy {
            maximum_attempts: 3,
            ..policy
        })
        .start_to_close_timeout(Duration::from_secs(120));
    let result: Value = ActionExecutor::new().execute_request(request).await?;
    println!("{result}");
    Ok(())
}
