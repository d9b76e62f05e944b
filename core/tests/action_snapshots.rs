//! Snapshots of the exact `POST /actions` body (wire bytes, key order included) for the
//! seed's examples.
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use ampere_core::action::{ActionCall, ActionConfig, ActionRequest, Output, RetryPolicy};
use serde_json::json;

fn create_body(request: ActionRequest) -> String {
    let config = ActionConfig::new("https://api.zamp.ai", "your-api-token").unwrap();
    let mut call = ActionCall::new(request, config, Instant::now()).unwrap();
    match call.poll_output() {
        Output::Send(req) => String::from_utf8(req.body.unwrap()).unwrap(),
        other => panic!("expected the create, got {other:?}"),
    }
}

fn seed() -> ActionRequest {
    ActionRequest::new("send_invoice", json!({"invoice_id": "inv_123"}))
}

#[test]
fn default_policy() {
    insta::assert_snapshot!("create_default_policy", create_body(seed()));
}

#[test]
fn seed_policy_spelled_out() {
    // The seed's `RetryPolicy(initial_interval=timedelta(seconds=30), maximum_attempts=11,
    // maximum_interval=timedelta(minutes=15), backoff_coefficient=1.5)`.
    let policy = RetryPolicy {
        initial_interval: Duration::from_secs(30),
        maximum_attempts: 11,
        maximum_interval: Duration::from_secs(15 * 60),
        backoff_coefficient: 1.5,
    };
    assert_eq!(
        create_body(seed().retry_policy(policy)),
        create_body(seed())
    );
}

#[test]
fn custom_policy() {
    let policy = RetryPolicy {
        initial_interval: Duration::from_millis(1500),
        maximum_attempts: 0,
        maximum_interval: Duration::from_millis(5_400_005),
        backoff_coefficient: 2.0,
    };
    insta::assert_snapshot!(
        "create_custom_policy",
        create_body(seed().retry_policy(policy))
    );
}

#[test]
fn summary() {
    insta::assert_snapshot!(
        "create_summary",
        create_body(seed().summary("Send invoice inv_123 to ACME"))
    );
}

#[test]
fn start_to_close() {
    insta::assert_snapshot!(
        "create_start_to_close",
        create_body(seed().start_to_close_timeout(Duration::from_secs(5 * 60)))
    );
    insta::assert_snapshot!(
        "create_start_to_close_fractional",
        create_body(seed().start_to_close_timeout(Duration::from_millis(90_250)))
    );
}

#[test]
fn inline() {
    insta::assert_snapshot!("create_inline", create_body(seed().inline()));
}

#[test]
fn everything() {
    let policy = RetryPolicy {
        initial_interval: Duration::from_secs(26 * 3600),
        maximum_attempts: 5,
        maximum_interval: Duration::from_secs(400 * 86_400),
        backoff_coefficient: 1.25,
    };
    insta::assert_snapshot!(
        "create_everything",
        create_body(
            ActionRequest::new("generic", json!([1, "two", {"three": null}]))
                .summary("all options")
                .retry_policy(policy)
                .start_to_close_timeout(Duration::from_secs(7200))
                .inline()
        )
    );
}
