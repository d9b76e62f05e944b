//! Action scenarios: Zamp actions against [`ZampMock`], a real HTTP server on 127.0.0.1.
//!
//! Polling backs off from 0.1 s (x1.5), create retries from 1 s (x2), so the scripts keep
//! to a few polls and at most two create retries.

use std::time::{Duration, Instant};

use ampere_core::action::{ActionError, ActionRequest, RetryPolicy, MAX_RESPONSE_BODY, USER_AGENT};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::mock::{ActionScript, Envelope, Outcome, RecordedRequest, ZampMock};
use crate::suite::{env_lock, ActionCfg, EnvPatch, Runtime, Suite};

fn cfg_of(mock: &ZampMock) -> ActionCfg {
    ActionCfg::explicit(mock.base_url(), mock.token())
}

fn only_id<R: Runtime>(mock: &ZampMock, name: &str) -> String {
    let ids = mock.action_ids(name);
    assert_eq!(
        ids.len(),
        1,
        "[{}] actions created for {name}: {ids:?}",
        R::NAME
    );
    ids[0].clone()
}

fn creates(mock: &ZampMock) -> Vec<RecordedRequest> {
    mock.requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect()
}

fn polls(mock: &ZampMock) -> Vec<RecordedRequest> {
    mock.requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect()
}

fn expect_http<R: Runtime>(
    what: &str,
    got: Result<Value, ActionError>,
    status: u16,
    message: &str,
) -> Option<String> {
    match got {
        Err(ActionError::Http {
            status: s,
            message: m,
            body,
        }) => {
            assert_eq!(s, Some(status), "[{}] {what}: status", R::NAME);
            assert_eq!(m, message, "[{}] {what}: message", R::NAME);
            body
        }
        other => panic!(
            "[{}] {what}: expected an HTTP error, got {other:?}",
            R::NAME
        ),
    }
}

/// Create, a few `RUNNING` polls with the 0.1 s x1.5 backoff, then the result; every
/// request authorized, the create body as the contract says.
pub fn action_happy_path<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "happy",
        ActionScript {
            running_polls: 3,
            outcome: Outcome::Completed(Some(json!({"ok": true, "n": 42}))),
            ..ActionScript::default()
        },
    );
    let request = ActionRequest::new("happy", json!({"x": 1, "s": "üñí"})).summary("do it");
    let got = R::action::<Value>(&cfg_of(&mock), request);
    assert_eq!(
        got,
        Ok(json!({"ok": true, "n": 42})),
        "[{}] result",
        R::NAME
    );
    let id = only_id::<R>(&mock, "happy");
    assert_eq!(mock.count_creates("happy"), 1);
    assert_eq!(
        mock.count_polls(&id),
        4,
        "[{}] 3 RUNNING + 1 terminal",
        R::NAME
    );
    let all = mock.requests();
    assert!(
        all.iter().all(|r| r.authorized && r.status == 200),
        "{all:?}"
    );
    let create = &all[0];
    assert_eq!(create.method, "POST");
    assert_eq!(create.path, "/actions");
    assert!(create
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));
    assert_eq!(
        create.body,
        Some(json!({
            "action_name": "happy",
            "params": {"x": 1, "s": "üñí"},
            "is_external_action": true,
            "retry_policy": {
                "initial_interval": "PT30S",
                "maximum_attempts": 11,
                "maximum_interval": "PT15M",
                "backoff_coefficient": 1.5
            },
            "summary": "do it"
        })),
        "[{}] create body",
        R::NAME
    );
    for poll in &all[1..] {
        assert_eq!(poll.method, "GET");
        assert_eq!(poll.path, format!("/actions/{id}"));
    }
    // The waits before each poll: 0.1 s, 0.15 s, 0.225 s, 0.3375 s (never shorter).
    let mut wait = 0.1;
    for pair in all.windows(2) {
        let gap = pair[1].at.saturating_sub(pair[0].at).as_secs_f64();
        assert!(
            gap >= wait * 0.95,
            "[{}] poll came {gap:.3}s after the previous request, expected >= {wait:.3}s",
            R::NAME
        );
        wait *= 1.5;
    }
}

