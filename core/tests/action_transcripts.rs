//! Transcript tests: the exact sequence of (elapsed virtual time, method, URL) the action
//! machine asks for, against a scripted server. Nothing sleeps.
#![allow(clippy::disallowed_methods)]

#[path = "action_harness.rs"]
mod harness;

use std::time::Duration;

use ampere_core::action::{
    ActionError, ActionRequest, Method, TransportError, TransportErrorKind, USER_AGENT,
};
use harness::*;
use serde_json::json;

fn request() -> ActionRequest {
    ActionRequest::new("send_invoice", json!({"invoice_id": "inv_123"}))
}

fn cumulative(waits: &[Duration]) -> Vec<Duration> {
    let mut at = Duration::ZERO;
    waits
        .iter()
        .map(|w| {
            at += *w;
            at
        })
        .collect()
}

#[test]
fn happy_path() {
    let run = run(
        request(),
        vec![
            created(),
            status("RUNNING"),
            status("RUNNING"),
            json(
                200,
                json!({"id": "act_1", "status": "COMPLETED", "result": {"sent": true}}),
            ),
        ],
    );
    assert_eq!(
        run.transcript(),
        [
            "0 POST /actions",
            "0.1 GET /actions/act_1",
            "0.25 GET /actions/act_1",
            "0.475 GET /actions/act_1",
        ]
    );
    assert_eq!(run.result, Ok(json!({"sent": true})));
    assert_eq!(run.action_id.as_deref(), Some("act_1"));

    let create = &run.sent[0].request;
    assert_eq!(create.method, Method::Post);
    assert_eq!(
        create.headers,
        [
            ("Authorization".to_owned(), format!("Bearer {TOKEN}")),
            ("User-Agent".to_owned(), USER_AGENT.to_owned()),
            ("Content-Type".to_owned(), "application/json".to_owned()),
        ]
    );
    assert_eq!(create.timeout, Duration::from_secs(30));
    let poll = &run.sent[1].request;
    assert_eq!(poll.method, Method::Get);
    assert_eq!(poll.body, None);
    assert_eq!(
        poll.headers,
        [
            ("Authorization".to_owned(), format!("Bearer {TOKEN}")),
            ("User-Agent".to_owned(), USER_AGENT.to_owned()),
        ]
    );
    assert_eq!(poll.timeout, Duration::from_secs(30));
}

#[test]
fn completed_without_result_is_null() {
    let run = run(request(), vec![created(), status("COMPLETED")]);
    assert_eq!(run.result, Ok(serde_json::Value::Null));
}

