//! The Zamp mock: 1,000 concurrent actions without a lost or crossed answer, and each
//! scripted behaviour gives its documented `ActionError` under every runtime.

use std::time::{Duration, Instant};

use ampere_core::action::ActionError;
use ampere_testing::mock::{ActionScript, Outcome, ZampMock};
use serde_json::{json, Value};

#[test]
fn a_thousand_concurrent_actions_get_their_own_answers() {
    let mock = ZampMock::start();
    mock.set_default(ActionScript {
        echo_body: true,
        running_polls: 1,
        ..ActionScript::default()
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio");
    let exec = ampere_tokio::ActionExecutor::builder()
        .base_url(mock.base_url())
        .auth_token(mock.token())
        .build();
    let answers = rt.block_on(async {
        let tasks: Vec<_> = (0..1000u32)
            .map(|i| {
                let exec = exec.clone();
                tokio::spawn(async move {
                    let value: Result<Value, ActionError> = exec
                        .execute(format!("job-{}", i % 7), json!({ "i": i }))
                        .await;
                    (i, value)
                })
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("task"));
        }
        answers
    });
    assert_eq!(answers.len(), 1000);
    for (i, answer) in answers {
        let body = answer.unwrap_or_else(|e| panic!("action {i} failed: {e}"));
        assert_eq!(
            body["params"]["i"],
            json!(i),
            "action {i} got another's answer"
        );
        assert_eq!(body["action_name"], json!(format!("job-{}", i % 7)));
    }
    let requests = mock.requests();
    let creates = requests.iter().filter(|r| r.method == "POST").count();
    let polls = requests.iter().filter(|r| r.method == "GET").count();
    assert_eq!(creates, 1000, "one create each");
    assert_eq!(polls, 2000, "one RUNNING poll and one terminal poll each");
    assert!(requests.iter().all(|r| r.status == 200 && r.authorized));
}

/// Runs action `name` once under each runtime.
fn in_every_runtime(
    mock: &ZampMock,
    name: &str,
) -> Vec<(&'static str, Result<Value, ActionError>)> {
    let (url, token) = (mock.base_url().to_string(), mock.token().to_string());
    let blocking = ampere_blocking::ActionExecutor::builder()
        .base_url(&url)
        .auth_token(&token)
        .build();
    let mut out = vec![("blocking", blocking.execute(name, json!({"n": 1})))];
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let tokio_exec = ampere_tokio::ActionExecutor::builder()
        .base_url(&url)
        .auth_token(&token)
        .build();
    out.push((
        "tokio",
        rt.block_on(tokio_exec.execute(name, json!({"n": 1}))),
    ));
    let async_std_exec = ampere_async_std::ActionExecutor::builder()
        .base_url(&url)
        .auth_token(&token)
        .build();
    out.push((
        "async-std",
        async_std::task::block_on(async_std_exec.execute(name, json!({"n": 1}))),
    ));
    out
}

fn each(mock: &ZampMock, name: &str, check: impl Fn(&str, Result<Value, ActionError>)) {
    for (runtime, result) in in_every_runtime(mock, name) {
        check(runtime, result);
    }
}

#[test]
fn each_scripted_behaviour_gives_its_documented_outcome_in_every_runtime() {
    let mock = ZampMock::start();
    mock.script(
        "result",
        ActionScript {
            outcome: Outcome::Completed(Some(json!({"pr": 42}))),
            ..ActionScript::default()
        },
    );
    each(&mock, "result", |rt, r| {
        assert_eq!(r, Ok(json!({"pr": 42})), "[{rt}]")
    });

    mock.script(
        "failed",
        ActionScript {
            outcome: Outcome::failed("the build broke"),
            ..ActionScript::default()
        },
    );
    each(&mock, "failed", |rt, r| match r {
        Err(ActionError::Failed { status, error, .. }) => {
            assert_eq!(
                (status.as_str(), error.as_str()),
                ("FAILED", "the build broke"),
                "[{rt}]"
            );
        }
        other => panic!("[{rt}] {other:?}"),
    });

    mock.script(
        "timed-out",
        ActionScript {
            outcome: Outcome::timed_out("too slow"),
            ..ActionScript::default()
        },
    );
    each(&mock, "timed-out", |rt, r| {
        assert!(
            matches!(&r, Err(ActionError::Failed { status, .. }) if status == "TIMED_OUT"),
            "[{rt}] {r:?}"
        );
    });

    mock.script(
        "polls",
        ActionScript {
            running_polls: 3,
            ..ActionScript::default()
        },
    );
    each(&mock, "polls", |rt, r| {
        assert_eq!(r, Ok(json!({"ok": true})), "[{rt}]")
    });
    for id in mock.action_ids("polls") {
        assert_eq!(
            mock.count_polls(&id),
            4,
            "three RUNNING polls, then the answer"
        );
    }

    for status in [401u16, 429, 404] {
        let name = format!("create-{status}");
        mock.script(
            &name,
            ActionScript {
                create_status: Some(status),
                ..ActionScript::default()
            },
        );
        each(&mock, &name, |rt, r| match r {
            Err(ActionError::Http {
                status: got,
                message,
                ..
            }) => {
                assert_eq!(got, Some(status), "[{rt}] {message}");
                assert!(
                    !message.contains(mock.token()),
                    "[{rt}] no token in {message}"
                );
            }
            other => panic!("[{rt}] {status}: {other:?}"),
        });
    }

    mock.script(
        "poll-401",
        ActionScript {
            poll_statuses: vec![401],
            ..ActionScript::default()
        },
    );
    each(&mock, "poll-401", |rt, r| {
        assert!(
            matches!(
                r,
                Err(ActionError::Http {
                    status: Some(401),
                    ..
                })
            ),
            "[{rt}] {r:?}"
        );
    });

    // A 503 on the first create of the name is retried (after a one-second back-off), then
    // it works; `create_statuses` counts per action name, so the later runtimes' creates
    // get the normal answer at once.
    mock.script(
        "flaky-create",
        ActionScript {
            create_statuses: vec![503],
            ..ActionScript::default()
        },
    );
    each(&mock, "flaky-create", |rt, r| {
        assert_eq!(r, Ok(json!({"ok": true})), "[{rt}]")
    });
    assert_eq!(
        mock.count_creates("flaky-create"),
        4,
        "one 503, its retry, two more"
    );

    mock.script(
        "slow",
        ActionScript {
            create_delay: Duration::from_millis(300),
            ..ActionScript::default()
        },
    );
    let start = Instant::now();
    each(&mock, "slow", |rt, r| {
        assert_eq!(r, Ok(json!({"ok": true})), "[{rt}]")
    });
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "three slow creates"
    );
}
