//! The create / poll / backoff state machine of one action.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::config::ActionConfig;
use super::error::ActionError;
use super::http::{
    HttpRequest, HttpResponse, Method, RequestId, TransportError, MAX_RESPONSE_BODY, USER_AGENT,
};
use super::request::{ActionRequest, ExecutionMode};
use crate::error::ValidationError;

mod backoff;
mod classify;

use backoff::Backoff;
pub use classify::classify;
use classify::FAILURE_STATUSES;

/// The total timeout of a create (non-inline) and of every poll.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The wait before the first create retry (after the first 5xx).
pub const CREATE_RETRY_INITIAL: Duration = Duration::from_secs(1);
/// Each create-retry wait is the previous one times this.
pub const CREATE_RETRY_COEFFICIENT: f64 = 2.0;
/// The longest create-retry wait.
pub const CREATE_RETRY_MAX: Duration = Duration::from_secs(30);
/// Create retries stop once this much waiting has passed; the last 5xx then surfaces.
pub const CREATE_RETRY_BUDGET: Duration = Duration::from_secs(3600);
/// The wait before the first poll.
pub const POLL_INITIAL: Duration = Duration::from_millis(100);
/// Each poll wait is the previous one times this.
pub const POLL_COEFFICIENT: f64 = 1.5;
/// The longest poll wait.
pub const POLL_MAX: Duration = Duration::from_secs(30);
/// The least polling budget; `start_to_close_timeout` extends it.
pub const POLL_BUDGET_MIN: Duration = Duration::from_secs(3600);
/// The platform's inline run bound when no `start_to_close_timeout` is given.
pub const INLINE_SERVER_DEFAULT: Duration = Duration::from_secs(60);
/// Added to the inline server bound to get the inline request timeout.
pub const INLINE_TIMEOUT_MARGIN: Duration = Duration::from_secs(10);

/// What the machine wants next, from [`ActionCall::poll_output`]. There is always exactly
/// one thing to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send this request, then feed its answer back with
    /// [`ActionCall::handle_response`] or [`ActionCall::handle_transport_error`]. Handed out
    /// once per request.
    Send(HttpRequest),
    /// The request with this id is in flight: feed its answer. (A sequential driver, which
    /// answers each `Send` before asking again, never sees this.)
    AwaitResponse(RequestId),
    /// Wait until this instant, then call [`ActionCall::handle_timeout`]. The only way the
    /// machine says "wait": the same deadline is returned until it has come.
    WaitUntil(Instant),
    /// The action is over: its result (`null` when it completed without one), or the error.
    /// Returned again (a clone) if asked again; no input changes it.
    Done(Result<Value, ActionError>),
}

/// Which request is outstanding or next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Create,
    Poll,
}

#[derive(Debug, Clone)]
enum State {
    /// The request goes out on the next `poll_output`.
    Ready(Step),
    /// Sent; waiting for its answer.
    InFlight { id: RequestId, step: Step },
    /// Waiting for a deadline.
    Waiting { deadline: Instant, then: Step },
    /// Over.
    Finished(Result<Value, ActionError>),
}

/// One Zamp action, from create to result, as a sans-IO state machine.
///
/// It never reads a clock, sleeps or touches the network: the runtime feeds it inputs
/// (`handle_*`, each with `now`) and carries out its outputs ([`Output`]).
///
/// # Driving it
///
/// After construction and after **every** input, ask [`poll_output`](Self::poll_output)
/// what to do; it always has an answer. At most one thing is outstanding at a time: either
/// one request in flight or one deadline, so a sequential driver only ever sees `Send`,
/// `WaitUntil` or `Done`.
///
/// Inputs that do not fit the current state — an answer with an unknown or stale
/// [`RequestId`], an answer when no request is in flight, a timeout while not waiting, any
/// input after `Done` — are **ignored** (the method returns `false`) and never panic. A
/// timeout before the deadline returns `true` and changes nothing: the same `WaitUntil`
/// comes again.
///
/// ```
/// use std::time::Instant;
/// use ampere_core::action::{
///     ActionCall, ActionConfig, ActionError, ActionRequest, HttpRequest, HttpResponse, Output,
///     TransportError,
/// };
/// use serde_json::Value;
///
/// /// A blocking driver: `send` performs the HTTP request, `sleep_until` sleeps, `clock`
/// /// reads the runtime's clock.
/// fn run(
///     request: ActionRequest,
///     config: ActionConfig,
///     clock: impl Fn() -> Instant,
///     mut send: impl FnMut(&HttpRequest) -> Result<HttpResponse, TransportError>,
///     sleep_until: impl Fn(Instant),
/// ) -> Result<Value, ActionError> {
///     let mut call = ActionCall::new(request, config, clock())?;
///     loop {
///         match call.poll_output() {
///             Output::Send(req) => match send(&req) {
///                 Ok(resp) => { call.handle_response(req.id, resp, clock()); }
///                 Err(err) => { call.handle_transport_error(req.id, err, clock()); }
///             },
///             // Only a driver that asks again before answering sees this.
///             Output::AwaitResponse(_) => unreachable!("answered every Send"),
///             Output::WaitUntil(deadline) => {
///                 sleep_until(deadline);
///                 call.handle_timeout(clock());
///             }
///             Output::Done(result) => return result,
///         }
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ActionCall {
    config: ActionConfig,
    create_url: String,
    /// `GET {base}/actions/{id}`, once the id is known (built once, not per poll).
    poll_url: String,
    /// The `Authorization` header value (built once, not per request).
    authorization: Redacted,
    create_body: Vec<u8>,
    inline: bool,
    create_timeout: Duration,
    state: State,
    next_request: u64,
    action_id: Option<String>,
    create_backoff: Backoff,
    poll_backoff: Backoff,
}

