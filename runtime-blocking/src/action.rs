//! Zamp platform actions over blocking HTTP (std sockets for `http://`, [`ureq`] 3 for
//! `https://`).
//!
//! [`ActionExecutor`] drives core's [`ActionCall`](ampere_core::action::ActionCall) machine (`UreqAgent::execute`): it sends each
//! [`HttpRequest`](ampere_core::action::HttpRequest) the machine asks for on one pooled
//! [`ureq::Agent`] (`ampere_runtime_common::UreqAgent`, the same code as the async-std
//! runtime), feeds the answer (any status) or the transport failure back, and sleeps the
//! calling thread for each `WaitUntil`. Every decision (retry, backoff, polling, the HTTP
//! policy, error texts) is core's.

use ampere_core::action::{decode_result, ActionCredentials, ActionError, ActionRequest};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Runs Zamp platform actions, blocking the calling thread until each is done.
///
/// Cheap to clone: clones share one pooled HTTP client (connections are kept alive and
/// reused across calls and threads). Configuration is resolved per call: an explicit
/// [`base_url`](ActionExecutorBuilder::base_url) / [`auth_token`](ActionExecutorBuilder::auth_token)
/// wins over the `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN` environment variables.
///
/// ```no_run
/// use ampere_blocking::ActionExecutor;
/// use serde_json::{json, Value};
///
/// let executor = ActionExecutor::builder()
///     .base_url("https://api.zamp.ai")
///     .auth_token("your-api-token")
///     .build();
/// let result: Value = executor.execute("send_invoice", json!({"invoice_id": "inv_123"}))?;
/// println!("{result}");
/// # Ok::<(), ampere_blocking::ActionError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ActionExecutor {
    agent: ampere_runtime_common::UreqAgent,
    credentials: ActionCredentials,
}

/// Builds an [`ActionExecutor`] with explicit configuration (written once for every
/// runtime).
pub type ActionExecutorBuilder = ampere_runtime_common::ActionExecutorBuilder<ActionExecutor>;

impl From<ActionCredentials> for ActionExecutor {
    /// The executor [`ActionExecutorBuilder::build`] makes, with a fresh connection pool.
    fn from(credentials: ActionCredentials) -> Self {
        ActionExecutor {
            agent: ampere_runtime_common::UreqAgent::new(),
            credentials,
        }
    }
}

impl ActionExecutor {
    /// An executor configured from the environment (`ZAMP_BASE_URL`, `ZAMP_AUTH_TOKEN`,
    /// read at each call).
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for an executor with explicit settings.
    pub fn builder() -> ActionExecutorBuilder {
        ActionExecutorBuilder::default()
    }

    /// Runs the action `action_name` with `params` (anything `Serialize`, such as a
    /// [`serde_json::Value`]) and the default request settings (the seed's
    /// `ActionExecutor.execute`), and deserializes its result into `T` (use
    /// [`serde_json::Value`] to keep it untyped).
    ///
    /// `params` that cannot be serialized, and an action name that is empty or holds a
    /// control character, are [`ActionError::Validation`]; a result that does not fit `T`
    /// is [`ActionError::ResultType`], which keeps the raw value.
    pub fn execute<T: DeserializeOwned>(
        &self,
        action_name: impl Into<String>,
        params: impl Serialize,
    ) -> Result<T, ActionError> {
        self.execute_request(ActionRequest::serialized(action_name, params)?)
    }

    /// Runs one fully specified action request (summary, retry policy, start-to-close
    /// timeout, execution mode) and deserializes its result into `T`.
    pub fn execute_request<T: DeserializeOwned>(
        &self,
        request: ActionRequest,
    ) -> Result<T, ActionError> {
        let value = self.agent.execute(&self.credentials, request)?;
        decode_result(value)
    }
}

/// Runs the action `action_name` with `params`, configured from `ZAMP_BASE_URL` and
/// `ZAMP_AUTH_TOKEN`, and returns its result untyped (the seed's module-level call).
///
/// Calls share one process-wide [`ActionExecutor`], so connections are reused.
///
/// ```no_run
/// let result = ampere_blocking::execute_action(
///     "send_invoice",
///     serde_json::json!({"invoice_id": "inv_123"}),
/// )?;
/// # Ok::<(), ampere_blocking::ActionError>(())
/// ```
pub fn execute_action(
    action_name: impl Into<String>,
    params: impl Serialize,
) -> Result<Value, ActionError> {
    static SHARED: std::sync::OnceLock<ActionExecutor> = std::sync::OnceLock::new();
    SHARED
        .get_or_init(ActionExecutor::new)
        .execute(action_name, params)
}
