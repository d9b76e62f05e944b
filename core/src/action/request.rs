//! What to run: the action, its parameters and its execution settings.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::duration::{fits_timedelta, is_positive_on_wire, iso8601_duration, total_seconds};
use super::error::ActionError;
use crate::error::ValidationError;

/// How the platform retries the action itself (Temporal's retry policy). Always sent on
/// create, so the platform never falls back to its own default.
///
/// Validated before anything is sent (Temporal's rules): `backoff_coefficient` is finite
/// and `>= 1`; both intervals are positive (at least one microsecond, the wire precision)
/// and fit a Python `timedelta`; `maximum_interval >= initial_interval`;
/// `maximum_attempts` is `>= 0` by its type, `0` meaning unlimited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The wait before the first retry.
    pub initial_interval: Duration,
    /// How many attempts in all (`0` = unlimited).
    pub maximum_attempts: u32,
    /// The longest wait between attempts.
    pub maximum_interval: Duration,
    /// How much the wait grows after each attempt.
    pub backoff_coefficient: f64,
}

impl Default for RetryPolicy {
    /// The seed SDK's `RetryPolicy.default()`: 30 s, 11 attempts, 15 min, 1.5.
    fn default() -> Self {
        Self {
            initial_interval: Duration::from_secs(30),
            maximum_attempts: 11,
            maximum_interval: Duration::from_secs(15 * 60),
            backoff_coefficient: 1.5,
        }
    }
}

impl RetryPolicy {
    /// Checks the policy against Temporal's rules; the error names the field and the rule.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let c = self.backoff_coefficient;
        if !c.is_finite() || c < 1.0 {
            return Err(ValidationError::new(
                "retry_policy.backoff_coefficient",
                format!("must be a finite number >= 1 (got {c})"),
            ));
        }
        for (field, value) in [
            ("retry_policy.initial_interval", self.initial_interval),
            ("retry_policy.maximum_interval", self.maximum_interval),
        ] {
            check_wire_duration(field, value)?;
        }
        if self.maximum_interval < self.initial_interval {
            return Err(ValidationError::new(
                "retry_policy.maximum_interval",
                format!(
                    "must be >= initial_interval ({:?} < {:?})",
                    self.maximum_interval, self.initial_interval
                ),
            ));
        }
        Ok(())
    }

    /// The policy as the create body carries it (durations in pydantic's ISO-8601 form).
    pub(crate) fn to_wire(self) -> WireRetryPolicy {
        WireRetryPolicy {
            initial_interval: iso8601_duration(self.initial_interval),
            maximum_attempts: self.maximum_attempts,
            maximum_interval: iso8601_duration(self.maximum_interval),
            backoff_coefficient: self.backoff_coefficient,
        }
    }
}

fn check_action_name(name: &str) -> Result<(), ValidationError> {
    if name.trim().is_empty() {
        return Err(ValidationError::new("action_name", "must not be empty"));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(ValidationError::new(
            "action_name",
            format!("must not contain control characters (found {c:?})"),
        ));
    }
    Ok(())
}

fn check_wire_duration(field: &str, value: Duration) -> Result<(), ValidationError> {
    if !is_positive_on_wire(value) {
        return Err(ValidationError::new(
            field,
            "must be positive (at least 1 microsecond)",
        ));
    }
    if !fits_timedelta(value) {
        return Err(ValidationError::new(
            field,
            "must be at most 999999999 days (the platform's timedelta limit)",
        ));
    }
    Ok(())
}

/// How the platform runs the action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ExecutionMode {
    /// Create the action, then poll `GET /actions/{id}` until it is terminal (the default).
    #[default]
    Poll,
    /// `execution_mode: "INLINE"`: the platform runs the action inside the create request
    /// and answers with its terminal state. Nothing is polled and the create is never retried
    /// (it may already have run). The request timeout is `ceil(server_timeout + 10 s)`, with
    /// server_timeout the `start_to_close_timeout` or the platform default of 60 s. A
    /// `RUNNING` answer is [`ActionError::UnexpectedStatus`]; an HTTP 422 means the action is
    /// not opted in to inline execution (reported as [`ActionError::Http`] with status 422).
    Inline,
}

/// One action to run: its name, parameters and execution settings. Build it with
/// [`ActionRequest::new`] and the builder methods.
///
/// ```
/// use std::time::Duration;
/// use ampere_core::action::{ActionRequest, RetryPolicy};
/// use serde_json::json;
///
/// let request = ActionRequest::new("send_invoice", json!({"invoice_id": "inv_123"}))
///     .summary("Send the March invoice")
///     .retry_policy(RetryPolicy { maximum_attempts: 3, ..RetryPolicy::default() })
///     .start_to_close_timeout(Duration::from_secs(120));
/// assert_eq!(request.action_name, "send_invoice");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRequest {
    /// The registered action's name.
    pub action_name: String,
    /// Its input parameters.
    pub params: Value,
    /// A human-readable description of this execution.
    pub summary: Option<String>,
    /// The platform-side retry policy; `None` sends [`RetryPolicy::default`].
    pub retry_policy: Option<RetryPolicy>,
    /// The longest one attempt of the action may run; must be positive. Also extends the
    /// polling budget to `max(3600 s, start_to_close_timeout)`.
    pub start_to_close_timeout: Option<Duration>,
    /// Polled (default) or inline execution.
    pub execution_mode: ExecutionMode,
}