/// The seed-shaped `execute(action_name, params)` sends the default retry policy.
pub fn action_by_name<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "seeded",
        ActionScript {
            echo_body: true,
            ..ActionScript::default()
        },
    );
    let got = R::action_by_name(&cfg_of(&mock), "seeded", json!({"a": "b"}))
        .unwrap_or_else(|e| panic!("[{}] {e:?}", R::NAME));
    assert_eq!(
        got,
        json!({
            "action_name": "seeded",
            "params": {"a": "b"},
            "is_external_action": true,
            "retry_policy": {
                "initial_interval": "PT30S",
                "maximum_attempts": 11,
                "maximum_interval": "PT15M",
                "backoff_coefficient": 1.5
            }
        })
    );
}

/// 5xx on create is retried after 1 s, then 2 s; then the action runs.
pub fn action_create_5xx_then_success<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "stormy",
        ActionScript {
            create_5xx: 2,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("stormy", json!({})));
    assert_eq!(got, Ok(json!({"ok": true})), "[{}]", R::NAME);
    let c = creates(&mock);
    let statuses: Vec<u16> = c.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200], "[{}] creates", R::NAME);
    let gap1 = c[1].at.saturating_sub(c[0].at);
    let gap2 = c[2].at.saturating_sub(c[1].at);
    assert!(
        gap1 >= Duration::from_millis(950) && gap2 >= Duration::from_millis(1900),
        "[{}] create retry waits {gap1:?}, {gap2:?} (expected 1 s, 2 s)",
        R::NAME
    );
    assert_eq!(polls(&mock).len(), 1);
}

/// 5xx while polling is waited through with the same backoff.
pub fn action_poll_5xx_then_success<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "flaky-poll",
        ActionScript {
            poll_5xx: 2,
            running_polls: 1,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("flaky-poll", json!({})));
    assert_eq!(got, Ok(json!({"ok": true})), "[{}]", R::NAME);
    let statuses: Vec<u16> = polls(&mock).iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200, 200], "[{}] polls", R::NAME);
    assert_eq!(mock.count_creates("flaky-poll"), 1);
}

/// 429 on create: an HTTP error at once, exactly one create, no poll.
pub fn action_429_no_retry<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "limited",
        ActionScript {
            create_status: Some(429),
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("limited", json!({})));
    let body = expect_http::<R>(
        "429",
        got,
        429,
        &format!("HTTP 429 from {}/actions: rate limited", mock.base_url()),
    );
    assert_eq!(body.as_deref(), Some(r#"{"message":"rate limited"}"#));
    assert_eq!(
        mock.requests().len(),
        1,
        "[{}] exactly one request",
        R::NAME
    );
}

/// A wrong token: 401 at once; the token never shows in the error.
pub fn action_401<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let wrong = "wrong-token-5ec2e7";
    let cfg = ActionCfg::explicit(mock.base_url(), wrong);
    let got = R::action::<Value>(&cfg, ActionRequest::new("anything", json!({})));
    let text = format!("{got:?}");
    assert!(!text.contains(wrong), "[{}] token leaked: {text}", R::NAME);
    expect_http::<R>(
        "401",
        got,
        401,
        &format!("HTTP 401 from {}/actions: unauthorized", mock.base_url()),
    );
    assert_eq!(mock.requests().len(), 1);
}

/// A non-5xx HTTP error while polling surfaces at once.
pub fn action_poll_404_surfaces<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "lost",
        ActionScript {
            poll_status: Some(404),
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("lost", json!({})));
    let id = only_id::<R>(&mock, "lost");
    expect_http::<R>(
        "poll 404",
        got,
        404,
        &format!("HTTP 404 from {}/actions/{id}: not found", mock.base_url()),
    );
    assert_eq!(mock.count_polls(&id), 1, "[{}] no further poll", R::NAME);
}

