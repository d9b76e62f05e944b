//! The error taxonomy of one Zamp action.

use serde_json::Value;

use crate::error::ValidationError;

/// Everything that can go wrong while running one Zamp action.
///
/// The variants mirror the reference SDK's exception table:
///
/// | reference SDK | here |
/// |---|---|
/// | `HttpClientError(status_code, message, response_body)` | [`ActionError::Http`] (HTTP failure, network error, request timeout) |
/// | `RuntimeError` | [`ActionError::Failed`] (terminal failure status), [`ActionError::UnexpectedStatus`] |
/// | `TimeoutError` | [`ActionError::Timeout`] (polling exceeded its limit) |
/// | `KeyError` | [`ActionError::Config`] (a required environment variable is missing; also an unusable base URL) |
///
/// and add what a typed language needs: [`ActionError::Validation`] (a request or retry
/// policy broke a rule, raised before anything is sent), [`ActionError::Decode`] (a response
/// that is not JSON, or lacks a field the protocol requires) and [`ActionError::ResultType`]
/// (the result does not fit the caller's type).
///
/// No variant ever contains the auth token.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// An HTTP failure: a non-2xx answer, a 2xx answer carrying an `error`, a network error
    /// or a request timeout.
    ///
    /// `message` is the whole human-readable text: `HTTP {status} from {url}` (followed by
    /// `: {message}` when the body is a JSON object with a non-blank string `message`), the
    /// `error.message` of a 2xx error envelope, `Network error: ...` or
    /// `Request timed out: ...`.
    #[error("{message}")]
    Http {
        /// The HTTP status, `None` for a network error or a timeout.
        status: Option<u16>,
        /// The full error text.
        message: String,
        /// The response body (lossily decoded as UTF-8), `None` when there was no response.
        body: Option<String>,
    },
    /// The action reached a terminal failure status (`FAILED`, `CANCELED`, `TERMINATED`,
    /// `TIMED_OUT`).
    #[error("Action {action_id} {status}: {error}")]
    Failed {
        /// The platform's id of the action.
        action_id: String,
        /// The terminal status, as the platform wrote it.
        status: String,
        /// The platform's error text (`unknown error` when it gave none; JSON text when it
        /// was not a string).
        error: String,
    },
    /// The platform answered with a status this SDK does not know (or `RUNNING` for an
    /// inline execution, which must answer with a terminal status).
    #[error("Action {action_id} unexpected status: {status}")]
    UnexpectedStatus {
        /// The platform's id of the action.
        action_id: String,
        /// The status as the platform wrote it (JSON text when it was not a string).
        status: String,
    },
    /// Polling waited its whole budget (`max(3600 s, start_to_close_timeout)`) and the action
    /// was still running. The action may still complete: `action_id` lets the caller look
    /// it up later.
    #[error("Action {action_id} did not complete within {seconds}s")]
    Timeout {
        /// The platform's id of the action.
        action_id: String,
        /// The polling budget in seconds (printed without a fraction when whole).
        seconds: f64,
    },
    /// A required setting was neither passed explicitly nor set in the environment, or the
    /// base URL is not a usable `http`/`https` URL. Raised before any request.
    ///
    /// `message` is the whole text: `{variable} is not set and no explicit value was given`,
    /// or `invalid base URL "{url}" ({variable}): {why}` (credentials in the URL redacted).
    #[error("{message}")]
    Config {
        /// The setting, named by its environment variable (`ZAMP_BASE_URL` or
        /// `ZAMP_AUTH_TOKEN`), also when the value was given explicitly.
        variable: String,
        /// The full error text.
        message: String,
    },
    /// The request or its retry policy broke a rule; nothing was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A 2xx response body that is not JSON, or an answer without a field the protocol
    /// requires (`id` on create, `status` on poll).
    #[error("could not decode the response from {url}: {message}")]
    Decode {
        /// The URL that answered.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// The action completed, but its result does not fit the requested type. The raw result
    /// is kept.
    #[error("the action result does not fit the requested type: {message}")]
    ResultType {
        /// The deserializer's explanation.
        message: String,
        /// The result as the platform returned it.
        raw: Value,
    },
}

impl ActionError {
    /// The [`ActionError::Config`] for a setting that is missing: `{variable} is not set and
    /// no explicit value was given`.
    pub fn missing_config(variable: impl Into<String>) -> Self {
        let variable = variable.into();
        Self::Config {
            message: format!("{variable} is not set and no explicit value was given"),
            variable,
        }
    }

    /// The platform's id of the action this error is about, when the action was created
    /// (`Failed`, `UnexpectedStatus`, `Timeout`).
    pub fn action_id(&self) -> Option<&str> {
        match self {
            Self::Failed { action_id, .. }
            | Self::UnexpectedStatus { action_id, .. }
            | Self::Timeout { action_id, .. } => Some(action_id),
            _ => None,
        }
    }

    /// The HTTP status of an [`ActionError::Http`] that came from a response.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Http { status, .. } => *status,
            _ => None,
        }
    }

    /// Whether this is an HTTP 5xx answer: the only error the create is retried on and the
    /// only HTTP error polling keeps going through.
    pub fn is_server_error(&self) -> bool {
        matches!(self.http_status(), Some(status) if status >= 500)
    }
}

/// Deserializes an action's result into the caller's type.
///
/// A result that does not fit is [`ActionError::ResultType`], which keeps the raw value.
///
/// ```
/// use ampere_core::action::{decode_result, ActionError};
/// use serde_json::json;
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Invoice { id: String }
///
/// let ok: Invoice = decode_result(json!({"id": "inv_1"})).unwrap();
/// assert_eq!(ok, Invoice { id: "inv_1".into() });
///
/// let err = decode_result::<Invoice>(json!({"nope": 1})).unwrap_err();
/// assert!(matches!(err, ActionError::ResultType { raw, .. } if raw == json!({"nope": 1})));
/// ```
pub fn decode_result<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, ActionError> {
    match T::deserialize(&value) {
        Ok(typed) => Ok(typed),
        Err(err) => Err(ActionError::ResultType {
            message: err.to_string(),
            raw: value,
        }),
    }
}
