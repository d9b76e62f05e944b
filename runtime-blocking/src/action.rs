//! Zamp platform actions over blocking HTTP ([`ureq`]).
//!
//! [`ActionExecutor`] drives core's [`ActionCall`] machine: it sends each
//! [`HttpRequest`] the machine asks for on one pooled [`ureq::Agent`], feeds the answer
//! (any status) or the transport failure back, and sleeps the calling thread for each
//! `WaitUntil`. Every decision (retry, backoff, polling, error classification) is core's.

use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ampere_core::action::{
    decode_result, ActionCall, ActionConfig, ActionError, ActionRequest, HttpRequest, HttpResponse,
    Method, Output, TransportError,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// The largest response body accepted (a bigger one is a network error, never an
/// out-of-memory).
pub const MAX_RESPONSE_BODY: u64 = 256 * 1024 * 1024;

/// Runs Zamp platform actions, blocking the calling thread until each is done.
///
/// Cheap to clone: clones share one pooled HTTP client (connections are reused across
/// calls and threads). Configuration is resolved per call: an explicit
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
#[derive(Clone)]
pub struct ActionExecutor {
    agent: ureq::Agent,
    base_url: Option<String>,
    auth_token: Option<String>,
}

impl fmt::Debug for ActionExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionExecutor")
            .field("base_url", &self.base_url)
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "<redacted>"),
            )
            .finish_non_exhaustive()
    }
}

impl Default for ActionExecutor {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds an [`ActionExecutor`]. Every setting is optional.
#[derive(Clone, Default)]
pub struct ActionExecutorBuilder {
    agent: Option<ureq::Agent>,
    base_url: Option<String>,
    auth_token: Option<String>,
}

impl fmt::Debug for ActionExecutorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionExecutorBuilder")
            .field("base_url", &self.base_url)
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "<redacted>"),
            )
            .field("custom_agent", &self.agent.is_some())
            .finish()
    }
}

impl ActionExecutorBuilder {
    /// The platform's base URL (default: `ZAMP_BASE_URL`, read at each call).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The API token (default: `ZAMP_AUTH_TOKEN`, read at each call). Never logged.
    pub fn auth_token(mut self, token: impl Into<String>) -> Self {
        self.auth_token = Some(token.into());
        self
    }

    /// Use this [`ureq::Agent`] instead of the default one (for a proxy or custom TLS).
    ///
    /// It must be configured with `http_status_as_error(false)`: ampere needs every
    /// HTTP answer, whatever its status, to decide what to do (a 5xx is retried, a 4xx is
    /// not). With the ureq default, error statuses would surface as network errors.
    /// Per-request timeouts are set by ampere on each request.
    pub fn agent(mut self, agent: ureq::Agent) -> Self {
        self.agent = Some(agent);
        self
    }

    /// The executor.
    pub fn build(self) -> ActionExecutor {
        ActionExecutor {
            agent: self.agent.unwrap_or_else(default_agent),
            base_url: self.base_url,
            auth_token: self.auth_token,
        }
    }
}