/// Each terminal failure status is an action-failed error with id, status and error text
/// (`unknown error` when the platform gave none).
pub fn action_failure_statuses<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let cases = [
        (
            "f-failed",
            Outcome::failed("kaput one"),
            "FAILED",
            "kaput one",
        ),
        (
            "f-canceled",
            Outcome::canceled("kaput two"),
            "CANCELED",
            "kaput two",
        ),
        (
            "f-terminated",
            Outcome::terminated("kaput three"),
            "TERMINATED",
            "kaput three",
        ),
        (
            "f-timed-out",
            Outcome::timed_out("kaput four"),
            "TIMED_OUT",
            "kaput four",
        ),
        (
            "f-silent",
            Outcome::Failed {
                status: "FAILED".into(),
                error: None,
            },
            "FAILED",
            "unknown error",
        ),
    ];
    for (name, outcome, status, error) in cases {
        mock.script(
            name,
            ActionScript {
                running_polls: 1,
                outcome,
                ..ActionScript::default()
            },
        );
        let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new(name, json!({})));
        let id = only_id::<R>(&mock, name);
        let expected = ActionError::Failed {
            action_id: id.clone(),
            status: status.into(),
            error: error.into(),
        };
        assert_eq!(got.as_ref(), Err(&expected), "[{}] {name}", R::NAME);
        assert_eq!(
            got.unwrap_err().to_string(),
            format!("Action {id} {status}: {error}")
        );
    }
}

/// A status the SDK does not know is an unexpected-status error.
pub fn action_unexpected_status<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "paused",
        ActionScript {
            outcome: Outcome::Status("PAUSED".into()),
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("paused", json!({})));
    let id = only_id::<R>(&mock, "paused");
    assert_eq!(
        got,
        Err(ActionError::UnexpectedStatus {
            action_id: id,
            status: "PAUSED".into()
        }),
        "[{}]",
        R::NAME
    );
}

fn expect_decode<R: Runtime>(got: Result<Value, ActionError>, url: &str) {
    match &got {
        Err(e @ ActionError::Decode { url: u, message }) => {
            assert_eq!(u, url, "[{}] decode error URL", R::NAME);
            assert!(!message.is_empty());
            let text = e.to_string();
            assert!(text.contains(url), "[{}] {text}", R::NAME);
        }
        other => panic!("[{}] expected a decode error, got {other:?}", R::NAME),
    }
}

/// A create answer that is not JSON: a decode error naming the URL.
pub fn action_non_json_create<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "html",
        ActionScript {
            create_non_json: true,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("html", json!({})));
    expect_decode::<R>(got, &format!("{}/actions", mock.base_url()));
    assert_eq!(mock.requests().len(), 1);
}

/// A poll answer that is not JSON: a decode error naming the poll URL.
pub fn action_non_json_poll<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "html-poll",
        ActionScript {
            poll_non_json: true,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("html-poll", json!({})));
    let id = only_id::<R>(&mock, "html-poll");
    expect_decode::<R>(got, &format!("{}/actions/{id}", mock.base_url()));
}

/// A 2xx answer carrying an `error` object is an HTTP error with its message.
pub fn action_error_envelope<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "enveloped",
        ActionScript {
            create_envelope: Envelope::Error(json!({"message": "quota exceeded"})),
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("enveloped", json!({})));
    expect_http::<R>("error envelope", got, 200, "quota exceeded");
    assert_eq!(mock.requests().len(), 1);
}

/// Inline execution: the result comes in the create answer; nothing is polled.
pub fn action_inline<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "inline",
        ActionScript {
            inline: true,
            outcome: Outcome::Completed(Some(json!({"inline": true}))),
            ..ActionScript::default()
        },
    );
    let request = ActionRequest::new("inline", json!({"q": 1}))
        .inline()
        .start_to_close_timeout(Duration::from_secs(5));
    let got = R::action::<Value>(&cfg_of(&mock), request);
    assert_eq!(got, Ok(json!({"inline": true})), "[{}]", R::NAME);
    let all = mock.requests();
    assert_eq!(all.len(), 1, "[{}] no poll: {all:?}", R::NAME);
    let body = all[0].body.clone().expect("JSON body");
    assert_eq!(body["execution_mode"], "INLINE");
    assert_eq!(body["start_to_close_timeout_seconds"], json!(5.0));
}

/// Inline execution of an action that is not opted in: the 422 surfaces, no retry.
pub fn action_inline_not_opted_in<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let got = R::action::<Value>(
        &cfg_of(&mock),
        ActionRequest::new("not-inline", json!({})).inline(),
    );
    expect_http::<R>(
        "422",
        got,
        422,
        &format!(
            "HTTP 422 from {}/actions: action not-inline is not opted in to inline execution",
            mock.base_url()
        ),
    );
    assert_eq!(mock.requests().len(), 1);
}

