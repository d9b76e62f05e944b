//! Zamp actions through the async-std / smol adapter against `ZampMock` (a real HTTP server
//! on 127.0.0.1).

mod async_std_support;

use std::time::{Duration, Instant};

use ampere_async_std::{ActionError, ActionExecutor, ActionRequest, RetryPolicy};
use ampere_tests::mock::{ActionScript, Envelope, Outcome, ZampMock};
use async_std_support::*;
use serde_json::{json, Value};

fn executor(mock: &ZampMock) -> ActionExecutor {
    ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token(mock.token())
        .build()
}

#[test]
fn happy_path_polls_until_completed() {
    on_async_std(async {
        let mock = ZampMock::start();
        mock.script(
            "send_invoice",
            ActionScript {
                running_polls: 2,
                outcome: Outcome::Completed(Some(json!({"sent": true, "id": "inv_123"}))),
                ..ActionScript::default()
            },
        );
        let result: Value = executor(&mock)
            .execute("send_invoice", json!({"invoice_id": "inv_123"}))
            .await
            .expect("completed");
        assert_eq!(result, json!({"sent": true, "id": "inv_123"}));
        assert_eq!(mock.count_creates("send_invoice"), 1);
        let ids = mock.action_ids("send_invoice");
        assert_eq!(ids.len(), 1);
        assert_eq!(mock.count_polls(&ids[0]), 3);
        // Every request carried the token and JSON content type where it had a body.
        for r in mock.requests() {
            assert!(r.authorized, "{r:?}");
            if r.method == "POST" {
                assert_eq!(r.header("content-type"), Some("application/json"));
                let body = r.body.expect("json body");
                assert_eq!(body["action_name"], "send_invoice");
                assert_eq!(body["params"], json!({"invoice_id": "inv_123"}));
                assert_eq!(body["is_external_action"], true);
                assert_eq!(body["retry_policy"]["initial_interval"], "PT30S");
            }
        }
    });
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Invoice {
    sent: bool,
    id: String,
}

#[test]
fn typed_results_and_a_typed_mismatch_keeps_the_raw_value() {
    on_async_std(async {
        let mock = ZampMock::start();
        mock.script(
            "typed",
            ActionScript {
                outcome: Outcome::Completed(Some(json!({"sent": true, "id": "inv_9"}))),
                ..ActionScript::default()
            },
        );
        mock.script(
            "mismatch",
            ActionScript {
                outcome: Outcome::Completed(Some(json!({"unexpected": 1}))),
                ..ActionScript::default()
            },
        );
        let exec = executor(&mock);
        let invoice: Invoice = exec.execute("typed", json!({})).await.expect("typed");
        assert_eq!(
            invoice,
            Invoice {
                sent: true,
                id: "inv_9".into()
            }
        );
        let err = exec
            .execute::<Invoice>("mismatch", json!({}))
            .await
            .expect_err("does not fit");
        match err {
            ActionError::ResultType { raw, message } => {
                assert_eq!(raw, json!({"unexpected": 1}));
                assert!(
                    message.contains("sent") || message.contains("missing"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn a_5xx_create_is_retried_after_a_second() {
    on_async_std(async {
        let mock = ZampMock::start();
        mock.script(
            "flaky",
            ActionScript {
                create_5xx: 1,
                ..ActionScript::default()
            },
        );
        let started = Instant::now();
        let result: Value = executor(&mock)
            .execute("flaky", json!({}))
            .await
            .expect("second create works");
        assert_eq!(result, json!({"ok": true}));
        assert_eq!(mock.count_creates("flaky"), 2);
        assert!(
            started.elapsed() >= Duration::from_millis(950),
            "{:?}",
            started.elapsed()
        );
    });
}

#[test]
fn a_5xx_while_polling_is_waited_through() {
    on_async_std(async {
        let mock = ZampMock::start();
        mock.script(
            "poll-flaky",
            ActionScript {
                poll_5xx: 2,
                ..ActionScript::default()
            },
        );
        let result: Value = executor(&mock)
            .execute("poll-flaky", json!({}))
            .await
            .expect("completes");
        assert_eq!(result, json!({"ok": true}));
    });
}

#[test]
fn status_429_surfaces_at_once_without_retry_or_poll() {
    on_async_std(async {
        let mock = ZampMock::start();
        mock.script(
            "limited",
            ActionScript {
                create_status: Some(429),
                ..ActionScript::default()
            },
        );
        let started = Instant::now();
        let err = executor(&mock)
            .execute::<Value>("limited", json!({}))
            .await
            .expect_err("429");
        assert_eq!(err.http_status(), Some(429), "{err:?}");
        assert!(err.to_string().starts_with("HTTP 429 from "), "{err}");
        assert_eq!(mock.count_creates("limited"), 1);
        assert!(mock.requests().iter().all(|r| r.method == "POST"));
        assert!(started.elapsed() < Duration::from_secs(5));
    });
}

#[test]
fn a_wrong_token_is_a_401() {
    on_async_std(async {
        let mock = ZampMock::start();
        let exec = ActionExecutor::builder()
            .base_url(mock.base_url())
            .auth_token("wrong-token")
            .build();
        let err = exec
            .execute::<Value>("anything", json!({}))
            .await
            .expect_err("401");
        assert_eq!(err.http_status(), Some(401), "{err:?}");
        assert!(err.to_string().contains("unauthorized"), "{err}");
        assert!(!err.to_string().contains("wrong-token"));
    });
}

#[test]
fn a_failed_action_names_its_id_status_and_error() {
    on_async_std(async {
        let mock = ZampMock::start();
        mock.script(
            "boom",
            ActionScript {
                running_polls: 1,
                outcome: Outcome::failed("kaput"),
                ..ActionScript::default()
            },
        );
        let err = executor(&mock)
            .execute::<Value>("boom", json!({}))
            .await
            .expect_err("failed");
        let id = mock.action_ids("boom").pop().expect("created");
        match &err {
            ActionError::Failed {
                action_id,
                status,
                error,
            } => {
                assert_eq!(action_id, &id);
                assert_eq!(status, "FAILED");
                assert_eq!(error, "kaput");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(err.to_string(), format!("Action {id} FAILED: kaput"));
    });
}

#[test]
fn an_error_envelope_and_a_non_json_body_are_clear_errors() {
    on_async_std(async {
        let mock = ZampMock::start();
        mock.script(
            "envelope",
            ActionScript {
                create_envelope: Envelope::Error(json!({"message": "nope"})),
                ..ActionScript::default()
            },
        );
        mock.script(
            "garbled",
            ActionScript {
                poll_non_json: true,
                ..ActionScript::default()
            },
        );
        let exec = executor(&mock);
        let err = exec
            .execute::<Value>("envelope", json!({}))
            .await
            .expect_err("envelope");
        assert!(err.to_string().contains("nope"), "{err}");
        let err = exec
            .execute::<Value>("garbled", json!({}))
            .await
            .expect_err("not json");
        assert!(matches!(err, ActionError::Decode { .. }), "{err:?}");
    });
}

#[test]
fn execute_request_sends_the_full_request() {
    on_async_std(async {
        let mock = ZampMock::start();
        mock.script(
            "full",
            ActionScript {
                echo_body: true,
                ..ActionScript::default()
            },
        );
        let request = ActionRequest::new("full", json!({"a": 1}))
            .summary("a summary")
            .retry_policy(RetryPolicy {
                initial_interval: Duration::from_millis(1500),
                maximum_attempts: 3,
                maximum_interval: Duration::from_secs(60),
                backoff_coefficient: 2.0,
            })
            .start_to_close_timeout(Duration::from_secs(90));
        let body: Value = executor(&mock).execute_request(request).await.expect("ok");
        assert_eq!(body["summary"], "a summary");
        assert_eq!(body["retry_policy"]["initial_interval"], "PT1.5S");
        assert_eq!(body["retry_policy"]["maximum_attempts"], 3);
        assert_eq!(body["start_to_close_timeout_seconds"], 90.0);
    });
}

#[test]
fn invalid_requests_are_refused_before_sending() {
    on_async_std(async {
        let mock = ZampMock::start();
        let request = ActionRequest::new("bad", json!({})).retry_policy(RetryPolicy {
            backoff_coefficient: 0.5,
            ..RetryPolicy::default()
        });
        let err = executor(&mock)
            .execute_request::<Value>(request)
            .await
            .expect_err("invalid");
        assert!(matches!(err, ActionError::Validation(_)), "{err:?}");
        assert!(mock.requests().is_empty());
    });
}

#[test]
fn a_refused_connection_is_a_network_error() {
    on_async_std(async {
        // Bind and close a port so nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port");
        let exec = ActionExecutor::builder()
            .base_url(format!("http://127.0.0.1:{port}"))
            .auth_token("t")
            .build();
        let err = exec
            .execute::<Value>("x", json!({}))
            .await
            .expect_err("refused");
        assert_eq!(err.http_status(), None);
        assert!(err.to_string().starts_with("Network error"), "{err}");
    });
}

#[test]
fn twenty_concurrent_actions() {
    on_async_std(async {
        let mock = ZampMock::start();
        mock.set_default(ActionScript {
            running_polls: 2,
            echo_body: true,
            create_delay: Duration::from_millis(50),
            poll_delay: Duration::from_millis(50),
            ..ActionScript::default()
        });
        let exec = executor(&mock);
        let started = Instant::now();
        let tasks: Vec<_> = (0..20)
            .map(|i: u64| {
                let exec = exec.clone();
                async_std::task::spawn(async move {
                    exec.execute::<Value>(format!("concurrent-{i}"), json!({"i": i}))
                        .await
                })
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            let body = task.await.expect("completed");
            assert_eq!(body["params"]["i"], i as u64);
        }
        // 20 sequential runs would take >= 20 * (3 * 50 ms + 0.1 s + 0.15 s) = 8 s.
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            mock.requests()
                .iter()
                .filter(|r| r.path.starts_with("/actions"))
                .count(),
            20 * 4
        );
    });
}

#[test]
fn the_free_function_uses_the_environment() {
    // Reading the environment: only assert the configuration error when it is unset here.
    if std::env::var_os("ZAMP_AUTH_TOKEN").is_some() || std::env::var_os("ZAMP_BASE_URL").is_some()
    {
        return;
    }
    on_async_std(async {
        let err = ampere_async_std::execute_action("x", json!({}))
            .await
            .expect_err("no configuration");
        assert!(matches!(err, ActionError::Config { .. }), "{err:?}");
    });
}