impl ActionCall {
    /// Validates `request` and starts the call at `now`; the create goes out on the first
    /// [`poll_output`](Self::poll_output).
    ///
    /// Errors with [`ActionError::Validation`] when the request breaks a rule (see
    /// [`ActionRequest::validate`]); nothing is sent then.
    pub fn new(
        request: ActionRequest,
        config: ActionConfig,
        now: Instant,
    ) -> Result<Self, ActionError> {
        // The first request goes out at once; the start instant is not needed.
        let _ = now;
        let create_body = request.create_body_bytes()?;
        Ok(Self::start(&request, create_body, config))
    }

    fn start(request: &ActionRequest, create_body: Vec<u8>, config: ActionConfig) -> Self {
        let inline = request.execution_mode == ExecutionMode::Inline;
        let create_timeout = if inline {
            inline_request_timeout(request.start_to_close_timeout)
        } else {
            REQUEST_TIMEOUT
        };
        let poll_budget = request
            .start_to_close_timeout
            .map_or(POLL_BUDGET_MIN, |t| t.max(POLL_BUDGET_MIN));
        Self {
            create_url: config.url("/actions"),
            poll_url: String::new(),
            authorization: Redacted(config.authorization()),
            config,
            create_body,
            inline,
            create_timeout,
            state: State::Ready(Step::Create),
            next_request: 0,
            action_id: None,
            create_backoff: Backoff::new(
                CREATE_RETRY_INITIAL,
                CREATE_RETRY_COEFFICIENT,
                CREATE_RETRY_MAX,
                CREATE_RETRY_BUDGET,
            ),
            poll_backoff: Backoff::new(POLL_INITIAL, POLL_COEFFICIENT, POLL_MAX, poll_budget),
        }
    }

    /// Resumes polling an action that was already created (for example after
    /// [`ActionError::Timeout`], which carries the id): no create is sent; the first
    /// `GET {base}/actions/{id}` goes out after the usual 0.1 s wait, with the usual backoff
    /// and a fresh budget of `max(3600 s, start_to_close_timeout)`.
    ///
    /// An empty id or a `start_to_close_timeout` that is not positive is
    /// [`ActionError::Validation`].
    pub fn resume(
        action_id: impl Into<String>,
        start_to_close_timeout: Option<Duration>,
        config: ActionConfig,
        now: Instant,
    ) -> Result<Self, ActionError> {
        let action_id = action_id.into();
        if action_id.is_empty() {
            return Err(ValidationError::new("action_id", "must not be empty").into());
        }
        let mut request = ActionRequest::new("", Value::Null);
        request.start_to_close_timeout = start_to_close_timeout;
        request.validate_settings()?;
        let mut call = Self::start(&request, Vec::new(), config);
        call.set_action_id(action_id);
        call.next_poll(now);
        Ok(call)
    }

    /// The platform's id of the action, once the create was answered.
    pub fn action_id(&self) -> Option<&str> {
        self.action_id.as_deref()
    }

