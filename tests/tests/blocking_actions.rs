//! `ampere-blocking`'s `ActionExecutor` against the `zamp-mock` HTTP server.

use std::time::{Duration, Instant};

use ampere_blocking::{ActionError, ActionExecutor, ActionRequest, RetryPolicy};
use ampere_tests::mock::{ActionScript, Outcome, ZampMock};
use serde::Deserialize;
use serde_json::{json, Value};

fn executor(mock: &ZampMock) -> ActionExecutor {
    ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token(mock.token())
        .build()
}

#[derive(Debug, Deserialize, PartialEq)]
struct Sent {
    sent: bool,
    invoice: String,
}

#[test]
fn happy_path_untyped_and_typed() {
    let mock = ZampMock::start();
    mock.script(
        "send_invoice",
        ActionScript {
            running_polls: 2,
            outcome: Outcome::Completed(Some(json!({"sent": true, "invoice": "inv_123"}))),
            ..ActionScript::default()
        },
    );
    let exec = executor(&mock);
    let value: Value = exec
        .execute("send_invoice", json!({"invoice_id": "inv_123"}))
        .expect("untyped");
    assert_eq!(value, json!({"sent": true, "invoice": "inv_123"}));
    let typed: Sent = exec
        .execute("send_invoice", json!({"invoice_id": "inv_123"}))
        .expect("typed");
    assert_eq!(
        typed,
        Sent {
            sent: true,
            invoice: "inv_123".into()
        }
    );
    // One create each, polled until terminal; every request carried the token and JSON.
    assert_eq!(mock.count_creates("send_invoice"), 2);
    let ids = mock.action_ids("send_invoice");
    assert_eq!(ids.len(), 2);
    assert_eq!(mock.count_polls(&ids[0]), 3);
    let requests = mock.requests();
    assert!(requests.iter().all(|r| r.authorized), "{requests:?}");
    let create = requests
        .iter()
        .find(|r| r.method == "POST")
        .expect("a create");
    assert_eq!(create.header("content-type"), Some("application/json"));
    let body = create.body.as_ref().expect("json body");
    assert_eq!(body["params"], json!({"invoice_id": "inv_123"}));
    assert_eq!(body["is_external_action"], true);
    assert_eq!(body["retry_policy"]["initial_interval"], "PT30S");
}

#[test]
fn a_full_request_with_summary_policy_and_timeout() {
    let mock = ZampMock::start();
    mock.script(
        "echo",
        ActionScript {
            echo_body: true,
            ..ActionScript::default()
        },
    );
    let request = ActionRequest::new("echo", json!([1, 2, 3]))
        .summary("an echo")
        .retry_policy(RetryPolicy {
            initial_interval: Duration::from_millis(1500),
            maximum_attempts: 3,
            maximum_interval: Duration::from_secs(60),
            backoff_coefficient: 2.0,
        })
        .start_to_close_timeout(Duration::from_secs(90));
    let body: Value = executor(&mock).execute_request(request).expect("echo");
    assert_eq!(body["summary"], "an echo");
    assert_eq!(body["retry_policy"]["initial_interval"], "PT1.5S");
    assert_eq!(body["start_to_close_timeout_seconds"], json!(90.0));
}

#[test]
fn a_5xx_create_is_retried_after_a_second() {
    let mock = ZampMock::start();
    mock.script(
        "flaky",
        ActionScript {
            create_5xx: 1,
            ..ActionScript::default()
        },
    );
    let start = Instant::now();
    let value: Value = executor(&mock)
        .execute("flaky", json!({}))
        .expect("retried");
    assert_eq!(value, json!({"ok": true}));
    assert_eq!(mock.count_creates("flaky"), 2);
    assert!(start.elapsed() >= Duration::from_secs(1), "waited 1 s");
}

#[test]
fn a_5xx_poll_is_waited_through() {
    let mock = ZampMock::start();
    mock.script(
        "poll5xx",
        ActionScript {
            poll_5xx: 2,
            ..ActionScript::default()
        },
    );
    let value: Value = executor(&mock).execute("poll5xx", json!({})).expect("ok");
    assert_eq!(value, json!({"ok": true}));
}

#[test]
fn a_429_create_surfaces_at_once_after_a_single_create() {
    let mock = ZampMock::start();
    mock.script(
        "limited",
        ActionScript {
            create_status: Some(429),
            ..ActionScript::default()
        },
    );
    let err = executor(&mock)
        .execute::<Value>("limited", json!({}))
        .expect_err("429");
    assert_eq!(err.http_status(), Some(429));
    assert!(err.to_string().starts_with("HTTP 429 from "), "{err}");
    assert_eq!(mock.count_creates("limited"), 1);
    assert!(
        mock.requests().iter().all(|r| r.method == "POST"),
        "no poll"
    );
}

