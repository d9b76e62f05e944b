//! Zamp platform actions: explicit configuration or the environment (`ZAMP_BASE_URL`,
//! `ZAMP_AUTH_TOKEN`), typed results, a full request, and actions from several threads on
//! one executor (one connection pool).

use std::time::Duration;

use ampere_blocking::{execute_action, ActionError, ActionExecutor, ActionRequest, RetryPolicy};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
struct InvoiceSent {
    invoice_id: String,
}

fn main() -> Result<(), ActionError> {
    let executor = ActionExecutor::builder()
        .base_url(std::env::var("ZAMP_BASE_URL").unwrap_or_else(|_| "https://api.zamp.ai".into()))
        .auth_token(std::env::var("ZAMP_AUTH_TOKEN").unwrap_or_default())
        .build();

    // Untyped.
    let result: Value = executor.execute("send_invoice", json!({"invoice_id": "inv_123"}))?;
    println!("{result}");

    // Typed: a result that does not fit is `ActionError::ResultType` (with the raw value).
    match executor.execute::<InvoiceSent>("send_invoice", json!({"invoice_id": "inv_123"})) {
        Ok(sent) => println!("sent {}", sent.invoice_id),
        Err(ActionError::ResultType { message, raw }) => {
            println!("unexpected result shape ({message}): {raw}")
        }
        Err(other) => return Err(other),
    }

    // Every option of the seed.
    let request = ActionRequest::new("send_invoice", json!({"invoice_id": "inv_456"}))
        .summary("Send the March invoice")
        .retry_policy(RetryPolicy {
            initial_interval: Duration::from_secs(10),
            maximum_attempts: 5,
            maximum_interval: Duration::from_secs(300),
            backoff_coefficient: 2.0,
        })
        .start_to_close_timeout(Duration::from_secs(120));
    let result: Value = executor.execute_request(request)?;
    println!("{result}");

    // Several threads, one executor.
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let executor = executor.clone();
            std::thread::spawn(move || {
                executor.execute::<Value>("send_invoice", json!({"invoice_id": format!("inv_{i}")}))
            })
        })
        .collect();
    for handle in handles {
        match handle.join() {
            Ok(result) => println!("{}", result?),
            Err(_) => eprintln!("a worker thread panicked"),
        }
    }

    // Module-level call, configured from the environment only.
    let result = execute_action("send_invoice", json!({"invoice_id": "inv_789"}))?;
    println!("{result}");
    Ok(())
}