/// The agent every executor uses unless given one: error statuses come back as
/// responses, no global timeout (each request carries its own), a small idle pool.
fn default_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(None)
        .max_idle_connections(32)
        .max_idle_connections_per_host(32)
        .user_agent(concat!("ampere-blocking/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
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
    /// `params` that cannot be serialized are [`ActionError::Validation`]; a result that
    /// does not fit `T` is [`ActionError::ResultType`], which keeps the raw value.
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
        let value = self.execute_raw(request)?;
        decode_result(value)
    }

    fn config(&self) -> Result<ActionConfig, ActionError> {
        ActionConfig::resolve(
            self.base_url.as_deref(),
            self.auth_token.as_deref(),
            &ampere_runtime_common::env_lookup,
        )
    }

    fn execute_raw(&self, request: ActionRequest) -> Result<Value, ActionError> {
        let config = self.config()?;
        let action_name = request.action_name.clone();
        let mut call = ActionCall::new(request, config, Instant::now())?;
        tracing::debug!(action = %action_name, "zamp action: start");
        let mut idle_polls = 0u32;
        loop {
            match call.poll_output() {
                Some(Output::Send(req)) => {
                    idle_polls = 0;
                    tracing::debug!(
                        action = %action_name,
                        method = %req.method,
                        url = %req.url,
                        "zamp action: request"
                    );
                    match self.send(&req) {
                        Ok(resp) => {
                            call.handle_response(req.id, resp, Instant::now());
                        }
                        Err(err) => {
                            call.handle_transport_error(req.id, err, Instant::now());
                        }
                    }
                }
                Some(Output::WaitUntil(deadline)) => {
                    idle_polls = 0;
                    sleep_until(deadline);
                    call.handle_timeout(Instant::now());
                }
                Some(Output::Done(result)) => {
                    tracing::debug!(
                        action = %action_name,
                        ok = result.is_ok(),
                        "zamp action: done"
                    );
                    return result;
                }
                None => {
                    // A sequential driver always has something to do; if the machine
                    // ever says otherwise, give it its timer once, then stop rather
                    // than spin.
                    idle_polls += 1;
                    if idle_polls > 1 {
                        return Err(ActionError::Http {
                            status: None,
                            message: "internal error: the action state machine stalled".to_string(),
                            body: None,
                        });
                    }
                    if let Some(deadline) = call.poll_timeout() {
                        sleep_until(deadline);
                    }
                    call.handle_timeout(Instant::now());
                }
            }
        }
    }

    /// Sends one request as is; every HTTP answer (any status) is a response.
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let result = match (req.method, &req.body) {
            (Method::Post, body) => {
                let mut builder = self.agent.post(&req.url);
                for (name, value) in &req.headers {
                    builder = builder.header(name.as_str(), value.as_str());
                }
                let builder = builder.config().timeout_global(Some(req.timeout)).build();
                match body {
                    Some(bytes) => builder.send(&bytes[..]),
                    None => builder.send_empty(),
                }
            }
            (Method::Get, _) => {
                let mut builder = self.agent.get(&req.url);
                for (name, value) in &req.headers {
                    builder = builder.header(name.as_str(), value.as_str());
                }
                builder
                    .config()
                    .timeout_global(Some(req.timeout))
                    .build()
                    .call()
            }
        };
        let mut response = result.map_err(|e| transport_error(&req.url, e))?;
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
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BODY)
            .read_to_vec()
            .map_err(|e| transport_error(&req.url, e))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// Maps a ureq failure to core's transport error: timeouts are `Timeout`, everything
/// else is `Network`.
fn transport_error(url: &str, error: ureq::Error) -> TransportError {
    let timed_out = match &error {
        ureq::Error::Timeout(_) => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
        ),
        _ => false,
    };
    let text = format!("{error} ({url})");
    if timed_out {
        TransportError::Timeout(text)
    } else {
        TransportError::Network(text)
    }
}

fn sleep_until(deadline: Instant) {
    let wait = deadline.saturating_duration_since(Instant::now());
    if wait > Duration::ZERO {
        std::thread::sleep(wait);
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
    static SHARED: OnceLock<ActionExecutor> = OnceLock::new();
    SHARED
        .get_or_init(ActionExecutor::new)
        .execute(action_name, params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ampere_core::action::RequestId;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    fn request(url: String, timeout: Duration) -> HttpRequest {
        HttpRequest {
            id: RequestId::from_raw(0),
            method: Method::Get,
            url,
            headers: vec![("Authorization".into(), "Bearer t".into())],
            body: None,
            timeout,
        }
    }

    #[test]
    fn a_silent_server_is_a_transport_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        // Accept and read, but never answer.
        let server = std::thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                let mut buf = [0u8; 1024];
                let _ = conn.read(&mut buf);
                std::thread::sleep(Duration::from_secs(2));
            }
        });
        let exec = ActionExecutor::new();
        let start = Instant::now();
        let err = exec
            .send(&request(
                format!("http://{addr}/actions/1"),
                Duration::from_millis(300),
            ))
            .expect_err("timeout");
        assert!(matches!(err, TransportError::Timeout(_)), "{err:?}");
        assert!(start.elapsed() < Duration::from_secs(2));
        let _ = server.join();
    }

    #[test]
    fn error_statuses_come_back_as_responses() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = std::thread::spawn(move || {
            if let Ok((mut conn, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                let body = r#"{"message":"down"}"#;
                let _ = write!(
                    conn,
                    "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        let resp = ActionExecutor::new()
            .send(&request(
                format!("http://{addr}/actions/1"),
                Duration::from_secs(10),
            ))
            .expect("a response");
        assert_eq!(resp.status, 503);
        assert_eq!(resp.body, br#"{"message":"down"}"#);
        let _ = server.join();
    }
}