    /// Whether the action is over (`poll_output` says `Done`).
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Finished(_))
    }

    /// The next thing to do. Ask after construction and after every input.
    pub fn poll_output(&mut self) -> Output {
        match &self.state {
            State::Ready(step) => {
                let step = *step;
                let id = RequestId::from_raw(self.next_request);
                self.next_request = self.next_request.wrapping_add(1);
                self.state = State::InFlight { id, step };
                Output::Send(self.build(id, step))
            }
            State::InFlight { id, .. } => Output::AwaitResponse(*id),
            State::Waiting { deadline, .. } => Output::WaitUntil(*deadline),
            State::Finished(result) => Output::Done(result.clone()),
        }
    }

    /// Feeds the answer to request `id`. Returns `false` (and changes nothing) when no
    /// request with that id is in flight.
    pub fn handle_response(&mut self, id: RequestId, response: HttpResponse, now: Instant) -> bool {
        let Some(step) = self.take_in_flight(id) else {
            return false;
        };
        let answer = classify(self.url_of(step), &response);
        self.after(step, answer, now);
        true
    }

    /// Feeds the failure of request `id` to get any answer. Returns `false` (and changes
    /// nothing) when no request with that id is in flight.
    pub fn handle_transport_error(
        &mut self,
        id: RequestId,
        error: TransportError,
        now: Instant,
    ) -> bool {
        let Some(step) = self.take_in_flight(id) else {
            return false;
        };
        let message = error.message(self.url_of(step), self.timeout_of(step), MAX_RESPONSE_BODY);
        let error = ActionError::Http {
            status: None,
            message,
            body: None,
        };
        self.after(step, Err(error), now);
        true
    }

    /// Tells the machine the time is `now`. When it is waiting and the deadline has come,
    /// the next request becomes ready; before the deadline nothing changes (the same
    /// `WaitUntil` comes again). Returns `false` (and changes nothing) when it is not
    /// waiting.
    pub fn handle_timeout(&mut self, now: Instant) -> bool {
        match self.state {
            State::Waiting { deadline, then } => {
                if now >= deadline {
                    self.state = State::Ready(then);
                }
                true
            }
            _ => false,
        }
    }

    fn take_in_flight(&mut self, id: RequestId) -> Option<Step> {
        match self.state {
            State::InFlight {
                id: in_flight,
                step,
            } if in_flight == id => Some(step),
            _ => None,
        }
    }

    fn url_of(&self, step: Step) -> &str {
        match step {
            Step::Create => &self.create_url,
            Step::Poll => &self.poll_url,
        }
    }

    fn timeout_of(&self, step: Step) -> Duration {
        match step {
            Step::Create => self.create_timeout,
            Step::Poll => REQUEST_TIMEOUT,
        }
    }

    /// Keeps the platform's id of the action and the URL its polls go to.
    fn set_action_id(&mut self, id: String) {
        // `config.url("/actions/{id}")`, written once into a string of the right size.
        let base = self.config.base_url().trim_end_matches('/');
        let mut url = String::with_capacity(base.len() + "/actions/".len() + 3 * id.len());
        url.push_str(base);
        url.push_str("/actions/");
        push_percent_encoded(&mut url, &id);
        self.poll_url = url;
        self.action_id = Some(id);
    }

    fn build(&self, id: RequestId, step: Step) -> HttpRequest {
        let mut headers = vec![
            ("Authorization".to_owned(), self.authorization.0.clone()),
            ("User-Agent".to_owned(), USER_AGENT.to_owned()),
        ];
        match step {
            Step::Create => {
                headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
                HttpRequest {
                    id,
                    method: Method::Post,
                    url: self.create_url.clone(),
                    headers,
                    body: Some(self.create_body.clone()),
                    timeout: self.create_timeout,
                    max_response_body: MAX_RESPONSE_BODY,
                }
            }
            Step::Poll => HttpRequest {
                id,
                method: Method::Get,
                url: self.poll_url.clone(),
                headers,
                body: None,
                timeout: REQUEST_TIMEOUT,
                max_response_body: MAX_RESPONSE_BODY,
            },
        }
    }

    fn finish(&mut self, result: Result<Value, ActionError>) {
        self.state = State::Finished(result);
    }

    fn wait(&mut self, wait: Duration, then: Step, now: Instant) {
        // An instant that cannot be represented is clamped to `now`: the budget is counted
        // in requested waits, so the call still ends.
        let deadline = now.checked_add(wait).unwrap_or(now);
        self.state = State::Waiting { deadline, then };
    }

    fn after(&mut self, step: Step, answer: Result<Value, ActionError>, now: Instant) {
        match step {
            Step::Create => self.after_create(answer, now),
            Step::Poll => self.after_poll(answer, now),
        }
    }

    fn after_create(&mut self, answer: Result<Value, ActionError>, now: Instant) {
        let answer = match answer {
            Ok(answer) => answer,
            Err(error) => {
                if !self.inline && error.is_server_error() {
                    if let Some(wait) = self.create_backoff.next_wait() {
                        self.wait(wait, Step::Create, now);
                        return;
                    }
                }
                self.finish(Err(error));
                return;
            }
        };
        let action_id = match answer.get("id").and_then(id_text) {
            Some(id) => id,
            None => {
                self.finish(Err(ActionError::Decode {
                    url: self.create_url.clone(),
                    message: "the answer has no \"id\" (string or number)".to_owned(),
                }));
                return;
            }
        };
        self.set_action_id(action_id);
        if self.inline {
            match self.terminal(&self.create_url, answer) {
                Verdict::Done(result) => self.finish(result),
                Verdict::Running => {
                    let action_id = self.action_id.clone().unwrap_or_default();
                    self.finish(Err(ActionError::UnexpectedStatus {
                        action_id,
                        status: "RUNNING".to_owned(),
                    }));
                }
            }
        } else {
            self.next_poll(now);
        }
    }

    fn next_poll(&mut self, now: Instant) {
        match self.poll_backoff.next_wait() {
            Some(wait) => self.wait(wait, Step::Poll, now),
            None => {
                let action_id = self.action_id.clone().unwrap_or_default();
                self.finish(Err(ActionError::Timeout {
                    action_id,
                    seconds: self.poll_backoff.budget.as_secs_f64(),
                }));
            }
        }
    }

    fn after_poll(&mut self, answer: Result<Value, ActionError>, now: Instant) {
        match answer {
            Err(error) if error.is_server_error() => self.next_poll(now),
            Err(error) => self.finish(Err(error)),
            Ok(answer) => match self.terminal(&self.poll_url, answer) {
                Verdict::Done(result) => self.finish(result),
                Verdict::Running => self.next_poll(now),
            },
        }
    }

    /// Reads `status` off an answer (a completed one gives its `result` away).
    fn terminal(&self, url: &str, mut answer: Value) -> Verdict {
        let action_id = || self.action_id.clone().unwrap_or_default();
        let Some(status) = answer.get("status") else {
            return Verdict::Done(Err(ActionError::Decode {
                url: url.to_owned(),
                message: "the answer has no \"status\"".to_owned(),
            }));
        };
        let Some(status) = status.as_str() else {
            return Verdict::Done(Err(ActionError::UnexpectedStatus {
                action_id: action_id(),
                status: status.to_string(),
            }));
        };
        match status {
            "COMPLETED" => {
                let result = answer.as_object_mut().and_then(|m| m.remove("result"));
                Verdict::Done(Ok(result.unwrap_or(Value::Null)))
            }
            failed if FAILURE_STATUSES.contains(&failed) => {
                let error = match answer.get("error") {
                    None | Some(Value::Null) => "unknown error".to_owned(),
                    Some(Value::String(text)) => text.clone(),
                    Some(other) => other.to_string(),
                };
                Verdict::Done(Err(ActionError::Failed {
                    action_id: action_id(),
                    status: status.to_owned(),
                    error,
                }))
            }
            "RUNNING" => Verdict::Running,
            other => Verdict::Done(Err(ActionError::UnexpectedStatus {
                action_id: action_id(),
                status: other.to_owned(),
            })),
        }
    }
}

