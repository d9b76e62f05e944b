//! Zamp platform actions on tokio: the shared executor of `ampere-runtime-async` over
//! [`TokioRuntime`](crate::runtime::TokioRuntime) (pooled tokio sockets for `http://`,
//! `reqwest` for `https://`, `tokio::time`).

use serde::Serialize;
use serde_json::Value;

use crate::runtime::TokioRuntime;
use crate::ActionError;

/// Runs Zamp platform actions: creates an action, waits for it (polling with backoff) and
/// returns its result.
///
/// It holds one pooled HTTP client, so connections are kept alive and reused across calls;
/// clone it freely (clones share the pool) and run as many actions at once as you like.
///
/// The base URL and token are resolved on every call: an explicit value given to the
/// [builder](ActionExecutor::builder) wins, else `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN` are
/// read from the environment. A missing one, or a base URL that is not an `http`/`https`
/// URL, is [`ActionError::Config`], raised before any request. Redirects are never followed
/// (the token stays with the platform), and a response body over 64 MiB is an error.
///
/// ```no_run
/// use ampere_tokio::ActionExecutor;
/// use serde_json::{json, Value};
///
/// # async fn demo() -> Result<(), ampere_tokio::ActionError> {
/// let executor = ActionExecutor::builder()
///     .base_url("https://api.zamp.ai")
///     .auth_token("your-api-token")
///     .build();
/// let result: Value = executor.execute("send_invoice", json!({"invoice_id": "inv_123"})).await?;
/// println!("{result}");
/// # Ok(())
/// # }
/// ```
pub type ActionExecutor = ampere_runtime_async::ActionExecutor<TokioRuntime>;

/// Builds an [`ActionExecutor`] with explicit configuration (`base_url`, `auth_token`).
pub type ActionExecutorBuilder = ampere_runtime_async::ActionExecutorBuilder<TokioRuntime>;

/// Runs `action_name` with `params` using the environment's configuration
/// (`ZAMP_BASE_URL`, `ZAMP_AUTH_TOKEN`) and returns the raw result.
///
/// Every call shares one process-wide [`ActionExecutor`], so connections are reused.
///
/// ```no_run
/// # async fn demo() -> Result<(), ampere_tokio::ActionError> {
/// let result = ampere_tokio::execute_action("send_invoice", serde_json::json!({"invoice_id": "inv_123"})).await?;
/// # Ok(())
/// # }
/// ```
pub async fn execute_action(
    action_name: impl Into<String>,
    params: impl Serialize,
) -> Result<Value, ActionError> {
    ampere_runtime_async::execute_action::<TokioRuntime>(action_name, params).await
}
