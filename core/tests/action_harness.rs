//! A scripted Zamp server and a virtual-clock driver for `ActionCall`.
//!
//! Shared by the `action_*` test files through `#[path = "action_harness.rs"] mod harness;`
//! (compiled on its own too, where it only checks itself).
#![allow(clippy::disallowed_methods, dead_code)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use ampere_core::action::{
    ActionCall, ActionConfig, ActionError, ActionRequest, HttpRequest, HttpResponse, Output,
    RequestId, TransportError,
};
use serde_json::Value;

pub const BASE: &str = "https://api.test";
pub const TOKEN: &str = "tok_SECRET_123";

/// What the scripted server does with the next request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer with this status and body after `latency`.
    Http {
        status: u16,
        body: Vec<u8>,
        latency: Duration,
    },
    /// Fail without an answer.
    Transport(TransportError),
}

pub fn http(status: u16, body: &str) -> Reply {
    Reply::Http {
        status,
        body: body.as_bytes().to_vec(),
        latency: Duration::ZERO,
    }
}

pub fn json(status: u16, body: Value) -> Reply {
    http(status, &body.to_string())
}

pub fn slow(status: u16, body: &str, latency: Duration) -> Reply {
    Reply::Http {
        status,
        body: body.as_bytes().to_vec(),
        latency,
    }
}

pub fn created() -> Reply {
    http(200, r#"{"id":"act_1","status":"RUNNING"}"#)
}

pub fn status(s: &str) -> Reply {
    json(200, serde_json::json!({ "id": "act_1", "status": s }))
}

pub fn config() -> ActionConfig {
    ActionConfig::new(BASE, TOKEN).expect("valid config")
}

/// One entry of a transcript: when (since the start), what, where.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub at: Duration,
    pub request: HttpRequest,
}

#[derive(Debug)]
pub struct Run {
    pub result: Result<Value, ActionError>,
    pub sent: Vec<Sent>,
    /// Every `WaitUntil`, as the wait length from the moment it was announced.
    pub waits: Vec<Duration>,
    pub action_id: Option<String>,
}

impl Run {
    /// `"{seconds} {METHOD} {url}"` per request.
    pub fn transcript(&self) -> Vec<String> {
        self.sent
            .iter()
            .map(|s| {
                format!(
                    "{} {} {}",
                    secs(s.at),
                    s.request.method,
                    s.request.url.strip_prefix(BASE).unwrap_or(&s.request.url)
                )
            })
            .collect()
    }

    pub fn error(&self) -> &ActionError {
        self.result.as_ref().expect_err("expected an error")
    }
}