/// Inline execution answered `RUNNING`: an unexpected-status error, nothing polled.
pub fn action_inline_running<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "inline-running",
        ActionScript {
            inline: true,
            inline_running: true,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(
        &cfg_of(&mock),
        ActionRequest::new("inline-running", json!({})).inline(),
    );
    let id = only_id::<R>(&mock, "inline-running");
    assert_eq!(
        got,
        Err(ActionError::UnexpectedStatus {
            action_id: id,
            status: "RUNNING".into()
        }),
        "[{}]",
        R::NAME
    );
    assert_eq!(mock.requests().len(), 1);
}

#[derive(Debug, PartialEq, Deserialize)]
struct Invoice {
    id: String,
    amount: u64,
}

/// A typed result; a result that does not fit the type keeps the raw value.
pub fn action_typed_result<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "typed",
        ActionScript {
            outcome: Outcome::Completed(Some(json!({"id": "inv_1", "amount": 12}))),
            ..ActionScript::default()
        },
    );
    mock.script(
        "mistyped",
        ActionScript {
            outcome: Outcome::Completed(Some(json!({"id": 5}))),
            ..ActionScript::default()
        },
    );
    let got = R::action::<Invoice>(&cfg_of(&mock), ActionRequest::new("typed", json!({})));
    assert_eq!(
        got,
        Ok(Invoice {
            id: "inv_1".into(),
            amount: 12
        }),
        "[{}]",
        R::NAME
    );
    match R::action::<Invoice>(&cfg_of(&mock), ActionRequest::new("mistyped", json!({}))) {
        Err(ActionError::ResultType { raw, message }) => {
            assert_eq!(raw, json!({"id": 5}));
            assert!(!message.is_empty());
        }
        other => panic!("[{}] expected ResultType, got {other:?}", R::NAME),
    }
}

/// An invalid retry policy or timeout is rejected before anything is sent.
pub fn action_validation_before_send<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let bad_policy = ActionRequest::new("v", json!({})).retry_policy(RetryPolicy {
        backoff_coefficient: 0.5,
        ..RetryPolicy::default()
    });
    match R::action::<Value>(&cfg_of(&mock), bad_policy) {
        Err(ActionError::Validation(v)) => assert_eq!(v.field, "retry_policy.backoff_coefficient"),
        other => panic!("[{}] expected a validation error, got {other:?}", R::NAME),
    }
    let zero = ActionRequest::new("v", json!({})).start_to_close_timeout(Duration::ZERO);
    match R::action::<Value>(&cfg_of(&mock), zero) {
        Err(ActionError::Validation(v)) => assert_eq!(v.field, "start_to_close_timeout"),
        other => panic!("[{}] expected a validation error, got {other:?}", R::NAME),
    }
    assert!(
        mock.requests().is_empty(),
        "[{}] nothing may be sent",
        R::NAME
    );
}

/// Configuration from `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN` (executor and free function);
/// an explicit value wins over the environment.
pub fn action_env_config<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let _env = env_lock();
    {
        let _patch = EnvPatch::apply(&[
            ("ZAMP_BASE_URL", Some(mock.base_url().as_ref())),
            ("ZAMP_AUTH_TOKEN", Some(mock.token().as_ref())),
        ]);
        let got = R::action::<Value>(&ActionCfg::default(), ActionRequest::new("env", json!({})));
        assert_eq!(
            got,
            Ok(json!({"ok": true})),
            "[{}] executor from env",
            R::NAME
        );
        let got = R::execute_action("env-free", json!({"k": 1}));
        assert_eq!(
            got,
            Ok(json!({"ok": true})),
            "[{}] execute_action from env",
            R::NAME
        );
    }
    {
        let _patch = EnvPatch::apply(&[
            ("ZAMP_BASE_URL", Some("http://127.0.0.1:9".as_ref())),
            ("ZAMP_AUTH_TOKEN", Some("env-token-not-used".as_ref())),
        ]);
        let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("explicit", json!({})));
        assert_eq!(got, Ok(json!({"ok": true})), "[{}] explicit wins", R::NAME);
    }
    assert_eq!(mock.count_creates("env"), 1);
    assert_eq!(mock.count_creates("env-free"), 1);
    assert_eq!(mock.count_creates("explicit"), 1);
}

