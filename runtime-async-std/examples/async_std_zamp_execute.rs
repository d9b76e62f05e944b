//! Run a Zamp platform action: create it, poll until it is done, and get its result,
//! untyped or as your own type.
//!
//! ```sh
//! export ZAMP_BASE_URL=https://api.zamp.ai ZAMP_AUTH_TOKEN=your-api-token
//! cargo run -p ampere-async-std --example async_std_zamp_execute
//! ```

use std::time::Duration;

use ampere_async_std::{ActionError, ActionExecutor, ActionRequest, RetryPolicy};
use serde_json::{json, Value};

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct InvoiceSent {
    invoice_id: String,
}

fn main() -> Result<(), ActionError> {
    async_std::task::block_on(async {
        // Configuration from ZAMP_BASE_URL / ZAMP_AUTH_TOKEN ...
        let result =
            ampere_async_std::execute_action("send_invoice", json!({"invoice_id": "inv_123"}))
                .await?;
        println!("{result}");

        // ... or explicit (explicit values win over the environment).
        let executor = ActionExecutor::builder()
            .base_url(
                std::env::var("ZAMP_BASE_URL").unwrap_or_else(|_| "https://api.zamp.ai".into()),
            )
            .auth_token(std::env::var("ZAMP_AUTH_TOKEN").unwrap_or_default())
            .build();
        let typed: InvoiceSent = executor
            .execute("send_invoice", json!({"invoice_id": "inv_123"}))
            .await?;
        println!("{typed:?}");

        // Everything the seed's keyword arguments offer.
        let request = ActionRequest::new("send_invoice", json!({"invoice_id": "inv_123"}))
            .summary("Send invoice inv_123")
            .retry_policy(RetryPolicy {
                initial_interval: Duration::from_secs(30),
                maximum_attempts: 11,
                maximum_interval: Duration::from_secs(15 * 60),
                backoff_coefficient: 1.5,
            })
            .start_to_close_timeout(Duration::from_secs(120));
        let value: Value = executor.execute_request(request).await?;
        println!("{value}");
        Ok(())
    })
}
