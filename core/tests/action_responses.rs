//! Transcript tests, continued from `action_transcripts.rs`: inline (synchronous) answers,
//! response envelopes and odd bodies, stale inputs, secrets, resuming, and the HTTP policy
//! on every request. The exact sequence of (elapsed virtual time, method, URL) the action
//! machine asks for, against a scripted server. Nothing sleeps.
#![allow(clippy::disallowed_methods)]

#[path = "action_harness.rs"]
mod harness;

use std::collections::VecDeque;
use std::time::Duration;

use ampere_core::action::{
    ActionError, ActionRequest, HttpRequest, HttpResponse, Method, Output, RequestId,
    TransportError, TransportErrorKind, MAX_RESPONSE_BODY, USER_AGENT,
};
use harness::*;
use serde_json::json;

fn request() -> ActionRequest {
    ActionRequest::new("send_invoice", json!({"invoice_id": "inv_123"}))
}

#[test]
fn inline_completed() {
    let run = run(
        request().inline(),
        vec![json(
            200,
            json!({"id": "act_9", "status": "COMPLETED", "result": [1, 2]}),
        )],
    );
    assert_eq!(run.transcript(), ["0 POST /actions"]);
    assert_eq!(run.result, Ok(json!([1, 2])));
    assert_eq!(run.action_id.as_deref(), Some("act_9"));
    let create = &run.sent[0].request;
    assert_eq!(create.timeout, Duration::from_secs(70));
    let body: serde_json::Value =
        serde_json::from_slice(create.body.as_deref().unwrap_or_default()).unwrap();
    assert_eq!(body["execution_mode"], json!("INLINE"));
}

#[test]
fn inline_timeout_is_ceil_of_server_timeout_plus_ten() {
    for (stc, expected) in [
        (Duration::from_millis(1500), 12),
        (Duration::from_secs(25), 35),
        (Duration::from_micros(1), 11),
        (Duration::from_secs(7200), 7210),
    ] {
        let run = run(
            request().inline().start_to_close_timeout(stc),
            vec![json(200, json!({"id": "a", "status": "COMPLETED"}))],
        );
        assert_eq!(run.sent[0].request.timeout, Duration::from_secs(expected));
    }
}

#[test]
fn inline_running_is_unexpected() {
    let run = run(request().inline(), vec![created()]);
    assert_eq!(run.transcript(), ["0 POST /actions"]);
    assert_eq!(
        run.error().to_string(),
        "Action act_1 unexpected status: RUNNING"
    );
}

#[test]
fn inline_failed() {
    let run = run(
        request().inline(),
        vec![json(200, json!({"id": "a", "status": "TIMED_OUT"}))],
    );
    assert_eq!(run.error().to_string(), "Action a TIMED_OUT: unknown error");
}

#[test]
fn inline_422_not_opted_in() {
    let body = r#"{"message":"action send_invoice is not enabled for inline execution"}"#;
    let run = run(request().inline(), vec![http(422, body)]);
    assert_eq!(run.transcript(), ["0 POST /actions"]);
    assert_eq!(
        run.error().to_string(),
        "HTTP 422 from https://api.test/actions: action send_invoice is not enabled for inline execution"
    );
    assert_eq!(run.error().http_status(), Some(422));
}

#[test]
fn inline_5xx_is_never_retried() {
    let run = run(request().inline(), vec![http(503, "")]);
    assert_eq!(run.transcript(), ["0 POST /actions"]);
    assert!(run.waits.is_empty());
    assert_eq!(run.error().http_status(), Some(503));
}

#[test]
fn data_envelope_on_create_has_no_id() {
    let run = run(
        request(),
        vec![json(200, json!({"data": {"id": "act_1"}, "error": null}))],
    );
    assert_eq!(run.transcript(), ["0 POST /actions"]);
    assert!(matches!(
        run.error(),
        ActionError::Decode { url, message }
            if url == "https://api.test/actions" && message.contains("\"id\"")
    ));
    assert_eq!(run.action_id, None);
}