/// A missing `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN` is a configuration error naming the
/// variable, before any request.
pub fn action_env_missing<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let _env = env_lock();
    let _patch = EnvPatch::apply(&[("ZAMP_BASE_URL", None), ("ZAMP_AUTH_TOKEN", None)]);
    let config = ActionError::missing_config;
    let got = R::action::<Value>(&ActionCfg::default(), ActionRequest::new("x", json!({})));
    assert_eq!(got, Err(config("ZAMP_BASE_URL")), "[{}]", R::NAME);
    let got = R::execute_action("x", json!({}));
    assert_eq!(
        got,
        Err(config("ZAMP_BASE_URL")),
        "[{}] free function",
        R::NAME
    );
    let no_token = ActionCfg {
        base_url: Some(mock.base_url().to_string()),
        auth_token: None,
    };
    let got = R::action::<Value>(&no_token, ActionRequest::new("x", json!({})));
    assert_eq!(got, Err(config("ZAMP_AUTH_TOKEN")), "[{}]", R::NAME);
    assert!(mock.requests().is_empty());
}

/// 20 actions at once on one executor: all complete, each with its own result, in far less
/// time than one after the other.
pub fn action_concurrent_20<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "conc",
        ActionScript {
            running_polls: 2,
            echo_body: true,
            poll_delay: Duration::from_millis(50),
            ..ActionScript::default()
        },
    );
    let requests: Vec<ActionRequest> = (0..20)
        .map(|i| ActionRequest::new("conc", json!({ "i": i })))
        .collect();
    let started = Instant::now();
    let got = R::actions_concurrently(&cfg_of(&mock), requests);
    let elapsed = started.elapsed();
    assert_eq!(got.len(), 20);
    for (i, r) in got.iter().enumerate() {
        let body = r
            .as_ref()
            .unwrap_or_else(|e| panic!("[{}] action {i}: {e:?}", R::NAME));
        assert_eq!(
            body["params"]["i"],
            json!(i),
            "[{}] result of action {i}",
            R::NAME
        );
    }
    assert_eq!(mock.action_ids("conc").len(), 20);
    // One after the other: 20 x (0.1 + 0.15 + 0.225 s of backoff + 3 x 50 ms) > 12 s.
    assert!(
        elapsed < Duration::from_secs(6),
        "[{}] 20 concurrent actions took {elapsed:?}",
        R::NAME
    );
}

/// A `data` envelope on the create answer hides the `id`: a decode error naming the URL.
pub fn action_data_envelope<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "wrapped",
        ActionScript {
            create_envelope: Envelope::Data,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("wrapped", json!({})));
    expect_decode::<R>(got, &format!("{}/actions", mock.base_url()));
    assert_eq!(mock.requests().len(), 1);
}

/// A base URL with a path prefix and a trailing slash is joined as the contract says.
pub fn action_base_url_prefix<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start_with(crate::mock::MockConfig {
        prefix: "/api/v1".into(),
        ..crate::mock::MockConfig::default()
    })
    .expect("start the mock");
    mock.script(
        "prefixed",
        ActionScript {
            running_polls: 1,
            ..ActionScript::default()
        },
    );
    let cfg = ActionCfg::explicit(&format!("{}/", mock.base_url()), mock.token());
    let got = R::action::<Value>(&cfg, ActionRequest::new("prefixed", json!({})));
    assert_eq!(got, Ok(json!({"ok": true})), "[{}]", R::NAME);
    let id = only_id::<R>(&mock, "prefixed");
    let paths: Vec<String> = mock.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/api/v1/actions".to_string(),
            format!("/api/v1/actions/{id}"),
            format!("/api/v1/actions/{id}")
        ]
    );
}

/// Nothing listening: a network error at once (no retry of the create).
pub fn action_network_error<R: Runtime>(_s: &Suite) {
    // A port that was free a moment ago: bind, read it, release it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let cfg = ActionCfg::explicit(&format!("http://127.0.0.1:{port}"), "token");
    let started = Instant::now();
    let got = R::action::<Value>(&cfg, ActionRequest::new("nowhere", json!({})));
    match got {
        Err(ActionError::Http {
            status: None,
            message,
            body: None,
        }) => assert!(
            message.starts_with("Network error: "),
            "[{}] {message}",
            R::NAME
        ),
        other => panic!("[{}] expected a network error, got {other:?}", R::NAME),
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "[{}] a network error must surface at once, took {:?}",
        R::NAME,
        started.elapsed()
    );
}