impl ActionRequest {
    /// A request for `action_name` with `params` and everything else at its default.
    pub fn new(action_name: impl Into<String>, params: Value) -> Self {
        Self {
            action_name: action_name.into(),
            params,
            summary: None,
            retry_policy: None,
            start_to_close_timeout: None,
            execution_mode: ExecutionMode::Poll,
        }
    }

    /// A request for `action_name` with any serializable `params` (the seed's `params: Any`).
    /// Parameters that cannot be represented as JSON (a map with non-string keys, a failing
    /// `Serialize` impl) are an [`ActionError::Validation`] naming `params`.
    pub fn serialized(
        action_name: impl Into<String>,
        params: impl serde::Serialize,
    ) -> Result<Self, crate::action::ActionError> {
        let params = serde_json::to_value(params).map_err(|e| {
            ValidationError::new("params", format!("cannot be serialized as JSON: {e}"))
        })?;
        Ok(Self::new(action_name, params))
    }

    /// Sets the human-readable summary.
    #[must_use]
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = Some(summary.into());
        self
    }

    /// Sets the platform-side retry policy.
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// Sets the start-to-close timeout of one attempt.
    #[must_use]
    pub fn start_to_close_timeout(mut self, timeout: Duration) -> Self {
        self.start_to_close_timeout = Some(timeout);
        self
    }

    /// Sets the execution mode.
    #[must_use]
    pub fn execution_mode(mut self, mode: ExecutionMode) -> Self {
        self.execution_mode = mode;
        self
    }

    /// Shorthand for `.execution_mode(ExecutionMode::Inline)`.
    #[must_use]
    pub fn inline(self) -> Self {
        self.execution_mode(ExecutionMode::Inline)
    }

    /// The effective retry policy: the request's, or [`RetryPolicy::default`].
    pub fn effective_retry_policy(&self) -> RetryPolicy {
        self.retry_policy.unwrap_or_default()
    }

    /// Checks the request: an action name that is not blank and holds no control character,
    /// the retry policy (see [`RetryPolicy`]) and a positive `start_to_close_timeout` (at
    /// least one microsecond, fitting a `timedelta`).
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_action_name(&self.action_name)?;
        self.validate_settings()
    }

    /// [`validate`](Self::validate) without the action name (a resumed poll has none).
    pub(crate) fn validate_settings(&self) -> Result<(), ValidationError> {
        self.effective_retry_policy().validate()?;
        if let Some(timeout) = self.start_to_close_timeout {
            check_wire_duration("start_to_close_timeout", timeout)?;
        }
        Ok(())
    }

    /// The JSON body of `POST /actions`, in the reference SDK's key order:
    /// `action_name`, `params`, `is_external_action: true`, `retry_policy` (always),
    /// then `summary`, `start_to_close_timeout_seconds` (Python's `total_seconds()`, a float
    /// such as `60.0`) and `execution_mode: "INLINE"` when set.
    ///
    /// Validates first.
    pub fn create_body(&self) -> Result<Value, ActionError> {
        self.validate()?;
        serde_json::to_value(self.wire())
            .map_err(|err| ActionError::Validation(ValidationError::new("params", err.to_string())))
    }

    pub(crate) fn create_body_bytes(&self) -> Result<Vec<u8>, ActionError> {
        self.validate()?;
        serde_json::to_vec(&self.wire())
            .map_err(|err| ActionError::Validation(ValidationError::new("params", err.to_string())))
    }

    fn wire(&self) -> WireCreate<'_> {
        WireCreate {
            action_name: &self.action_name,
            params: &self.params,
            is_external_action: true,
            retry_policy: self.effective_retry_policy().to_wire(),
            summary: self.summary.as_deref(),
            start_to_close_timeout_seconds: self.start_to_close_timeout.map(total_seconds),
            execution_mode: match self.execution_mode {
                ExecutionMode::Inline => Some("INLINE"),
                ExecutionMode::Poll => None,
            },
        }
    }
}

#[derive(Serialize)]
pub(crate) struct WireRetryPolicy {
    initial_interval: String,
    maximum_attempts: u32,
    maximum_interval: String,
    backoff_coefficient: f64,
}

#[derive(Serialize)]
struct WireCreate<'a> {
    action_name: &'a str,
    params: &'a Value,
    is_external_action: bool,
    retry_policy: WireRetryPolicy,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_to_close_timeout_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    execution_mode: Option<&'static str>,
}