enum Verdict {
    Done(Result<Value, ActionError>),
    Running,
}

/// The id as text: a string as is, a number as its JSON text.
fn id_text(id: &Value) -> Option<String> {
    match id {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// `ceil(server_timeout + 10 s)`, with server_timeout the start-to-close timeout at wire
/// precision (microseconds) or 60 s. Saturates instead of overflowing.
fn inline_request_timeout(start_to_close: Option<Duration>) -> Duration {
    let server = start_to_close
        .map(|t| Duration::new(t.as_secs(), t.subsec_micros() * 1000))
        .unwrap_or(INLINE_SERVER_DEFAULT);
    let total = server.saturating_add(INLINE_TIMEOUT_MARGIN);
    let secs = if total.subsec_nanos() > 0 {
        total.as_secs().saturating_add(1)
    } else {
        total.as_secs()
    };
    Duration::from_secs(secs)
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so an id can never change
/// the path or query of the poll URL. Ordinary ids (UUIDs, slugs) come out unchanged.
#[cfg(test)]
fn percent_encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    push_percent_encoded(&mut out, segment);
    out
}

/// Appends `segment` percent-encoded as one path segment (RFC 3986 unreserved bytes kept).
fn push_percent_encoded(out: &mut String, segment: &str) {
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
}

const HEX: [u8; 16] = *b"0123456789ABCDEF";

/// A value that holds the token: `Debug` prints `<redacted>`.
#[derive(Clone)]
struct Redacted(String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_timeout_rounds_up() {
        assert_eq!(inline_request_timeout(None), Duration::from_secs(70));
        assert_eq!(
            inline_request_timeout(Some(Duration::from_millis(1500))),
            Duration::from_secs(12)
        );
        assert_eq!(
            inline_request_timeout(Some(Duration::MAX)),
            Duration::from_secs(u64::MAX)
        );
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(percent_encode_segment("act_1-2.x~"), "act_1-2.x~");
        assert_eq!(percent_encode_segment("a/b?c"), "a%2Fb%3Fc");
    }
}
