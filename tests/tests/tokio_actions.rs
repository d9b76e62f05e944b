//! `ampere-tokio` actions against the in-process `ZampMock` (real HTTP on 127.0.0.1).

use std::time::{Duration, Instant};

use ampere_tests::mock::{ActionScript, Outcome, ZampMock};
use ampere_tokio::{ActionError, ActionExecutor, ActionRequest, ExecutionMode};
use serde_json::{json, Value};

fn executor(mock: &ZampMock) -> ActionExecutor {
    ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token(mock.token())
        .build()
}

#[tokio::test]
async fn happy_path_polls_until_completed() {
    let mock = ZampMock::start();
    mock.script(
        "send_invoice",
        ActionScript {
            running_polls: 3,
            outcome: Outcome::Completed(Some(json!({"sent": true, "invoice_id": "inv_123"}))),
            ..ActionScript::default()
        },
    );
    let result: Value = executor(&mock)
        .execute("send_invoice", json!({"invoice_id": "inv_123"}))
        .await
        .expect("action succeeds");
    assert_eq!(result, json!({"sent": true, "invoice_id": "inv_123"}));
    assert_eq!(mock.count_creates("send_invoice"), 1);
    let ids = mock.action_ids("send_invoice");
    assert_eq!(ids.len(), 1);
    assert_eq!(
        mock.count_polls(&ids[0]),
        4,
        "3 RUNNING polls then the terminal one"
    );
    // Every request carried the bearer token and JSON content type on the create.
    for r in mock.requests() {
        assert!(r.authorized, "{} {} not authorized", r.method, r.path);
        if r.method == "POST" {
            assert_eq!(r.header("content-type"), Some("application/json"));
            let body = r.body.expect("create body is JSON");
            assert_eq!(body["action_name"], "send_invoice");
            assert_eq!(body["params"], json!({"invoice_id": "inv_123"}));
            assert_eq!(body["is_external_action"], true);
            assert_eq!(body["retry_policy"]["initial_interval"], "PT30S");
        }
    }
}

#[tokio::test]
async fn typed_result_and_mismatch_keeps_raw_value() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Sent {
        sent: bool,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Other {
        count: u64,
    }
    let mock = ZampMock::start();
    mock.script(
        "typed",
        ActionScript {
            outcome: Outcome::Completed(Some(json!({"sent": true}))),
            ..ActionScript::default()
        },
    );
    let ex = executor(&mock);
    let ok: Sent = ex.execute("typed", json!({})).await.expect("fits");
    assert_eq!(ok, Sent { sent: true });
    let err = ex
        .execute::<Other>("typed", json!({}))
        .await
        .expect_err("does not fit");
    match err {
        ActionError::ResultType { raw, message } => {
            assert_eq!(raw, json!({"sent": true}));
            assert!(message.contains("count"), "{message}");
        }
        other => panic!("expected ResultType, got {other:?}"),
    }
}

#[tokio::test]
async fn create_5xx_is_retried_then_succeeds() {
    let mock = ZampMock::start();
    mock.script(
        "flaky",
        ActionScript {
            create_5xx: 2,
            ..ActionScript::default()
        },
    );
    let started = Instant::now();
    let result: Value = executor(&mock)
        .execute("flaky", json!({"n": 1}))
        .await
        .expect("succeeds after two 503s");
    assert_eq!(result, json!({"ok": true}));
    assert_eq!(mock.count_creates("flaky"), 3);
    // Waited 1 s then 2 s between the creates.
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn rate_limited_create_fails_at_once_with_one_create() {
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
        .await
        .expect_err("429 fails");
    assert_eq!(err.http_status(), Some(429), "{err:?}");
    assert!(err.to_string().starts_with("HTTP 429 from "), "{err}");
    assert_eq!(mock.count_creates("limited"), 1);
    assert!(
        mock.requests().iter().all(|r| r.method == "POST"),
        "no poll"
    );
}

#[tokio::test]
async fn wrong_token_is_401() {
    let mock = ZampMock::start();
    let err = ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token("not-the-token")
        .build()
        .execute::<Value>("anything", json!({}))
        .await
        .expect_err("401");
    match &err {
        ActionError::Http {
            status,
            message,
            body,
        } => {
            assert_eq!(*status, Some(401));
            assert!(message.contains("unauthorized"), "{message}");
            assert!(body.as_deref().unwrap_or("").contains("unauthorized"));
            assert!(!message.contains("not-the-token"));
        }
        other => panic!("expected Http, got {other:?}"),
    }
}

#[tokio::test]
async fn failed_status_is_action_failed_with_id() {
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
        .expect_err("fails");
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
        other => panic!("expected Failed, got {other:?}"),
    }
    assert_eq!(err.to_string(), format!("Action {id} FAILED: kaput"));
}

