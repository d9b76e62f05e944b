//! Drives the Zamp action machine with arbitrary answers, transport errors, timer wake-ups
//! and wrong request ids. Asserts: no panic, `Done` exactly once, nothing after it, and
//! termination within a step cap once the server starts answering sensibly.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ampere_core::action::{
    ActionCall, ActionConfig, ActionError, ActionRequest, HttpResponse, Output, RequestId,
    RetryPolicy, TransportError,
};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
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
    fn drain(&mut self) {
        // Each input yields at most a few outputs; a long drain is a livelock.
        for _ in 0..8 {
            match self.call.poll_output() {
                Some(Output::Send(req)) => {
                    assert!(self.done.is_none(), "Send after Done");
                    assert!(self.in_flight.is_none(), "two requests in flight");
                    assert!(req.timeout > Duration::ZERO);
                    // The token only travels in the (redacted) Authorization header.
                    assert!(self.echoed || !format!("{req:?}").contains(TOKEN));
                    assert!(req.header("authorization").is_some());
                    self.in_flight = Some(req.id);
                    self.deadline = None;
                }
                Some(Output::WaitUntil(deadline)) => {
                    assert!(self.done.is_none(), "WaitUntil after Done");
                    assert!(
                        self.in_flight.is_none(),
                        "wait while a request is in flight"
                    );
                    assert_eq!(self.call.poll_timeout(), Some(deadline));
                    self.deadline = Some(deadline);
                }
                Some(Output::Done(result)) => {
                    self.done_count += 1;
                    assert_eq!(self.done_count, 1, "Done twice");
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
                None => return,
            }
        }
        panic!("poll_output never returned None");
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
    let mut request = ActionRequest::new("fuzz", serde_json::json!({"k": 1}));
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
    let config = ActionConfig::new("https://fuzz.test/", TOKEN).expect("config");
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
        echoed: mentions_token(&input.events),
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
            Event::Network { wrong_id, text } => {
                let id = d.target(*wrong_id);
                let ok =
                    d.call
                        .handle_transport_error(id, TransportError::Network(text.clone()), d.now);
                d.accepted(*wrong_id, ok);
            }
            Event::TimedOut { wrong_id } => {
                let id = d.target(*wrong_id);
                let ok =
                    d.call
                        .handle_transport_error(id, TransportError::Timeout("t".into()), d.now);
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
    assert!(d.call.poll_output().is_none());
});
