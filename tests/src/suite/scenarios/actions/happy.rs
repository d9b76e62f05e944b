//! Happy paths and the shape of the requests: results (typed too), concurrency, the base
//! URL, the create body, the `User-Agent`, connection reuse.

use super::*;

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

/// The free `execute_action` runs on one process-wide executor whose connections are kept
/// alive: three actions one after the other (a create and polls each) use one connection.
pub fn action_shared_executor_reuses_connections<R: Runtime>(_s: &Suite) {
    let mock = ZampMock::start();
    mock.set_default(ActionScript {
        running_polls: 1,
        ..ActionScript::default()
    });
    let _env = env_lock();
    let _patch = EnvPatch::apply(&[
        ("ZAMP_BASE_URL", Some(mock.base_url().as_ref())),
        ("ZAMP_AUTH_TOKEN", Some(mock.token().as_ref())),
    ]);
    for i in 0..3 {
        let got = R::execute_action(&format!("reuse-{i}"), json!({}));
        assert_eq!(got, Ok(json!({"ok": true})), "[{}] action {i}", R::NAME);
    }
    assert_eq!(mock.requests().len(), 9);
    assert_eq!(
        mock.connections(),
        1,
        "[{}] 9 sequential requests on the shared executor: connections reused",
        R::NAME
    );
}