/// Seconds, trimmed: `0.1`, `3600`, `0.50625`.
pub fn secs(d: Duration) -> String {
    let text = format!("{:.9}", d.as_secs_f64());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

pub const STEP_CAP: usize = 100_000;

/// Runs `request` against the replies in order, in virtual time. Panics when the script
/// runs out, when the machine livelocks, or when it breaks the output protocol.
pub fn run(request: ActionRequest, replies: Vec<Reply>) -> Run {
    run_with(request, replies.into_iter().collect(), |_| {})
}

pub fn run_with(
    request: ActionRequest,
    mut replies: VecDeque<Reply>,
    mut on_send: impl FnMut(&HttpRequest),
) -> Run {
    let start = Instant::now();
    let mut now = start;
    let mut call = ActionCall::new(request, config(), now).expect("valid request");
    let mut sent = Vec::new();
    let mut waits = Vec::new();
    for _ in 0..STEP_CAP {
        match call.poll_output() {
            Output::Send(request) => {
                on_send(&request);
                assert_eq!(
                    call.poll_output(),
                    Output::AwaitResponse(request.id),
                    "one thing at a time"
                );
                sent.push(Sent {
                    at: now - start,
                    request: request.clone(),
                });
                let reply = replies
                    .pop_front()
                    .unwrap_or_else(|| panic!("script ran out at {:?}", request));
                match reply {
                    Reply::Http {
                        status,
                        body,
                        latency,
                    } => {
                        now += latency;
                        assert!(call.handle_response(
                            request.id,
                            HttpResponse::new(status, body),
                            now
                        ));
                    }
                    Reply::Transport(err) => {
                        assert!(call.handle_transport_error(request.id, err, now));
                    }
                }
            }
            Output::WaitUntil(deadline) => {
                assert!(deadline >= now, "deadline in the past");
                assert_eq!(
                    call.poll_output(),
                    Output::WaitUntil(deadline),
                    "the same deadline until it has come"
                );
                waits.push(deadline - now);
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
                assert!(!call.handle_timeout(now));
                assert!(!call.handle_response(
                    RequestId::from_raw(0),
                    HttpResponse::new(200, "{}"),
                    now
                ));
                assert!(replies.is_empty(), "unused replies: {replies:?}");
                return Run {
                    result,
                    sent,
                    waits,
                    action_id: call.action_id().map(str::to_owned),
                };
            }
        }
    }
    panic!("no Done within {STEP_CAP} steps");
}

/// The create-retry schedule as the reference SDK computes it, clipped to the budget.
pub fn create_schedule() -> Vec<Duration> {
    schedule(1.0, 2.0, 30.0, Duration::from_secs(3600))
}

/// The poll schedule for `budget`.
pub fn poll_schedule(budget: Duration) -> Vec<Duration> {
    schedule(0.1, 1.5, 30.0, budget)
}

pub fn schedule(initial: f64, coefficient: f64, cap: f64, budget: Duration) -> Vec<Duration> {
    let mut out = Vec::new();
    let mut waited = Duration::ZERO;
    let mut next = initial;
    while waited < budget {
        let wait = Duration::from_secs_f64(next).min(budget - waited);
        out.push(wait);
        waited += wait;
        next = (next * coefficient).min(cap);
    }
    out
}

#[test]
fn schedules_start_as_documented() {
    let c = create_schedule();
    assert_eq!(
        c[..7].iter().map(|d| secs(*d)).collect::<Vec<_>>(),
        ["1", "2", "4", "8", "16", "30", "30"]
    );
    assert_eq!(c.iter().sum::<Duration>(), Duration::from_secs(3600));
    let p = poll_schedule(Duration::from_secs(3600));
    assert_eq!(
        p[..4].iter().map(|d| secs(*d)).collect::<Vec<_>>(),
        ["0.1", "0.15", "0.225", "0.3375"]
    );
}

/// Parses the ISO-8601 durations pydantic writes (`P[nY][nD][T[nH][nM][n[.f]S]]`, years of
/// 365 days) back to whole microseconds. `None` for anything else.
pub fn parse_iso8601_micros(text: &str) -> Option<u128> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut micros: u128 = 0;
    let mut number = String::new();
    for c in date.chars() {
        match c {
            '0'..='9' => number.push(c),
            'Y' | 'D' => {
                let n: u128 = number.parse().ok()?;
                number.clear();
                let days = if c == 'Y' { n * 365 } else { n };
                micros += days * 86_400 * 1_000_000;
            }
            _ => return None,
        }
    }
    if !number.is_empty() {
        return None;
    }
    if let Some(time) = time {
        if time.is_empty() {
            return None;
        }
        for c in time.chars() {
            match c {
                '0'..='9' | '.' => number.push(c),
                'H' | 'M' => {
                    let n: u128 = number.parse().ok()?;
                    number.clear();
                    micros += n * if c == 'H' { 3600 } else { 60 } * 1_000_000;
                }
                'S' => {
                    let (whole, frac) = match number.split_once('.') {
                        Some((w, f)) => (w, f),
                        None => (number.as_str(), ""),
                    };
                    if frac.len() > 6 {
                        return None;
                    }
                    let w: u128 = whole.parse().ok()?;
                    let f: u128 = if frac.is_empty() {
                        0
                    } else {
                        format!("{frac:0<6}").parse().ok()?
                    };
                    micros += w * 1_000_000 + f;
                    number.clear();
                }
                _ => return None,
            }
        }
        if !number.is_empty() {
            return None;
        }
    }
    Some(micros)
}