/// The token never shows in an executor's `Debug`.
pub fn action_token_not_in_debug<R: Runtime>(_s: &Suite) {
    let token = "very-secret-token-0d15ea5e";
    let text = R::action_executor_debug(&ActionCfg::explicit("http://127.0.0.1:9", token));
    assert!(
        !text.contains(token),
        "[{}] token in Debug: {text}",
        R::NAME
    );
}

/// Summary, a custom retry policy and the start-to-close timeout go into the create body
/// (durations as ISO-8601, the timeout as float seconds).
pub fn action_create_body_options<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "configured",
        ActionScript {
            echo_body: true,
            ..ActionScript::default()
        },
    );
    let request = ActionRequest::new("configured", json!([1, "two", null]))
        .summary("Send the March invoice")
        .retry_policy(RetryPolicy {
            initial_interval: Duration::from_millis(1500),
            maximum_attempts: 3,
            maximum_interval: Duration::from_secs(90),
            backoff_coefficient: 2.0,
        })
        .start_to_close_timeout(Duration::from_secs(120));
    let got = R::action::<Value>(&cfg_of(&mock), request);
    assert_eq!(
        got,
        Ok(json!({
            "action_name": "configured",
            "params": [1, "two", null],
            "is_external_action": true,
            "retry_policy": {
                "initial_interval": "PT1.5S",
                "maximum_attempts": 3,
                "maximum_interval": "PT1M30S",
                "backoff_coefficient": 2.0
            },
            "summary": "Send the March invoice",
            "start_to_close_timeout_seconds": 120.0
        })),
        "[{}] create body",
        R::NAME
    );
}

fn expect_network<R: Runtime>(what: &str, got: Result<Value, ActionError>, message: &str) {
    match got {
        Err(ActionError::Http {
            status: None,
            message: m,
            body: None,
        }) => assert_eq!(m, message, "[{}] {what}", R::NAME),
        other => panic!(
            "[{}] {what}: expected a transport error, got {other:?}",
            R::NAME
        ),
    }
}

/// A redirect answer is not followed: a clear HTTP error naming the status and the
/// location, and the token never reaches the other host.
pub fn action_redirect_not_followed<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let elsewhere = ZampMock::start();
    for (name, status) in [("moved-307", 307), ("moved-302", 302), ("moved-308", 308)] {
        let location = format!("{}/actions", elsewhere.base_url());
        mock.script(
            name,
            ActionScript {
                create_redirect: Some((status, location.clone())),
                ..ActionScript::default()
            },
        );
        let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new(name, json!({})));
        let body = expect_http::<R>(
            name,
            got,
            status,
            &format!(
                "HTTP {status} from {}/actions: redirect to {location} not followed",
                mock.base_url()
            ),
        );
        assert_eq!(body.as_deref(), Some(r#"{"message":"moved"}"#));
    }
    assert_eq!(
        mock.requests().len(),
        3,
        "[{}] one create each, no retry, no poll",
        R::NAME
    );
    assert!(
        elsewhere.requests().is_empty(),
        "[{}] the redirect was followed: {:?}",
        R::NAME,
        elsewhere.requests()
    );
}

/// A response body over the limit (64 MiB) is an error naming the limit, never a
/// truncated body.
pub fn action_oversized_body<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let limit = usize::try_from(MAX_RESPONSE_BODY).expect("the limit fits usize");
    mock.script(
        "huge",
        ActionScript {
            create_body_len: Some(limit + 1),
            ..ActionScript::default()
        },
    );
    mock.script(
        "just-fits",
        ActionScript {
            create_body_len: Some(limit),
            inline: true,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("huge", json!({})));
    expect_network::<R>(
        "oversized body",
        got,
        &format!(
            "Network error: the response from {}/actions is larger than the limit of 67108864 bytes",
            mock.base_url()
        ),
    );
    assert_eq!(mock.requests().len(), 1, "[{}] no retry", R::NAME);
    // Exactly at the limit: read in full (it then lacks a status: a decode error, not a
    // transport error).
    let got = R::action::<Value>(
        &cfg_of(&mock),
        ActionRequest::new("just-fits", json!({})).inline(),
    );
    expect_decode::<R>(got, &format!("{}/actions", mock.base_url()));
}