#[tokio::test]
async fn fifty_concurrent_actions_on_one_executor() {
    let mock = ZampMock::start();
    mock.set_default(ActionScript {
        running_polls: 2,
        echo_body: true,
        ..ActionScript::default()
    });
    // One executor, one pooled client, reused connections.
    let ex = executor(&mock);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let ex = ex.clone();
        tasks.push(tokio::spawn(async move {
            let v: Value = ex.execute(format!("job_{i}"), json!({"i": i})).await?;
            Ok::<_, ActionError>((i, v))
        }));
    }
    for task in tasks {
        let (i, v) = task.await.expect("task").expect("action");
        assert_eq!(v["action_name"], format!("job_{i}"));
        assert_eq!(v["params"], json!({"i": i}));
    }
    let creates = mock
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(creates, 50);
}

#[tokio::test]
async fn config_from_env_and_missing_config() {
    // Explicit values win; with neither explicit nor env, a Config error names the variable.
    // (This test never sets the env, so it only checks the missing case without races.)
    if std::env::var_os("ZAMP_BASE_URL").is_some() {
        return;
    }
    let err = ActionExecutor::builder()
        .auth_token("t")
        .build()
        .execute::<Value>("x", json!({}))
        .await
        .expect_err("no base url");
    assert_eq!(err, ActionError::missing_config("ZAMP_BASE_URL"));
}

#[tokio::test]
async fn inline_execution_answers_in_the_create() {
    let mock = ZampMock::start();
    mock.script(
        "quick",
        ActionScript {
            inline: true,
            outcome: Outcome::Completed(Some(json!(42))),
            ..ActionScript::default()
        },
    );
    let request = ActionRequest::new("quick", json!({})).execution_mode(ExecutionMode::Inline);
    let v: u32 = executor(&mock)
        .execute_request(request)
        .await
        .expect("inline");
    assert_eq!(v, 42);
    assert!(mock.requests().iter().all(|r| r.method == "POST"));
}

#[tokio::test]
async fn network_error_is_reported() {
    // A port nobody listens on (bind then drop).
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let err = ActionExecutor::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .auth_token("t")
        .build()
        .execute::<Value>("x", json!({}))
        .await
        .expect_err("connection refused");
    assert!(err.to_string().starts_with("Network error: "), "{err}");
    assert_eq!(err.http_status(), None);
}

/// The per-request timeout (30 s) maps to "Request timed out". With the clock paused, tokio
/// jumps to the request's deadline while the mock sits on its answer for real.
#[tokio::test(start_paused = true)]
async fn request_timeout_is_reported() {
    let mock = ZampMock::start();
    mock.script(
        "slow",
        ActionScript {
            create_delay: Duration::from_secs(2),
            ..ActionScript::default()
        },
    );
    let err = executor(&mock)
        .execute::<Value>("slow", json!({}))
        .await
        .expect_err("times out");
    assert!(err.to_string().starts_with("Request timed out: "), "{err}");
    // The mock records a request when it answers: give it its 2 s (real time).
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(mock.count_creates("slow"), 1, "a timeout is not retried");
}
