//! One Zamp platform action, sans-IO: configuration, the create body, and the
//! create / retry / poll / backoff machine ([`ActionCall`]).
//!
//! The contract is `shared/spec/zamp-actions.md`. In short:
//!
//! 1. [`ActionConfig::resolve`] picks the base URL and token (explicit values win over
//!    `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN`).
//! 2. [`ActionCall::new`] validates an [`ActionRequest`] and emits `POST {base}/actions`.
//!    A 5xx answer is retried after 1 s, 2 s, 4 s, ... capped at 30 s, until 3600 s of
//!    waiting have passed; any other failure surfaces at once.
//! 3. It then polls `GET {base}/actions/{id}` after 0.1 s, 0.15 s, 0.225 s, ... capped at
//!    30 s, until a terminal status or `max(3600 s, start_to_close_timeout)` of waiting
//!    ([`ActionError::Timeout`]). 5xx answers while polling are waited through.
//! 4. In [`ExecutionMode::Inline`] the create answer is terminal: no retry, no poll.
//! 5. [`ActionCall::resume`] keeps polling an action created earlier (after a timeout).
//! 6. [`decode_result`] turns the result into the caller's type.
//!
//! The HTTP policy (User-Agent, per-request timeout, body limit, no redirects, the text of
//! each transport failure) is core's too: see [`HttpRequest`] and [`TransportErrorKind`].
//!
//! # Interpretation notes
//!
//! - **Waiting is counted, not measured.** Both budgets count the waits the machine asked
//!   for (as the reference SDK sums its sleeps), not wall time, so request latency does not
//!   eat the budget and a run is reproducible. The last wait is clipped so the total never
//!   passes the budget: the create gets its final attempt at exactly 3600 s of waiting, the
//!   poll its final look at exactly the budget; then the last 5xx, or the timeout, surfaces.
//! - **The `data` envelope** is applied literally: a 2xx object with a `data` member (and no
//!   error) *is* the answer `{"payload": data}`. The create answer must carry `id` and a poll
//!   answer `status` at its top level, so an enveloped answer lacks them and ends the call
//!   with [`ActionError::Decode`] (the reference SDK raises `KeyError` in the same place).
//!   Nothing is looked up inside `payload`.
//! - **`error` on a failed action.** A 2xx object with a non-null `error` is an error
//!   envelope ([`ActionError::Http`]), *except* an action record whose `status` is a terminal
//!   failure (`FAILED`, `CANCELED`, `TERMINATED`, `TIMED_OUT`): there `error` is the action's
//!   own error text and the answer becomes [`ActionError::Failed`]
//!   (`Action {id} {STATUS}: {error}`). Read literally, the envelope rule would swallow every
//!   failure's text and the spec's `{error}` could never be anything but `unknown error`.
//! - **Durations** go out as pydantic v2 writes a `timedelta` (see [`iso8601_duration`]),
//!   with microsecond precision; `start_to_close_timeout_seconds` is Python's
//!   `timedelta.total_seconds()`, always a JSON float (`60.0`, `1.5`).
//! - **Ids**: a string or a number `id` is accepted; it is percent-encoded into the poll
//!   path (unreserved characters pass unchanged).
//! - The timeout message prints the budget in seconds without a fraction when whole:
//!   `Action act_1 did not complete within 3600s`.
//!
//! There is no jitter: the same inputs always give the same outputs.

mod call;
mod config;
mod duration;
mod error;
mod http;
mod request;

pub use call::{
    classify, ActionCall, Output, CREATE_RETRY_BUDGET, CREATE_RETRY_COEFFICIENT,
    CREATE_RETRY_INITIAL, CREATE_RETRY_MAX, INLINE_SERVER_DEFAULT, INLINE_TIMEOUT_MARGIN,
    POLL_BUDGET_MIN, POLL_COEFFICIENT, POLL_INITIAL, POLL_MAX, REQUEST_TIMEOUT,
};
pub use config::{ActionConfig, ActionCredentials, AUTH_TOKEN_VAR, BASE_URL_VAR};
pub use duration::{iso8601_duration, total_seconds, MAX_WIRE_DAYS};
pub use error::{decode_result, ActionError};
pub use http::{
    HttpRequest, HttpResponse, Method, RequestId, TransportError, TransportErrorKind,
    MAX_RESPONSE_BODY, USER_AGENT,
};
pub use request::{ActionRequest, ExecutionMode, RetryPolicy};