/// A base URL that does not parse or has no http/https scheme: a configuration error
/// naming it, before anything is sent (explicit and from the environment).
pub fn action_invalid_base_url<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    let no_scheme = mock
        .base_url()
        .strip_prefix("http://")
        .expect("the mock is http")
        .to_string();
    let cases = [
        (
            no_scheme.clone(),
            format!("invalid base URL \"{no_scheme}\" (ZAMP_BASE_URL): it has no scheme (expected http:// or https://)"),
        ),
        (
            "ftp://127.0.0.1:9".to_string(),
            "invalid base URL \"ftp://127.0.0.1:9\" (ZAMP_BASE_URL): the scheme must be http or https (got \"ftp\")".to_string(),
        ),
        (
            "http://".to_string(),
            "invalid base URL \"http://\" (ZAMP_BASE_URL): it has no host".to_string(),
        ),
        (
            "http://exa mple.com".to_string(),
            "invalid base URL \"http://exa mple.com\" (ZAMP_BASE_URL): it contains spaces or control characters".to_string(),
        ),
    ];
    for (url, message) in &cases {
        let cfg = ActionCfg::explicit(url, mock.token());
        let got = R::action::<Value>(&cfg, ActionRequest::new("x", json!({})));
        assert_eq!(
            got,
            Err(ActionError::Config {
                variable: "ZAMP_BASE_URL".into(),
                message: message.clone(),
            }),
            "[{}] {url}",
            R::NAME
        );
    }
    {
        let _env = env_lock();
        let _patch = EnvPatch::apply(&[
            ("ZAMP_BASE_URL", Some(no_scheme.as_ref())),
            ("ZAMP_AUTH_TOKEN", Some(mock.token().as_ref())),
        ]);
        let got = R::execute_action("x", json!({}));
        assert_eq!(
            got.map_err(|e| e.to_string()),
            Err(cases[0].1.clone()),
            "[{}] free function",
            R::NAME
        );
    }
    assert!(
        mock.requests().is_empty(),
        "[{}] nothing may be sent",
        R::NAME
    );
}

/// An action name that is empty or holds a control character is rejected before anything
/// is sent.
pub fn action_bad_name<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    for name in ["", "  ", "send\ninvoice", "nul\0byte", "tab\tname"] {
        let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new(name, json!({})));
        match got {
            Err(ActionError::Validation(v)) => assert_eq!(v.field, "action_name", "[{}]", R::NAME),
            other => panic!(
                "[{}] {name:?}: expected a validation error, got {other:?}",
                R::NAME
            ),
        }
        match R::action_by_name(&cfg_of(&mock), name, json!({})) {
            Err(ActionError::Validation(v)) => assert_eq!(v.field, "action_name"),
            other => panic!("[{}] {name:?} by name: got {other:?}", R::NAME),
        }
    }
    assert!(
        mock.requests().is_empty(),
        "[{}] nothing may be sent",
        R::NAME
    );
}

/// Every request carries core's `User-Agent: ampere/<version>`, and no other.
pub fn action_user_agent<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.script(
        "ua",
        ActionScript {
            running_polls: 1,
            ..ActionScript::default()
        },
    );
    let got = R::action::<Value>(&cfg_of(&mock), ActionRequest::new("ua", json!({})));
    assert_eq!(got, Ok(json!({"ok": true})), "[{}]", R::NAME);
    let all = mock.requests();
    assert_eq!(all.len(), 3);
    for r in &all {
        let agents: Vec<&String> = r
            .headers
            .iter()
            .filter(|(n, _)| n == "user-agent")
            .map(|(_, v)| v)
            .collect();
        assert_eq!(
            agents,
            [USER_AGENT],
            "[{}] {} {}",
            R::NAME,
            r.method,
            r.path
        );
    }
    assert!(USER_AGENT.starts_with("ampere/"));
}

/// Connection refused reads exactly the same in every runtime (core writes the text).
pub fn action_refused_same_text<R: Runtime>(_s: &Suite) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let base = format!("http://127.0.0.1:{port}");
    let got = R::action::<Value>(
        &ActionCfg::explicit(&base, "token"),
        ActionRequest::new("nowhere", json!({})),
    );
    expect_network::<R>(
        "refused",
        got,
        &format!("Network error: connection refused ({base}/actions)"),
    );
}
