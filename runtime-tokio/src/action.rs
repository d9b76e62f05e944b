//! Zamp platform actions over HTTP: [`ActionExecutor`] drives core's
//! [`ActionCall`] with one pooled `reqwest` client and `tokio::time`.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use ampere_core::action::{
    decode_result, ActionCall, ActionConfig, ActionError, ActionRequest, HttpRequest, HttpResponse,
    Method, Output, TransportError,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Runs Zamp platform actions: creates an action, waits for it (polling with backoff) and
/// returns its result.
///
/// It holds one pooled HTTP client, so connections are reused across calls; clone it freely
/// (clones share the pool) and run as many actions at once as you like.
///
/// The base URL and token are resolved on every call: an explicit value given to the
/// [builder](ActionExecutor::builder) wins, else `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN` are
/// read from the environment. A missing one is [`ActionError::Config`], raised before any
/// request.
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
#[derive(Clone)]
pub struct ActionExecutor {
    inner: Arc<Inner>,
}

struct Inner {
    client: Result<reqwest::Client, String>,
    base_url: Option<String>,
    auth_token: Option<String>,
}

impl fmt::Debug for ActionExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionExecutor")
            .field("base_url", &self.inner.base_url)
            .field(
                "auth_token",
                &self.inner.auth_token.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

impl Default for ActionExecutor {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds an [`ActionExecutor`] with explicit configuration.
#[derive(Default)]
pub struct ActionExecutorBuilder {
    base_url: Option<String>,
    auth_token: Option<String>,
    client: Option<reqwest::Client>,
}

impl fmt::Debug for ActionExecutorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionExecutorBuilder")
            .field("base_url", &self.base_url)
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "<redacted>"),
            )
            .field("client", &self.client.is_some())
            .finish()
    }
}

impl ActionExecutorBuilder {
    /// The platform's base URL (wins over `ZAMP_BASE_URL`).
    #[must_use]
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The API token (wins over `ZAMP_AUTH_TOKEN`). It is a secret: never logged and never
    /// shown by `Debug`.
    #[must_use]
    pub fn auth_token(mut self, auth_token: impl Into<String>) -> Self {
        self.auth_token = Some(auth_token.into());
        self
    }

    /// Uses this `reqwest` client (for a proxy, custom roots, ...) instead of a default one.
    /// Per-request timeouts are still set by the action protocol.
    #[must_use]
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The executor.
    ///
    /// Never fails: if the HTTP client cannot be set up (no TLS backend could be
    /// initialised), every call returns an [`ActionError::Http`] saying so.
    pub fn build(self) -> ActionExecutor {
        let client = match self.client {
            Some(client) => Ok(client),
            None => reqwest::Client::builder()
                .build()
                .map_err(|e| error_chain(&e)),
        };
        ActionExecutor {
            inner: Arc::new(Inner {
                client,
                base_url: self.base_url,
                auth_token: self.auth_token,
            }),
        }
    }
}

impl ActionExecutor {
    /// An executor configured from the environment (`ZAMP_BASE_URL`, `ZAMP_AUTH_TOKEN`, read
    /// on every call).
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for explicit configuration.
    pub fn builder() -> ActionExecutorBuilder {
        ActionExecutorBuilder::default()
    }

    /// Runs `action_name` with `params` (anything `Serialize`, such as a
    /// `serde_json::Value`) using the default retry policy, and deserializes its result into
    /// `T` (use `serde_json::Value` to keep it untyped).
    ///
    /// Parameters that cannot be serialized are [`ActionError::Validation`]; a result that
    /// does not fit `T` is [`ActionError::ResultType`], which keeps the raw value.
    pub async fn execute<T: DeserializeOwned>(
        &self,
        action_name: impl Into<String>,
        params: impl Serialize,
    ) -> Result<T, ActionError> {
        self.execute_request(ActionRequest::serialized(action_name, params)?)
            .await
    }

    /// Runs a fully specified [`ActionRequest`] (summary, retry policy, start-to-close
    /// timeout, execution mode) and deserializes its result into `T`.
    pub async fn execute_request<T: DeserializeOwned>(
        &self,
        request: ActionRequest,
    ) -> Result<T, ActionError> {
        let value = self.execute_value(request).await?;
        decode_result(value)
    }

    async fn execute_value(&self, request: ActionRequest) -> Result<Value, ActionError> {
        let config = ActionConfig::resolve(
            self.inner.base_url.as_deref(),
            self.inner.auth_token.as_deref(),
            &ampere_runtime_common::env_lookup,
        )?;
        let client = match &self.inner.client {
            Ok(client) => client,
            Err(message) => {
                return Err(ActionError::Http {
                    status: None,
                    message: format!("Network error: cannot set up the HTTP client: {message}"),
                    body: None,
                })
            }
        };
        let action_name = request.action_name.clone();
        let mut call = ActionCall::new(request, config, now())?;
        loop {
            match call.poll_output() {
                Some(Output::Send(req)) => {
                    tracing::debug!(
                        action = %action_name,
                        method = %req.method,
                        url = %req.url,
                        "zamp request"
                    );
                    match send(client, &req).await {
                        Ok(response) => {
                            tracing::debug!(
                                action = %action_name,
                                status = response.status,
                                url = %req.url,
                                "zamp response"
                            );
                            call.handle_response(req.id, response, now());
                        }
                        Err(error) => {
                            call.handle_transport_error(req.id, error, now());
                        }
                    }
                }
                Some(Output::WaitUntil(deadline)) => {
                    sleep_until(deadline).await;
                    call.handle_timeout(now());
                }
                Some(Output::Done(result)) => return result,
                None => match call.poll_timeout() {
                    // Not expected from a sequential driver, but never spin or panic.
                    Some(deadline) => {
                        sleep_until(deadline).await;
                        call.handle_timeout(now());
                    }
                    None => {
                        return Err(ActionError::Http {
                            status: None,
                            message: "internal error: the action state machine stalled".to_string(),
                            body: None,
                        })
                    }
                },
            }
        }
    }
}

/// Runs `action_name` with `params` using the environment's configuration
/// (`ZAMP_BASE_URL`, `ZAMP_AUTH_TOKEN`) and returns the raw result.
///
/// Each call sets up its own HTTP client; to run many actions, create one
/// [`ActionExecutor`] and reuse it.
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
    ActionExecutor::new().execute(action_name, params).await
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

async fn sleep_until(deadline: Instant) {
    let deadline = tokio::time::Instant::from_std(deadline);
    if deadline > tokio::time::Instant::now() {
        tokio::time::sleep_until(deadline).await;
    }
}

async fn send(client: &reqwest::Client, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
    let method = match req.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
    };
    let mut builder = client.request(method, &req.url).timeout(req.timeout);
    for (name, value) in &req.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if let Some(body) = &req.body {
        builder = builder.body(body.clone());
    }
    let response = builder.send().await.map_err(transport_error)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response.bytes().await.map_err(transport_error)?.to_vec();
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn transport_error(error: reqwest::Error) -> TransportError {
    let text = error_chain(&error);
    if error.is_timeout() {
        TransportError::Timeout(text)
    } else {
        TransportError::Network(text)
    }
}

/// The error and its sources, joined with `: ` (reqwest's own text alone is vague).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}
