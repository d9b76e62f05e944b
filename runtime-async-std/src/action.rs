//! Zamp platform actions under async-std / smol: the shared executor of
//! `ampere-runtime-async` over [`AsyncStdRuntime`](crate::runtime::AsyncStdRuntime) (one
//! pooled client: async-io sockets for `http://`, [`ureq`] on the [`blocking`] pool for
//! `https://`; [`async_io::Timer`] waits; any executor).

use serde::Serialize;
use serde_json::Value;

use crate::runtime::AsyncStdRuntime;
use crate::ActionError;

/// Runs Zamp platform actions: create, then poll until the action is done.
///
/// Cheap to clone: every clone shares one pooled HTTP client (connections are kept alive
/// and reused). The base URL and token are resolved on every call: an explicit value given
/// to the [builder](ActionExecutor::builder) wins, else the environment variables
/// `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN`; a missing one, or a base URL that is not an
/// `http`/`https` URL, is [`ActionError::Config`] before any request is sent. Redirects are
/// never followed (the token stays with the platform), and a response body over 64 MiB is
/// an error.
///
/// The token is never logged and `Debug` does not show it.
///
/// ```no_run
/// # futures_lite::future::block_on(async {
/// use ampere_async_std::ActionExecutor;
/// use serde_json::{json, Value};
///
/// let executor = ActionExecutor::builder()
///     .base_url("https://api.zamp.ai")
///     .auth_token("your-api-token")
///     .build();
/// let result: Value = executor.execute("send_invoice", json!({"invoice_id": "inv_123"})).await?;
/// println!("{result}");
/// # Ok::<(), ampere_async_std::ActionError>(())
/// # });
/// ```
pub type ActionExecutor = ampere_runtime_async::ActionExecutor<AsyncStdRuntime>;

/// Builds an [`ActionExecutor`] (`base_url`, `auth_token`).
pub type ActionExecutorBuilder = ampere_runtime_async::ActionExecutorBuilder<AsyncStdRuntime>;

/// Runs the action `action_name` with `params` using the environment's configuration
/// (`ZAMP_BASE_URL`, `ZAMP_AUTH_TOKEN`) and returns its result as JSON.
///
/// All calls share one process-wide [`ActionExecutor`] (one connection pool).
///
/// ```no_run
/// # futures_lite::future::block_on(async {
/// let result = ampere_async_std::execute_action("send_invoice", serde_json::json!({"invoice_id": "inv_123"})).await?;
/// # Ok::<(), ampere_async_std::ActionError>(())
/// # });
/// ```
pub async fn execute_action(
    action_name: impl Into<String>,
    params: impl Serialize,
) -> Result<Value, ActionError> {
    ampere_runtime_async::execute_action::<AsyncStdRuntime>(action_name, params).await
}