#[test]
fn data_envelope_on_poll_has_no_status() {
    let run = run(
        request(),
        vec![
            created(),
            json(200, json!({"data": {"status": "COMPLETED", "result": 1}})),
        ],
    );
    assert_eq!(
        run.transcript(),
        ["0 POST /actions", "0.1 GET /actions/act_1"]
    );
    assert!(matches!(
        run.error(),
        ActionError::Decode { url, message }
            if url == "https://api.test/actions/act_1" && message.contains("\"status\"")
    ));
}

#[test]
fn error_envelope() {
    let run = run(
        request(),
        vec![json(
            200,
            json!({"error": {"message": "params invalid", "code": 7}}),
        )],
    );
    assert_eq!(run.transcript(), ["0 POST /actions"]);
    assert_eq!(run.error().to_string(), "params invalid");
    assert_eq!(run.error().http_status(), Some(200));

    let run = harness::run(request(), vec![json(201, json!({"error": "boom"}))]);
    assert_eq!(run.error().to_string(), "boom");

    let run = harness::run(request(), vec![json(200, json!({"error": {"code": 7}}))]);
    assert_eq!(run.error().to_string(), r#"{"code":7}"#);

    // Only a terminal failure record keeps its `error` as the action's error.
    let run = harness::run(
        request(),
        vec![
            created(),
            json(200, json!({"status": "COMPLETED", "error": "x"})),
        ],
    );
    assert!(matches!(
        run.error(),
        ActionError::Http { status: Some(200), message, .. } if message == "x"
    ));

    // An error envelope while polling is not a 5xx: it surfaces.
    let run = harness::run(
        request(),
        vec![created(), json(200, json!({"error": {"message": "gone"}}))],
    );
    assert_eq!(
        run.transcript(),
        ["0 POST /actions", "0.1 GET /actions/act_1"]
    );
    assert_eq!(run.error().to_string(), "gone");
}

#[test]
fn non_json_body() {
    let run = run(request(), vec![http(200, "<html>hi</html>")]);
    assert_eq!(run.transcript(), ["0 POST /actions"]);
    assert!(matches!(
        run.error(),
        ActionError::Decode { url, .. } if url == "https://api.test/actions"
    ));
    assert!(run
        .error()
        .to_string()
        .starts_with("could not decode the response from https://api.test/actions: "));

    let run = harness::run(request(), vec![created(), http(200, "")]);
    assert_eq!(
        run.transcript(),
        ["0 POST /actions", "0.1 GET /actions/act_1"]
    );
    assert!(matches!(run.error(), ActionError::Decode { .. }));

    let run = harness::run(request(), vec![http(200, "\u{0}\u{ff}")]);
    assert!(matches!(run.error(), ActionError::Decode { .. }));
}

#[test]
fn numeric_and_odd_ids() {
    let run = run(
        request(),
        vec![json(200, json!({"id": 42})), status("COMPLETED")],
    );
    assert_eq!(run.transcript()[1], "0.1 GET /actions/42");
    let run = harness::run(
        request(),
        vec![json(200, json!({"id": "a/b?c d"})), status("COMPLETED")],
    );
    assert_eq!(run.transcript()[1], "0.1 GET /actions/a%2Fb%3Fc%20d");
    for bad in [
        json!({"id": ""}),
        json!({"id": null}),
        json!({"id": [1]}),
        json!([]),
    ] {
        let run = harness::run(request(), vec![json(200, bad)]);
        assert!(matches!(run.error(), ActionError::Decode { .. }));
    }
}

#[test]
fn budget_counts_waits_not_latency() {
    // Each poll takes 20 s of (virtual) wall time; the budget still counts only the waits.
    let schedule = poll_schedule(Duration::from_secs(3600));
    let mut replies = vec![created()];
    replies.extend(
        (0..schedule.len()).map(|_| slow(200, r#"{"status":"RUNNING"}"#, Duration::from_secs(20))),
    );
    let run = run(request(), replies);
    assert_eq!(run.sent.len(), schedule.len() + 1);
    assert_eq!(
        run.waits.iter().sum::<Duration>(),
        Duration::from_secs(3600)
    );
}

#[test]
fn stale_ids_and_wrong_state_inputs_are_ignored() {
    let now = std::time::Instant::now();
    let mut call = ampere_core::action::ActionCall::new(request(), config(), now).unwrap();
    // Nothing in flight yet.
    assert!(!call.handle_response(RequestId::from_raw(0), HttpResponse::new(200, "{}"), now));
    assert!(!call.handle_timeout(now));
    let Output::Send(create) = call.poll_output() else {
        panic!("create first")
    };
    assert_eq!(call.poll_output(), Output::AwaitResponse(create.id));
    // Wrong id: ignored, the create stays in flight.
    let wrong = RequestId::from_raw(create.id.as_u64() + 1);
    assert!(!call.handle_response(wrong, HttpResponse::new(200, r#"{"id":"x"}"#), now));
    assert!(!call.handle_transport_error(
        wrong,
        TransportError::new(TransportErrorKind::Other, "x"),
        now
    ));
    assert!(!call.handle_timeout(now));
    assert_eq!(call.poll_output(), Output::AwaitResponse(create.id));
    assert!(call.handle_response(create.id, HttpResponse::new(200, r#"{"id":"x"}"#), now));
    // The same id again is stale now.
    assert!(!call.handle_response(create.id, HttpResponse::new(200, r#"{"id":"y"}"#), now));
    let Output::WaitUntil(deadline) = call.poll_output() else {
        panic!("wait before polling")
    };
    assert_eq!(deadline - now, Duration::from_millis(100));
    // Early wake-up: the same deadline again, as often as asked.
    assert!(call.handle_timeout(now + Duration::from_millis(50)));
    assert_eq!(call.poll_output(), Output::WaitUntil(deadline));
    assert_eq!(call.poll_output(), Output::WaitUntil(deadline));
    // Late wake-up is fine.
    assert!(call.handle_timeout(deadline + Duration::from_secs(5)));
    let Output::Send(poll) = call.poll_output() else {
        panic!("poll")
    };
    assert_ne!(poll.id, create.id);
    assert_eq!(poll.url, "https://api.test/actions/x");
    assert!(call.handle_response(
        poll.id,
        HttpResponse::new(200, r#"{"status":"COMPLETED","result":5}"#),
        now
    ));
    assert_eq!(call.poll_output(), Output::Done(Ok(json!(5))));
    assert_eq!(call.poll_output(), Output::Done(Ok(json!(5))), "Done stays");
    assert!(!call.handle_response(poll.id, HttpResponse::new(200, "{}"), now));
    assert!(!call.handle_timeout(now));
    assert_eq!(call.poll_output(), Output::Done(Ok(json!(5))));
}

#[test]
fn token_never_shown() {
    let mut seen: Vec<HttpRequest> = Vec::new();
    let run = run_with(
        request(),
        VecDeque::from(vec![created(), status("FAILED")]),
        |r| seen.push(r.clone()),
    );
    for r in &seen {
        let debug = format!("{r:?}");
        assert!(!debug.contains(TOKEN), "{debug}");
        assert!(debug.contains("<redacted>"));
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    assert!(!format!("{:?}", config()).contains(TOKEN));
    assert!(!run.error().to_string().contains(TOKEN));
    assert!(!format!("{:?}", run.result).contains(TOKEN));
}

#[test]
fn resume_polls_an_existing_action() {
    let now = std::time::Instant::now();
    let mut call = ampere_core::action::ActionCall::resume("act_7", None, config(), now).unwrap();
    assert_eq!(call.action_id(), Some("act_7"));
    let Output::WaitUntil(deadline) = call.poll_output() else {
        panic!("waits first")
    };
    assert_eq!(deadline - now, Duration::from_millis(100));
    assert!(call.handle_timeout(deadline));
    let Output::Send(poll) = call.poll_output() else {
        panic!("then polls")
    };
    assert_eq!(poll.method, Method::Get);
    assert_eq!(poll.url, "https://api.test/actions/act_7");
    assert!(call.handle_response(
        poll.id,
        HttpResponse::new(200, r#"{"status":"COMPLETED","result":"r"}"#),
        deadline
    ));
    assert_eq!(call.poll_output(), Output::Done(Ok(json!("r"))));

    assert!(matches!(
        ampere_core::action::ActionCall::resume("", None, config(), now),
        Err(ActionError::Validation(_))
    ));
    assert!(matches!(
        ampere_core::action::ActionCall::resume("a", Some(Duration::ZERO), config(), now),
        Err(ActionError::Validation(_))
    ));
}

#[test]
fn every_request_carries_the_http_policy() {
    let mut seen: Vec<HttpRequest> = Vec::new();
    run_with(
        request(),
        VecDeque::from(vec![created(), status("COMPLETED")]),
        |r| seen.push(r.clone()),
    );
    assert_eq!(seen.len(), 2);
    for r in &seen {
        assert_eq!(r.header("user-agent"), Some(USER_AGENT));
        assert!(USER_AGENT.starts_with("ampere/"));
        assert_eq!(r.max_response_body, MAX_RESPONSE_BODY);
        assert_eq!(r.max_response_body, 64 * 1024 * 1024);
    }
    let names: Vec<&str> = seen[0].headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Authorization", "User-Agent", "Content-Type"]);
    let names: Vec<&str> = seen[1].headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Authorization", "User-Agent"]);
}

#[test]
fn a_redirect_is_not_followed() {
    for status in [301, 302, 303, 307, 308] {
        let mut call =
            ampere_core::action::ActionCall::new(request(), config(), std::time::Instant::now())
                .unwrap();
        let Output::Send(create) = call.poll_output() else {
            panic!("create first")
        };
        let mut answer = HttpResponse::new(status, "moved");
        answer
            .headers
            .push(("location".into(), "https://elsewhere.test/actions".into()));
        assert!(call.handle_response(create.id, answer, std::time::Instant::now()));
        assert_eq!(
            call.poll_output(),
            Output::Done(Err(ActionError::Http {
                status: Some(status),
                message: format!(
                    "HTTP {status} from https://api.test/actions: redirect to https://elsewhere.test/actions not followed"
                ),
                body: Some("moved".into()),
            })),
            "no retry, no poll: the call is over"
        );
    }
    // While polling too, and without a Location.
    let run = run(request(), vec![created(), http(302, "")]);
    assert_eq!(
        run.error().to_string(),
        "HTTP 302 from https://api.test/actions/act_1: redirect not followed (no Location)"
    );
    assert_eq!(run.sent.len(), 2);
}

#[test]
fn every_transport_kind_has_its_text() {
    let cases = [
        (TransportErrorKind::Refused, "Network error: connection refused (https://api.test/actions)"),
        (TransportErrorKind::Dns, "Network error: cannot resolve the host of https://api.test/actions"),
        (TransportErrorKind::Tls, "Network error: TLS failure with https://api.test/actions: the detail"),
        (TransportErrorKind::Timeout, "Request timed out: no complete answer from https://api.test/actions within 30s"),
        (TransportErrorKind::InvalidUrl, "Network error: invalid URL https://api.test/actions: the detail"),
        (TransportErrorKind::BodyTooLarge, "Network error: the response from https://api.test/actions is larger than the limit of 67108864 bytes"),
        (TransportErrorKind::Other, "Network error: the detail (https://api.test/actions)"),
    ];
    for (kind, text) in cases {
        let run = run(
            request(),
            vec![Reply::Transport(TransportError::new(kind, " the detail "))],
        );
        assert_eq!(run.error().to_string(), text, "{kind:?}");
        assert_eq!(run.error().http_status(), None);
        assert_eq!(run.sent.len(), 1, "{kind:?}: no retry");
    }
}

#[test]
fn a_bad_action_name_is_rejected_before_sending() {
    for (name, rule) in [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("send\ninvoice", "control characters"),
        ("nul\0", "control characters"),
        ("tab\there", "control characters"),
    ] {
        let err = ampere_core::action::ActionCall::new(
            ActionRequest::new(name, json!({})),
            config(),
            std::time::Instant::now(),
        )
        .expect_err(name);
        match err {
            ActionError::Validation(v) => {
                assert_eq!(v.field, "action_name");
                assert!(v.rule.contains(rule), "{name:?}: {}", v.rule);
            }
            other => panic!("{name:?}: {other:?}"),
        }
    }
    assert!(ActionRequest::new("send_invoice", json!({}))
        .validate()
        .is_ok());
    assert!(ActionRequest::new("Send invoice ü", json!({}))
        .validate()
        .is_ok());
}
