//! Property tests of the action machine: backoff schedules, budgets, determinism and
//! robustness against arbitrary answers and extreme settings.
#![allow(clippy::disallowed_methods)]

#[path = "action_harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use ampere_core::action::{
    iso8601_duration, ActionCall, ActionError, ActionRequest, HttpResponse, Output, RequestId,
    RetryPolicy, TransportError, TransportErrorKind,
};
use harness::{config, create_schedule, poll_schedule};
use proptest::prelude::*;
use serde_json::{json, Value};

/// One scripted reaction of the server, plus driver mischief.
#[derive(Debug, Clone)]
struct Step {
    reply: Reply,
    latency_ms: u32,
    /// Feed a response with a wrong id first.
    stale_first: bool,
    /// Wake up halfway through the next wait first.
    early_wakeup: bool,
}

#[derive(Debug, Clone)]
enum Reply {
    Http(u16, Vec<u8>),
    Network,
    Timeout,
}

fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(br#"{"id":"act_1"}"#.to_vec()),
        Just(br#"{"id":7,"status":"RUNNING"}"#.to_vec()),
        Just(br#"{"status":"RUNNING"}"#.to_vec()),
        Just(br#"{"status":"COMPLETED","result":{"x":1}}"#.to_vec()),
        Just(br#"{"status":"FAILED","error":"e"}"#.to_vec()),
        Just(br#"{"status":"TIMED_OUT"}"#.to_vec()),
        Just(br#"{"status":"PENDING"}"#.to_vec()),
        Just(br#"{"data":{"id":"a","status":"COMPLETED"}}"#.to_vec()),
        Just(br#"{"error":{"message":"nope"}}"#.to_vec()),
        Just(br#"{"message":"m"}"#.to_vec()),
        Just(b"not json".to_vec()),
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 0..40),
        "[ -~]{0,30}".prop_map(String::into_bytes),
    ]
}

fn status_strategy() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => Just(200u16),
        1 => Just(201u16),
        1 => Just(204u16),
        1 => Just(302u16),
        1 => Just(400u16),
        1 => Just(422u16),
        1 => Just(429u16),
        2 => Just(500u16),
        2 => Just(503u16),
        1 => any::<u16>(),
    ]
}

fn step_strategy() -> impl Strategy<Value = Step> {
    (
        prop_oneof![
            8 => (status_strategy(), body_strategy()).prop_map(|(s, b)| Reply::Http(s, b)),
            1 => Just(Reply::Network),
            1 => Just(Reply::Timeout),
        ],
        0u32..40_000,
        proptest::bool::weighted(0.1),
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(reply, latency_ms, stale_first, early_wakeup)| Step {
            reply,
            latency_ms,
            stale_first,
            early_wakeup,
        })
}

#[derive(Debug, PartialEq)]
struct Trace {
    /// (elapsed, method, url, timeout) per request.
    sent: Vec<(Duration, String, String, Duration)>,
    waits: Vec<Duration>,
    result: Result<Value, ActionError>,
}

/// Drives `request` with `script`; once the script runs out every request gets a 503.
/// Asserts the output protocol along the way.
fn drive(request: ActionRequest, script: &[Step], start: Instant) -> Trace {
    let mut now = start;
    let mut call = ActionCall::new(request, config(), now).expect("valid");
    let mut sent = Vec::new();
    let mut waits = Vec::new();
    let mut steps = script.iter();
    let mut early_next = false;
    for _ in 0..harness::STEP_CAP {
        match call.poll_output() {
            Output::Send(req) => {
                sent.push((
                    now - start,
                    req.method.to_string(),
                    req.url.clone(),
                    req.timeout,
                ));
                let step = steps.next().cloned().unwrap_or(Step {
                    reply: Reply::Http(503, Vec::new()),
                    latency_ms: 0,
                    stale_first: false,
                    early_wakeup: false,
                });
                early_next = step.early_wakeup;
                if step.stale_first {
                    let wrong = RequestId::from_raw(req.id.as_u64().wrapping_add(1));
                    assert!(!call.handle_response(wrong, HttpResponse::new(200, "{}"), now));
                    assert!(!call.handle_timeout(now));
                    assert_eq!(call.poll_output(), Output::AwaitResponse(req.id));
                }
                now += Duration::from_millis(u64::from(step.latency_ms));
                let accepted = match step.reply {
                    Reply::Http(status, body) => {
                        call.handle_response(req.id, HttpResponse::new(status, body), now)
                    }
                    Reply::Network => call.handle_transport_error(
                        req.id,
                        TransportError::new(TransportErrorKind::Refused, "down"),
                        now,
                    ),
                    Reply::Timeout => call.handle_transport_error(
                        req.id,
                        TransportError::new(TransportErrorKind::Timeout, "slow"),
                        now,
                    ),
                };
                assert!(accepted);
            }
            Output::WaitUntil(deadline) => {
                assert!(deadline >= now);
                assert_eq!(call.poll_output(), Output::WaitUntil(deadline));
                let wait = deadline - now;
                if early_next && !wait.is_zero() {
                    early_next = false;
                    assert!(call.handle_timeout(now + wait / 2));
                    assert_eq!(call.poll_output(), Output::WaitUntil(deadline));
                }
                waits.push(wait);
                now = deadline;
                assert!(call.handle_timeout(now));
            }
            Output::AwaitResponse(id) => panic!("asked again before answering {id}"),
            Output::Done(result) => {
                assert_eq!(
                    call.poll_output(),
                    Output::Done(result.clone()),
                    "Done stays"
                );
                assert!(call.is_done());
                return Trace {
                    sent,
                    waits,
                    result,
                };
            }
        }
    }
    panic!("no Done within {} steps", harness::STEP_CAP);
}

fn budget_of(stc: Option<Duration>) -> Duration {
    stc.map_or(Duration::from_secs(3600), |t| {
        t.max(Duration::from_secs(3600))
    })
}

fn http_step(status: u16, body: &str) -> Step {
    Step {
        reply: Reply::Http(status, body.as_bytes().to_vec()),
        latency_ms: 0,
        stale_first: false,
        early_wakeup: false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn create_waits_are_1_2_4_to_30_within_budget(n in 0usize..160, s in 500u16..600) {
        let mut script: Vec<Step> = (0..n).map(|_| http_step(s, "")).collect();
        script.push(http_step(200, r#"{"id":"a"}"#));
        script.push(http_step(200, r#"{"status":"COMPLETED"}"#));
        let trace = drive(ActionRequest::new("x", json!({})), &script, Instant::now());
        let schedule = create_schedule();
        let retries = n.min(schedule.len());
        prop_assert_eq!(&trace.waits[..retries], &schedule[..retries]);
        prop_assert!(trace.waits.iter().all(|w| *w <= Duration::from_secs(30)));
        let creates = trace.sent.iter().filter(|s| s.1 == "POST").count();
        prop_assert_eq!(creates, retries + 1);
        let create_wait: Duration = trace.waits[..retries].iter().sum();
        prop_assert!(create_wait <= Duration::from_secs(3600));
        if n > schedule.len() {
            prop_assert_eq!(trace.result.as_ref().unwrap_err().http_status(), Some(s));
        } else {
            prop_assert_eq!(&trace.result, &Ok(Value::Null));
        }
    }

    #[test]
    fn poll_waits_grow_by_half_within_budget(
        kinds in proptest::collection::vec(any::<bool>(), 0..400),
        stc_secs in proptest::option::of(1u64..3 * 3600),
    ) {
        let stc = stc_secs.map(Duration::from_secs);
        let mut request = ActionRequest::new("x", json!({}));
        if let Some(t) = stc {
            request = request.start_to_close_timeout(t);
        }
        let mut script = vec![http_step(200, r#"{"id":"a"}"#)];
        script.extend(kinds.iter().map(|running| if *running {
            http_step(200, r#"{"status":"RUNNING"}"#)
        } else {
            http_step(502, "")
        }));
        script.push(http_step(200, r#"{"status":"COMPLETED","result":1}"#));
        let trace = drive(request, &script, Instant::now());
        let budget = budget_of(stc);
        let schedule = poll_schedule(budget);
        let polls = (kinds.len() + 1).min(schedule.len());
        prop_assert_eq!(&trace.waits[..], &schedule[..polls]);
        let total: Duration = trace.waits.iter().sum();
        prop_assert!(total <= budget);
        prop_assert!(trace.waits.iter().all(|w| *w <= Duration::from_secs(30)));
        if kinds.len() < schedule.len() {
            prop_assert_eq!(&trace.result, &Ok(json!(1)));
        } else {
            prop_assert!(
                matches!(&trace.result, Err(ActionError::Timeout { action_id, .. }) if action_id == "a"),
                "{:?}", trace.result
            );
        }
    }

    #[test]
    fn a_4xx_create_is_one_request_and_no_wait(status in 400u16..500, body in body_strategy()) {
        let script = [Step { reply: Reply::Http(status, body), latency_ms: 0, stale_first: false, early_wakeup: false }];
        let trace = drive(ActionRequest::new("x", json!({})), &script, Instant::now());
        prop_assert_eq!(trace.sent.len(), 1);
        prop_assert!(trace.waits.is_empty());
        prop_assert_eq!(trace.result.unwrap_err().http_status(), Some(status));
    }

    #[test]
    fn a_terminal_status_ends_the_requests(
        running in 0usize..50,
        terminal in prop::sample::select(vec!["COMPLETED", "FAILED", "CANCELED", "TERMINATED", "TIMED_OUT", "PENDING", "weird"]),
    ) {
        let mut script = vec![http_step(200, r#"{"id":"a"}"#)];
        script.extend((0..running).map(|_| http_step(200, r#"{"status":"RUNNING"}"#)));
        script.push(http_step(200, &format!(r#"{{"status":"{terminal}"}}"#)));
        // Anything after the terminal answer would be a bug: the driver would feed 503s.
        let trace = drive(ActionRequest::new("x", json!({})), &script, Instant::now());
        prop_assert_eq!(trace.sent.len(), running + 2);
        prop_assert_eq!(trace.result.is_ok(), terminal == "COMPLETED");
    }

    #[test]
    fn arbitrary_answers_never_panic_and_are_deterministic(
        script in proptest::collection::vec(step_strategy(), 0..60),
        inline in any::<bool>(),
        stc_secs in proptest::option::of(1u64..2 * 3600),
    ) {
        let mut request = ActionRequest::new("x", json!({"k": [1, 2]}));
        if inline {
            request = request.inline();
        }
        if let Some(t) = stc_secs {
            request = request.start_to_close_timeout(Duration::from_secs(t));
        }
        let start = Instant::now();
        let a = drive(request.clone(), &script, start);
        let b = drive(request, &script, start);
        prop_assert_eq!(&a, &b);
        let total: Duration = a.waits.iter().sum();
        prop_assert!(total <= Duration::from_secs(3600) + budget_of(stc_secs.map(Duration::from_secs)));
        prop_assert!(a.waits.iter().all(|w| *w <= Duration::from_secs(30)));
        if inline {
            prop_assert_eq!(a.sent.len(), 1);
            prop_assert!(a.waits.is_empty());
        }
    }

    #[test]
    fn extreme_settings_never_panic(
        initial in (any::<u64>(), 0u32..1_000_000_000),
        maximum in (any::<u64>(), 0u32..1_000_000_000),
        attempts in any::<u32>(),
        coefficient in prop_oneof![any::<f64>(), Just(f64::MAX), Just(f64::NAN), Just(f64::INFINITY), Just(1.0)],
        stc in proptest::option::of((any::<u64>(), 0u32..1_000_000_000)),
        inline in any::<bool>(),
    ) {
        let policy = RetryPolicy {
            initial_interval: Duration::new(initial.0, initial.1),
            maximum_attempts: attempts,
            maximum_interval: Duration::new(maximum.0, maximum.1),
            backoff_coefficient: coefficient,
        };
        let mut request = ActionRequest::new("x", json!(null)).retry_policy(policy);
        if let Some((s, n)) = stc {
            request = request.start_to_close_timeout(Duration::new(s, n));
        }
        if inline {
            request = request.inline();
        }
        let now = Instant::now();
        match ActionCall::new(request, config(), now) {
            Err(ActionError::Validation(_)) => {}
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
            Ok(mut call) => {
                // A handful of steps with 5xx answers and early, late and exact wake-ups.
                for i in 0..300u32 {
                    match call.poll_output() {
                        Output::Send(req) => {
                            prop_assert!(req.timeout >= Duration::from_secs(1));
                            call.handle_response(req.id, HttpResponse::new(if i == 0 { 200 } else { 500 }, r#"{"id":"a","status":"RUNNING"}"#), now);
                        }
                        Output::WaitUntil(d) => { call.handle_timeout(d); }
                        Output::Done(_) => break,
                        Output::AwaitResponse(_) => prop_assert!(false, "AwaitResponse after answering"),
                    }
                }
            }
        }
    }

    #[test]
    fn iso8601_parses_back(secs in any::<u64>(), nanos in 0u32..1_000_000_000) {
        let d = Duration::new(secs, nanos);
        let text = iso8601_duration(d);
        prop_assert_eq!(harness::parse_iso8601_micros(&text), Some(d.as_micros()), "{}", text);
        prop_assert!(text.starts_with('P'));
    }

    #[test]
    fn iso8601_parses_back_small(micros in 0u64..400 * 86_400 * 1_000_000) {
        let d = Duration::from_micros(micros);
        let text = iso8601_duration(d);
        prop_assert_eq!(harness::parse_iso8601_micros(&text), Some(u128::from(micros)), "{}", text);
    }
}

fn transport_kind(n: u8) -> TransportErrorKind {
    match n % 7 {
        0 => TransportErrorKind::Refused,
        1 => TransportErrorKind::Dns,
        2 => TransportErrorKind::Tls,
        3 => TransportErrorKind::Timeout,
        4 => TransportErrorKind::InvalidUrl,
        5 => TransportErrorKind::BodyTooLarge,
        _ => TransportErrorKind::Other,
    }
}

proptest! {
    /// Every transport failure ends the call at once with core's text: it names the URL,
    /// starts with the spec's prefix, and carries no status or body.
    #[test]
    fn transport_failures_read_the_same_whatever_the_client_said(
        kind in any::<u8>(),
        detail in ".{0,40}",
        poll in any::<bool>(),
    ) {
        let kind = transport_kind(kind);
        let mut replies = Vec::new();
        if poll {
            replies.push(harness::created());
        }
        replies.push(harness::Reply::Transport(TransportError::new(kind, detail.clone())));
        let run = harness::run(ActionRequest::new("x", json!({})), replies);
        let url = if poll { "https://api.test/actions/act_1" } else { "https://api.test/actions" };
        match run.result {
            Err(ActionError::Http { status: None, message, body: None }) => {
                prop_assert!(message.contains(url), "{}", message);
                let prefix = if kind == TransportErrorKind::Timeout { "Request timed out: " } else { "Network error: " };
                prop_assert!(message.starts_with(prefix), "{}", message);
                // The client's text only where the kind needs it.
                if matches!(kind, TransportErrorKind::Refused | TransportErrorKind::Dns | TransportErrorKind::Timeout | TransportErrorKind::BodyTooLarge) {
                    let expected = TransportError::new(kind, "").message(url, Duration::from_secs(30), 64 * 1024 * 1024);
                    prop_assert_eq!(message, expected);
                }
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    /// The base URL check never panics; an accepted URL is http(s) with a host, and its
    /// joined endpoints stay under it.
    #[test]
    fn base_url_check_is_total(url in "(https?://|ftp://|)[a-z0-9.:@\\[\\]/ ?#-]{0,24}") {
        match ampere_core::action::ActionConfig::new(url.clone(), "t") {
            Ok(config) => {
                let lower = url.to_ascii_lowercase();
                prop_assert!(lower.starts_with("http://") || lower.starts_with("https://"));
                prop_assert!(!url.contains(' ') && !url.contains('?') && !url.contains('#'));
                // Credentials live in the authority; an `@` in the path (`/@scope`) is legal.
                let authority = url.split_once("://").map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
                prop_assert!(!authority.contains('@'), "{:?} accepted with credentials", url);
                let joined = config.url("/actions");
                prop_assert!(joined.starts_with(url.trim_end_matches('/')));
                prop_assert!(joined.ends_with("/actions"));
            }
            Err(ActionError::Config { variable, message }) => {
                prop_assert_eq!(variable, "ZAMP_BASE_URL");
                // An empty URL is no URL at all: "not set".
                prop_assert!(message.starts_with("invalid base URL") || url.is_empty(), "{}", message);
            }
            Err(other) => prop_assert!(false, "{:?}", other),
        }
    }

    /// Action names: empty, blank or with a control character is a validation error naming
    /// `action_name`; anything else is sent.
    #[test]
    fn action_names(name in "\\PC{0,8}|[\\x00-\\x1f\\x7f]{1,3}|\\PC{0,4}[\\n\\t\\r\\x00]\\PC{0,4}") {
        let bad = name.trim().is_empty() || name.chars().any(char::is_control);
        match ampere_core::action::ActionCall::new(ActionRequest::new(name.clone(), json!({})), config(), Instant::now()) {
            Ok(_) => prop_assert!(!bad, "{:?} accepted", name),
            Err(ActionError::Validation(v)) => {
                prop_assert!(bad, "{:?} rejected", name);
                prop_assert_eq!(v.field, "action_name");
            }
            Err(other) => prop_assert!(false, "{:?}", other),
        }
    }
}
