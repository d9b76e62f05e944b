//! Drives the Zamp action machine with arbitrary answers, transport errors, timer wake-ups
//! and wrong request ids, with arbitrary action names and base URLs. Asserts: no panic, one
//! thing to do at a time (`poll_output` is total), `Done` stays once reached, and
//! termination within a step cap once the server starts answering sensibly.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ampere_core::action::{
    ActionCall, ActionConfig, ActionError, ActionRequest, HttpResponse, Output, RequestId,
    RetryPolicy, TransportError, TransportErrorKind, USER_AGENT,
};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    name: Option<String>,
    base_url: Option<String>,
    inline: bool,
    start_to_close: Option<(u64, u32)>,
    policy: Option<(u64, u32, u64, u32, u32, f64)>,
    events: Vec<Event>,
}

#[derive(Arbitrary, Debug)]
enum Event {
    /// Answer the request in flight (`wrong_id` shifts the id).
    Respond {
        wrong_id: u8,
        status: u16,
        body: Body,
        latency_ms: u16,
    },
    Network {
        wrong_id: u8,
        kind: u8,
        text: String,
    },
    TimedOut {
        wrong_id: u8,
    },
    /// Wake the timer at the deadline shifted by `shift_ms` (negative = early).
    Wake {
        shift_ms: i32,
    },
    /// Drain outputs without feeding anything.
    Nothing,
}

#[derive(Arbitrary, Debug)]
enum Body {
    Raw(Vec<u8>),
    Id(String),
    NumberId(i64),
    Status(String, Option<String>),
    Completed(Option<String>),
    DataEnvelope(String),
    ErrorEnvelope(String),
    Message(String),
}

impl Body {
    fn bytes(&self) -> Vec<u8> {
        use serde_json::json;
        let value = match self {
            Body::Raw(bytes) => return bytes.clone(),
            Body::Id(id) => json!({ "id": id }),
            Body::NumberId(id) => json!({ "id": id, "status": "RUNNING" }),
            Body::Status(status, error) => json!({ "id": "a", "status": status, "error": error }),
            Body::Completed(result) => {
                json!({ "id": "a", "status": "COMPLETED", "result": result })
            }
            Body::DataEnvelope(inner) => json!({ "data": { "id": inner, "status": inner } }),
            Body::ErrorEnvelope(message) => json!({ "error": { "message": message } }),
            Body::Message(message) => json!({ "message": message }),
        };
        value.to_string().into_bytes()
    }
}

fn base_instant() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    #[allow(clippy::disallowed_methods)]
    *BASE.get_or_init(Instant::now)
}

struct Driver {
    call: ActionCall,
    now: Instant,
    in_flight: Option<RequestId>,
    deadline: Option<Instant>,
    done: Option<Result<serde_json::Value, ActionError>>,
    done_count: u32,
    echoed: bool,
}

const TOKEN: &str = "fuzz-token";

fn mentions_token(events: &[Event]) -> bool {
    let token = TOKEN.as_bytes();
    let has = |bytes: &[u8]| bytes.windows(token.len()).any(|w| w == token);
    events.iter().any(|event| match event {
        Event::Respond { body, .. } => has(&body.bytes()),
        Event::Network { text, .. } => has(text.as_bytes()),
        _ => false,
    })
}

impl Driver {
    /// Asks the machine what to do; it always has exactly one answer.
    fn drain(&mut self) {
        match self.call.poll_output() {
            Output::Send(req) => {
                assert!(self.done.is_none(), "Send after Done");
                assert!(self.in_flight.is_none(), "two requests in flight");
                assert!(req.timeout > Duration::ZERO);
                // The token only travels in the (redacted) Authorization header.
                assert!(self.echoed || !format!("{req:?}").contains(TOKEN));
                assert!(req.header("authorization").is_some());
                assert_eq!(req.header("user-agent"), Some(USER_AGENT));
                assert_eq!(req.max_response_body, 64 * 1024 * 1024);
                assert_eq!(self.call.poll_output(), Output::AwaitResponse(req.id));
                self.in_flight = Some(req.id);
                self.deadline = None;
            }
            Output::AwaitResponse(id) => {
                assert_eq!(self.in_flight, Some(id), "awaiting an unknown request");
            }
            Output::WaitUntil(deadline) => {
                assert!(self.done.is_none(), "WaitUntil after Done");
                assert!(
                    self.in_flight.is_none(),
                    "wait while a request is in flight"
                );
                assert_eq!(self.call.poll_output(), Output::WaitUntil(deadline));
                self.deadline = Some(deadline);
            }
            Output::Done(result) => {
                if let Some(done) = &self.done {
                    assert_eq!(done, &result, "Done changed");
                    return;
                }
                self.done_count += 1;
                if let Err(err) = &result {
                    // Unless the fuzzed server itself echoed the token, it never shows.
                    if !self.echoed {
                        assert!(!err.to_string().contains(TOKEN));
                        assert!(!format!("{err:?}").contains(TOKEN));
                    }
                }
                self.done = Some(result);
                self.in_flight = None;
                self.deadline = None;
            }
        }
    }