#[test]
fn create_5xx_storm_until_budget_then_last_error() {
    let schedule = create_schedule();
    let attempts = schedule.len() + 1;
    let mut replies: Vec<Reply> = (0..attempts - 1)
        .map(|_| http(503, r#"{"message":"busy"}"#))
        .collect();
    replies.push(http(502, "bad gateway"));
    let run = run(request(), replies);

    let mut expected = vec!["0 POST /actions".to_owned()];
    expected.extend(
        cumulative(&schedule)
            .into_iter()
            .map(|at| format!("{} POST /actions", secs(at))),
    );
    assert_eq!(run.transcript(), expected);
    assert_eq!(attempts, 125);
    assert_eq!(
        expected[1..7],
        [
            "1 POST /actions",
            "3 POST /actions",
            "7 POST /actions",
            "15 POST /actions",
            "31 POST /actions",
            "61 POST /actions",
        ]
    );
    assert_eq!(
        expected.last().map(String::as_str),
        Some("3600 POST /actions")
    );
    assert_eq!(
        run.waits.iter().sum::<Duration>(),
        Duration::from_secs(3600)
    );
    assert_eq!(
        run.result,
        Err(ActionError::Http {
            status: Some(502),
            message: "HTTP 502 from https://api.test/actions".into(),
            body: Some("bad gateway".into()),
        })
    );
}

#[test]
fn create_5xx_then_success() {
    let run = run(
        request(),
        vec![http(500, ""), http(599, ""), created(), status("COMPLETED")],
    );
    assert_eq!(
        run.transcript(),
        [
            "0 POST /actions",
            "1 POST /actions",
            "3 POST /actions",
            "3.1 GET /actions/act_1",
        ]
    );
}

#[test]
fn poll_5xx_keeps_polling_with_the_same_backoff() {
    let run = run(
        request(),
        vec![
            created(),
            status("RUNNING"),
            http(500, "oops"),
            http(503, r#"{"message":"later"}"#),
            status("COMPLETED"),
        ],
    );
    assert_eq!(
        run.transcript(),
        [
            "0 POST /actions",
            "0.1 GET /actions/act_1",
            "0.25 GET /actions/act_1",
            "0.475 GET /actions/act_1",
            "0.8125 GET /actions/act_1",
        ]
    );
    assert_eq!(run.result, Ok(serde_json::Value::Null));
}

#[test]
fn rate_limited_create_surfaces_at_once() {
    let body = r#"{"message":"Org over sdk.action limit; retry in 30s"}"#;
    let run = run(request(), vec![http(429, body)]);
    assert_eq!(run.transcript(), ["0 POST /actions"]);
    assert!(run.waits.is_empty());
    assert_eq!(
        run.result,
        Err(ActionError::Http {
            status: Some(429),
            message:
                "HTTP 429 from https://api.test/actions: Org over sdk.action limit; retry in 30s"
                    .into(),
            body: Some(body.into()),
        })
    );
}

#[test]
fn unauthorized_create_surfaces_at_once() {
    for body in [
        "",
        "not json",
        r#"{"message":"   "}"#,
        r#"{"message":7}"#,
        "[1]",
    ] {
        let run = run(request(), vec![http(401, body)]);
        assert_eq!(run.transcript(), ["0 POST /actions"]);
        assert_eq!(
            run.error().to_string(),
            "HTTP 401 from https://api.test/actions",
            "body {body:?}"
        );
        assert_eq!(run.error().http_status(), Some(401));
    }
}

#[test]
fn redirect_and_informational_statuses_are_http_errors() {
    for status in [100, 204 + 100, 302, 399] {
        let run = run(request(), vec![http(status, "{}")]);
        assert_eq!(run.error().http_status(), Some(status));
    }
}

#[test]
fn poll_4xx_surfaces_at_once() {
    let run = run(
        request(),
        vec![created(), http(404, r#"{"message":"no such action"}"#)],
    );
    assert_eq!(
        run.transcript(),
        ["0 POST /actions", "0.1 GET /actions/act_1"]
    );
    assert_eq!(
        run.error().to_string(),
        "HTTP 404 from https://api.test/actions/act_1: no such action"
    );
}

#[test]
fn network_failure_surfaces_at_once() {
    let run = run(
        request(),
        vec![Reply::Transport(TransportError::new(
            TransportErrorKind::Refused,
            "tcp connect error: Connection refused (os error 111)",
        ))],
    );
    assert_eq!(run.transcript(), ["0 POST /actions"]);
    assert_eq!(
        run.result,
        Err(ActionError::Http {
            status: None,
            message: "Network error: connection refused (https://api.test/actions)".into(),
            body: None,
        })
    );

    let run = harness::run(
        request(),
        vec![
            created(),
            Reply::Transport(TransportError::new(TransportErrorKind::Other, "reset")),
        ],
    );
    assert_eq!(
        run.transcript(),
        ["0 POST /actions", "0.1 GET /actions/act_1"]
    );
    assert_eq!(
        run.error().to_string(),
        "Network error: reset (https://api.test/actions/act_1)"
    );
}

#[test]
fn request_timeout_surfaces_at_once() {
    let run = run(
        request(),
        vec![Reply::Transport(TransportError::new(
            TransportErrorKind::Timeout,
            "operation timed out",
        ))],
    );
    assert_eq!(run.transcript(), ["0 POST /actions"]);
    assert_eq!(
        run.error().to_string(),
        "Request timed out: no complete answer from https://api.test/actions within 30s"
    );
    assert_eq!(run.error().http_status(), None);

    let run = harness::run(
        request(),
        vec![
            created(),
            status("RUNNING"),
            Reply::Transport(TransportError::new(TransportErrorKind::Timeout, "t")),
        ],
    );
    assert_eq!(run.sent.len(), 3);
    assert_eq!(
        run.error().to_string(),
        "Request timed out: no complete answer from https://api.test/actions/act_1 within 30s"
    );
    // An inline create's own, longer timeout is named.
    let run = harness::run(
        request().inline(),
        vec![Reply::Transport(TransportError::new(
            TransportErrorKind::Timeout,
            "t",
        ))],
    );
    assert_eq!(
        run.error().to_string(),
        "Request timed out: no complete answer from https://api.test/actions within 70s"
    );
}

#[test]
fn every_terminal_failure_status() {
    for s in ["FAILED", "CANCELED", "TERMINATED", "TIMED_OUT"] {
        let run = run(
            request(),
            vec![
                created(),
                status("RUNNING"),
                json(
                    200,
                    json!({"id": "act_1", "status": s, "error": "card declined"}),
                ),
            ],
        );
        assert_eq!(
            run.transcript(),
            [
                "0 POST /actions",
                "0.1 GET /actions/act_1",
                "0.25 GET /actions/act_1"
            ]
        );
        assert_eq!(
            run.result,
            Err(ActionError::Failed {
                action_id: "act_1".into(),
                status: s.into(),
                error: "card declined".into(),
            })
        );
        assert_eq!(
            run.error().to_string(),
            format!("Action act_1 {s}: card declined")
        );
        assert_eq!(run.error().action_id(), Some("act_1"));
    }
}

#[test]
fn failure_without_error_text() {
    let run = run(request(), vec![created(), status("FAILED")]);
    assert_eq!(
        run.error().to_string(),
        "Action act_1 FAILED: unknown error"
    );
    let run = harness::run(
        request(),
        vec![
            created(),
            json(200, json!({"status": "CANCELED", "error": null})),
        ],
    );
    assert_eq!(
        run.error().to_string(),
        "Action act_1 CANCELED: unknown error"
    );
    let run = harness::run(
        request(),
        vec![
            created(),
            json(200, json!({"status": "FAILED", "error": {"code": 3}})),
        ],
    );
    assert_eq!(
        run.error().to_string(),
        r#"Action act_1 FAILED: {"code":3}"#
    );
}

#[test]
fn unexpected_status() {
    for (answer, shown) in [
        (json!({"status": "PENDING"}), "PENDING"),
        (json!({"status": "completed"}), "completed"),
        (json!({"status": null}), "null"),
        (json!({"status": 3}), "3"),
    ] {
        let run = run(request(), vec![created(), json(200, answer)]);
        assert_eq!(
            run.transcript(),
            ["0 POST /actions", "0.1 GET /actions/act_1"]
        );
        assert_eq!(
            run.error().to_string(),
            format!("Action act_1 unexpected status: {shown}")
        );
        assert_eq!(run.error().action_id(), Some("act_1"));
    }
}

#[test]
fn poll_budget_exhaustion() {
    let schedule = poll_schedule(Duration::from_secs(3600));
    let mut replies = vec![created()];
    replies.extend((0..schedule.len()).map(|_| status("RUNNING")));
    let run = run(request(), replies);

    let mut expected = vec!["0 POST /actions".to_owned()];
    expected.extend(
        cumulative(&schedule)
            .into_iter()
            .map(|at| format!("{} GET /actions/act_1", secs(at))),
    );
    assert_eq!(run.transcript(), expected);
    assert_eq!(
        expected.last().map(String::as_str),
        Some("3600 GET /actions/act_1")
    );
    assert_eq!(
        run.waits.iter().sum::<Duration>(),
        Duration::from_secs(3600)
    );
    assert!(run.waits.iter().all(|w| *w <= Duration::from_secs(30)));
    assert_eq!(
        run.result,
        Err(ActionError::Timeout {
            action_id: "act_1".into(),
            seconds: 3600.0,
        })
    );
    assert_eq!(
        run.error().to_string(),
        "Action act_1 did not complete within 3600s"
    );
}

#[test]
fn budget_ends_on_a_5xx_too() {
    let schedule = poll_schedule(Duration::from_secs(3600));
    let mut replies = vec![created()];
    replies.extend((0..schedule.len()).map(|_| http(500, "")));
    let run = run(request(), replies);
    assert_eq!(
        run.error().to_string(),
        "Action act_1 did not complete within 3600s"
    );
}

#[test]
fn start_to_close_longer_than_an_hour_extends_the_budget() {
    let two_hours = Duration::from_secs(7200);
    let schedule = poll_schedule(two_hours);
    let mut replies = vec![created()];
    replies.extend((0..schedule.len()).map(|_| status("RUNNING")));
    let run = run(request().start_to_close_timeout(two_hours), replies);
    assert_eq!(run.sent.len(), schedule.len() + 1);
    assert_eq!(
        run.transcript().last().map(String::as_str),
        Some("7200 GET /actions/act_1")
    );
    assert_eq!(
        run.error().to_string(),
        "Action act_1 did not complete within 7200s"
    );
    let body: serde_json::Value =
        serde_json::from_slice(run.sent[0].request.body.as_deref().unwrap_or_default()).unwrap();
    assert_eq!(body["start_to_close_timeout_seconds"], json!(7200.0));
}

#[test]
fn start_to_close_shorter_than_an_hour_keeps_the_hour() {
    let schedule = poll_schedule(Duration::from_secs(3600));
    let mut replies = vec![created()];
    replies.extend((0..schedule.len()).map(|_| status("RUNNING")));
    let run = run(
        request().start_to_close_timeout(Duration::from_secs(5)),
        replies,
    );
    assert_eq!(
        run.error().to_string(),
        "Action act_1 did not complete within 3600s"
    );
}

#[test]
fn fractional_budget_prints_its_fraction() {
    let budget = Duration::from_millis(3_600_500);
    let schedule = poll_schedule(budget);
    let mut replies = vec![created()];
    replies.extend((0..schedule.len()).map(|_| status("RUNNING")));
    let run = run(request().start_to_close_timeout(budget), replies);
    assert_eq!(
        run.error().to_string(),
        "Action act_1 did not complete within 3600.5s"
    );
}
