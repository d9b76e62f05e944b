//! Zamp platform actions, written once for every async runtime: [`ActionExecutor`] drives
//! core's [`ActionCall`] with the runtime's clock, timer and pooled [`HttpTransport`].
//!
//! Every decision (the create body, retries, backoff, budgets, how an answer or a transport
//! failure reads, the HTTP policy) is `ampere-core`'s; this module sends what the machine
//! asks for and sleeps until the instants it names.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use ampere_core::action::{
    decode_result, ActionCall, ActionCredentials, ActionError, ActionRequest, Output,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::http::HttpTransport;
use crate::runtime::{sleep_until, Runtime};

/// Runs Zamp platform actions on the runtime `R`: creates an action, waits for it (polling
/// with backoff) and returns its result.
///
/// It holds one pooled HTTP client, so connections are kept alive and reused across calls;
/// clones share it, and any number of actions may run at once. The base URL and token are
/// resolved on every call: an explicit value given to the builder wins, else
/// `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN` are read from the environment. A missing or unusable
/// one is [`ActionError::Config`], raised before any request.
///
/// The runtime crates name it `ActionExecutor` (`ampere_tokio::ActionExecutor`, ...).
pub struct ActionExecutor<R: Runtime> {
    inner: Arc<Inner<R>>,
}

struct Inner<R: Runtime> {
    runtime: R,
    http: Result<R::Http, String>,
    credentials: ActionCredentials,
}

impl<R: Runtime> Clone for ActionExecutor<R> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<R: Runtime> fmt::Debug for ActionExecutor<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionExecutor")
            .field("credentials", &self.inner.credentials)
            .field("runtime", &self.inner.runtime)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Default for ActionExecutor<R> {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds an [`ActionExecutor`] with explicit configuration (written once for every
/// runtime). Every setting is optional.
pub type ActionExecutorBuilder<R> = ampere_runtime_common::ActionExecutorBuilder<ActionExecutor<R>>;

impl<R: Runtime> From<ActionCredentials> for ActionExecutor<R> {
    /// The executor [`ActionExecutorBuilder::build`] makes, with a fresh connection pool.
    fn from(credentials: ActionCredentials) -> Self {
        let runtime = R::default();
        ActionExecutor {
            inner: Arc::new(Inner {
                http: runtime.http_client(),
                runtime,
                credentials,
            }),
        }
    }
}

impl<R: Runtime> ActionExecutor<R> {
    /// An executor configured from the environment (`ZAMP_BASE_URL`, `ZAMP_AUTH_TOKEN`, read
    /// on every call).
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for explicit configuration.
    pub fn builder() -> ActionExecutorBuilder<R> {
        ActionExecutorBuilder::default()
    }

    /// Runs `action_name` with `params` (anything `Serialize`, such as a
    /// `serde_json::Value`) using the default retry policy (the seed's
    /// `ActionExecutor.execute`), and deserializes its result into `T` (use
    /// `serde_json::Value` to keep it untyped).
    ///
    /// Parameters that cannot be serialized, and an action name that is empty or holds a
    /// control character, are [`ActionError::Validation`]; a result that does not fit `T` is
    /// [`ActionError::ResultType`], which keeps the raw value.
    pub async fn execute<T: DeserializeOwned>(
        &self,
        action_name: impl Into<String>,
        params: impl Serialize,
    ) -> Result<T, ActionError> {
        let request = ActionRequest::serialized(action_name, params)?;
        self.execute_request(request).await
    }

    /// Runs a fully specified [`ActionRequest`] (summary, retry policy, start-to-close
    /// timeout, execution mode) and deserializes its result into `T`.
    ///
    /// Dropping the returned future stops the call between steps (a request on the wire is
    /// abandoned).
    pub async fn execute_request<T: DeserializeOwned>(
        &self,
        request: ActionRequest,
    ) -> Result<T, ActionError> {
        let value = self.execute_value(request).await?;
        decode_result(value)
    }

    async fn execute_value(&self, request: ActionRequest) -> Result<Value, ActionError> {
        let inner = &*self.inner;
        let config = inner
            .credentials
            .resolve(&ampere_runtime_common::env_lookup)?;
        let http = inner.http.as_ref().map_err(|message| ActionError::Http {
            status: None,
            message: format!("Network error: cannot set up the HTTP client: {message}"),
            body: None,
        })?;
        let action = request.action_name.clone();
        let mut call = ActionCall::new(request, config, inner.runtime.now())?;
        loop {
            match call.poll_output() {
                Output::Send(request) => {
                    tracing::debug!(target: "ampere", %action, method = %request.method, url = %request.url, "zamp request");
                    let id = request.id;
                    match http.send(request).await {
                        Ok(response) => {
                            tracing::debug!(target: "ampere", %action, status = response.status, "zamp response");
                            call.handle_response(id, response, inner.runtime.now());
                        }
                        Err(error) => {
                            tracing::debug!(target: "ampere", %action, kind = ?error.kind, detail = %error.detail, "zamp request failed");
                            call.handle_transport_error(id, error, inner.runtime.now());
                        }
                    }
                }
                Output::WaitUntil(deadline) => {
                    sleep_until(&inner.runtime, deadline).await;
                    call.handle_timeout(inner.runtime.now());
                }
                Output::AwaitResponse(_) => {
                    unreachable!("every Send is answered before the machine is asked again")
                }
                Output::Done(result) => {
                    tracing::debug!(target: "ampere", %action, ok = result.is_ok(), "zamp action done");
                    return result;
                }
            }
        }
    }

    /// The process-wide executor of runtime `R` that [`execute_action`] uses (configured
    /// from the environment), created on first use.
    pub fn shared() -> Self {
        type Executors = Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>;
        static SHARED: OnceLock<Executors> = OnceLock::new();
        let mut executors = SHARED
            .get_or_init(Executors::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = executors
            .entry(TypeId::of::<R>())
            .or_insert_with(|| Box::new(Self::new()));
        match entry.downcast_ref::<Self>() {
            Some(executor) => executor.clone(),
            // The map is keyed by the type: the entry is always `Self`.
            None => Self::new(),
        }
    }
}

/// Runs `action_name` with `params` on the runtime `R`, configured from the environment
/// (`ZAMP_BASE_URL`, `ZAMP_AUTH_TOKEN`), and returns the raw result (the seed's module-level
/// `execute_action`). Every call shares one process-wide executor
/// ([`ActionExecutor::shared`]), so connections are reused.
pub async fn execute_action<R: Runtime>(
    action_name: impl Into<String>,
    params: impl Serialize,
) -> Result<Value, ActionError> {
    ActionExecutor::<R>::shared()
        .execute(action_name, params)
        .await
}