    fn target(&self, wrong_id: u8) -> RequestId {
        let id = self.in_flight.map_or(0, RequestId::as_u64);
        RequestId::from_raw(id.wrapping_add(u64::from(wrong_id)))
    }

    fn accepted(&mut self, wrong_id: u8, accepted: bool) {
        let expected = wrong_id == 0 && self.in_flight.is_some();
        assert_eq!(accepted, expected, "acceptance of an answer");
        if accepted {
            self.in_flight = None;
        }
    }
}

fuzz_target!(|input: Input| {
    let name = input.name.as_deref().unwrap_or("fuzz");
    let mut request = ActionRequest::new(name, serde_json::json!({"k": 1}));
    if input.inline {
        request = request.inline();
    }
    if let Some((s, n)) = input.start_to_close {
        request = request.start_to_close_timeout(Duration::new(s, n % 1_000_000_000));
    }
    if let Some((a, an, b, bn, attempts, c)) = input.policy {
        request = request.retry_policy(RetryPolicy {
            initial_interval: Duration::new(a, an % 1_000_000_000),
            maximum_attempts: attempts,
            maximum_interval: Duration::new(b, bn % 1_000_000_000),
            backoff_coefficient: c,
        });
    }
    let base_url = input.base_url.as_deref().unwrap_or("https://fuzz.test/");
    let config = match ActionConfig::new(base_url, TOKEN) {
        Ok(config) => config,
        Err(ActionError::Config { message, .. }) => {
            assert!(!message.contains(TOKEN) || base_url.contains(TOKEN));
            return;
        }
        Err(other) => panic!("unexpected config error {other:?}"),
    };
    let now = base_instant();
    let call = match ActionCall::new(request, config, now) {
        Ok(call) => call,
        Err(ActionError::Validation(_)) => return,
        Err(other) => panic!("unexpected construction error {other:?}"),
    };
    let mut d = Driver {
        call,
        now,
        in_flight: None,
        deadline: None,
        done: None,
        done_count: 0,
        // A fuzzed name or URL holding the token's text is not a leak of the token.
        echoed: mentions_token(&input.events) || name.contains(TOKEN) || base_url.contains(TOKEN),
    };
    d.drain();

    for event in &input.events {
        match event {
            Event::Respond {
                wrong_id,
                status,
                body,
                latency_ms,
            } => {
                d.now += Duration::from_millis(u64::from(*latency_ms));
                let id = d.target(*wrong_id);
                let ok =
                    d.call
                        .handle_response(id, HttpResponse::new(*status, body.bytes()), d.now);
                d.accepted(*wrong_id, ok);
            }
            Event::Network {
                wrong_id,
                kind,
                text,
            } => {
                let id = d.target(*wrong_id);
                let kind = match kind % 6 {
                    0 => TransportErrorKind::Refused,
                    1 => TransportErrorKind::Dns,
                    2 => TransportErrorKind::Tls,
                    3 => TransportErrorKind::InvalidUrl,
                    4 => TransportErrorKind::BodyTooLarge,
                    _ => TransportErrorKind::Other,
                };
                let error = TransportError::new(kind, text.clone());
                let ok = d.call.handle_transport_error(id, error, d.now);
                d.accepted(*wrong_id, ok);
            }
            Event::TimedOut { wrong_id } => {
                let id = d.target(*wrong_id);
                let error = TransportError::new(TransportErrorKind::Timeout, "t");
                let ok = d.call.handle_transport_error(id, error, d.now);
                d.accepted(*wrong_id, ok);
            }
            Event::Wake { shift_ms } => {
                let at = match d.deadline {
                    Some(deadline) if *shift_ms < 0 => deadline
                        .checked_sub(Duration::from_millis(u64::from(shift_ms.unsigned_abs())))
                        .unwrap_or(deadline),
                    Some(deadline) => deadline + Duration::from_millis(*shift_ms as u64),
                    None => d.now,
                };
                let at = at.max(d.now);
                d.now = at;
                let waiting = d.deadline.is_some();
                let handled = d.call.handle_timeout(at);
                assert_eq!(handled, waiting, "timeout acceptance");
                if let Some(deadline) = d.deadline {
                    if at >= deadline {
                        d.deadline = None;
                    }
                }
            }
            Event::Nothing => {}
        }
        d.drain();
        if d.done.is_some() {
            assert!(d.call.is_done());
        }
    }

    // Then a sane server: every request gets a completed record; the call must end quickly.
    for _ in 0..16 {
        if d.done.is_some() {
            break;
        }
        if let Some(id) = d.in_flight {
            let body = br#"{"id":"a","status":"COMPLETED","result":1}"#.to_vec();
            assert!(d
                .call
                .handle_response(id, HttpResponse::new(200, body), d.now));
            d.in_flight = None;
        } else if let Some(deadline) = d.deadline.take() {
            d.now = d.now.max(deadline);
            assert!(d.call.handle_timeout(d.now));
        } else {
            panic!("nothing in flight, no deadline, not done: stuck");
        }
        d.drain();
    }
    assert_eq!(d.done_count, 1, "no Done after a sane tail");
    assert!(matches!(d.call.poll_output(), Output::Done(_)));
});