#[test]
fn a_wrong_token_is_401() {
    let mock = ZampMock::start();
    let exec = ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token("wrong-token")
        .build();
    let err = exec.execute::<Value>("any", json!({})).expect_err("401");
    match &err {
        ActionError::Http {
            status: Some(401),
            message,
            body: Some(body),
        } => {
            assert!(message.contains("unauthorized"), "{message}");
            assert!(body.contains("unauthorized"), "{body}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !format!("{exec:?}").contains("wrong-token"),
        "token redacted"
    );
}

#[test]
fn a_failed_action_is_failed_with_id_status_and_error() {
    let mock = ZampMock::start();
    mock.script(
        "boom",
        ActionScript {
            outcome: Outcome::failed("kaput"),
            ..ActionScript::default()
        },
    );
    let err = executor(&mock)
        .execute::<Value>("boom", json!({}))
        .expect_err("failed");
    match &err {
        ActionError::Failed {
            action_id,
            status,
            error,
        } => {
            assert_eq!(status, "FAILED");
            assert_eq!(error, "kaput");
            assert_eq!(mock.action_ids("boom"), vec![action_id.clone()]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unexpected_status_is_an_error() {
    let mock = ZampMock::start();
    mock.script(
        "paused",
        ActionScript {
            outcome: Outcome::Status("PAUSED".into()),
            ..ActionScript::default()
        },
    );
    let err = executor(&mock)
        .execute::<Value>("paused", json!({}))
        .expect_err("unexpected");
    assert!(
        matches!(err, ActionError::UnexpectedStatus { ref status, .. } if status == "PAUSED"),
        "{err:?}"
    );
}

#[test]
fn a_result_that_does_not_fit_keeps_the_raw_value() {
    let mock = ZampMock::start();
    let err = executor(&mock)
        .execute::<Sent>("default", json!({}))
        .expect_err("mismatch");
    match err {
        ActionError::ResultType { raw, message } => {
            assert_eq!(raw, json!({"ok": true}));
            assert!(!message.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_non_json_answer_is_a_decode_error() {
    let mock = ZampMock::start();
    mock.script(
        "garbled",
        ActionScript {
            create_non_json: true,
            ..ActionScript::default()
        },
    );
    let err = executor(&mock)
        .execute::<Value>("garbled", json!({}))
        .expect_err("decode");
    assert!(matches!(err, ActionError::Decode { .. }), "{err:?}");
}

#[test]
fn inline_execution_needs_no_poll() {
    let mock = ZampMock::start();
    mock.script(
        "inline",
        ActionScript {
            inline: true,
            outcome: Outcome::Completed(Some(json!("done"))),
            ..ActionScript::default()
        },
    );
    let value: String = executor(&mock)
        .execute_request(ActionRequest::new("inline", json!({})).inline())
        .expect("inline");
    assert_eq!(value, "done");
    assert!(mock.requests().iter().all(|r| r.method == "POST"));
}

#[test]
fn twenty_concurrent_actions_on_one_executor() {
    let mock = ZampMock::start();
    // Each action polls for about 2 s, so all twenty are in flight together.
    mock.set_default(ActionScript {
        running_polls: 6,
        echo_body: true,
        ..ActionScript::default()
    });
    let exec = executor(&mock);
    let start = Instant::now();
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let exec = exec.clone();
            std::thread::spawn(move || exec.execute::<Value>(format!("job-{i}"), json!({"i": i})))
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        let body = h.join().expect("thread").expect("action");
        assert_eq!(body["action_name"], format!("job-{i}"));
        assert_eq!(body["params"], json!({"i": i}));
    }
    for i in 0..20 {
        assert_eq!(mock.count_creates(&format!("job-{i}")), 1);
    }
    // Sequentially this would take about 40 s.
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_refused_connection_is_a_network_error() {
    // Bind a port, then free it: nothing listens there any more.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let exec = ActionExecutor::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .auth_token("t")
        .build();
    let err = exec.execute::<Value>("x", json!({})).expect_err("network");
    match err {
        ActionError::Http {
            status: None,
            message,
            body: None,
        } => assert!(message.starts_with("Network error: "), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn invalid_requests_are_refused_before_sending() {
    let mock = ZampMock::start();
    let bad = ActionRequest::new("x", json!({})).retry_policy(RetryPolicy {
        backoff_coefficient: 0.5,
        ..RetryPolicy::default()
    });
    let err = executor(&mock)
        .execute_request::<Value>(bad)
        .expect_err("invalid");
    assert!(matches!(err, ActionError::Validation(_)), "{err:?}");
    assert!(mock.requests().is_empty());
}
