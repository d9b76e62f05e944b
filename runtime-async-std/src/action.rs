//! Zamp platform actions: [`ActionExecutor`] drives core's [`ActionCall`] machine.
//!
//! The machine decides everything (the create body, retries of a 5xx create, the poll
//! backoff, the budgets, how an answer is classified); this module only sends the HTTP
//! requests it asks for and sleeps until the instants it names.
//!
//! HTTP goes through one shared [`ureq::Agent`] (a connection pool) whose blocking calls run
//! on the [`blocking`] crate's thread pool, so no executor thread ever waits on the network;
//! waits use [`async_io::Timer`]. Both work under any executor (async-std, smol, or a plain
//! `block_on`).

use std::error::Error as _;
use std::fmt;
use std::io::Read;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use ampere_core::action::{
    decode_result, ActionCall, ActionConfig, ActionError, ActionRequest, HttpRequest, HttpResponse,
    Method, Output, TransportError,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// The largest response body read into memory (a larger body is cut off here and then
/// fails to decode as JSON with a clear error).
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Runs Zamp platform actions: create, then poll until the action is done.
///
/// Cheap to clone: every clone shares one pooled HTTP client. The base URL and token are
/// resolved on every call: an explicit value given to the [builder](ActionExecutor::builder)
/// wins, else the environment variables `ZAMP_BASE_URL` / `ZAMP_AUTH_TOKEN`; a missing one is
/// [`ActionError::Config`] before any request is sent.
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
#[derive(Clone)]
pub struct ActionExecutor {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: Option<String>,
    auth_token: Option<String>,
    agent: ureq::Agent,
}

impl fmt::Debug for ActionExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActionExecutor")
            .field("base_url", &self.inner.base_url)
            .field(
                "auth_token",
                &self.inner.auth_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Default for ActionExecutor {
    fn default() -> Self {
        Self::new()
    }
}

impl ActionExecutor {
    /// An executor configured from the environment (`ZAMP_BASE_URL`, `ZAMP_AUTH_TOKEN`),
    /// read at each call.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for an executor with explicit settings.
    pub fn builder() -> ActionExecutorBuilder {
        ActionExecutorBuilder::default()
    }

    /// Runs the action `action_name` with `params` (the seed's
    /// `ActionExecutor.execute(action_name, params)`), with the default retry policy and
    /// timeouts, and deserializes its result into `T` (use [`serde_json::Value`] to keep it
    /// as is).
    ///
    /// `params` that cannot be turned into JSON are [`ActionError::Validation`]; a result
    /// that does not fit `T` is [`ActionError::ResultType`], which keeps the raw value.
    pub async fn execute<T: DeserializeOwned>(
        &self,
        action_name: impl Into<String>,
        params: impl Serialize,
    ) -> Result<T, ActionError> {
        self.execute_request(ActionRequest::serialized(action_name, params)?)
            .await
    }

    /// Runs one action described in full (summary, retry policy, start-to-close timeout,
    /// execution mode) and deserializes its result into `T`.
    ///
    /// Dropping the returned future stops the call between steps; an HTTP request already
    /// on the wire finishes (or times out) on the blocking pool, and its answer is dropped.
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
        tracing::debug!(
            action = %request.action_name,
            base_url = %config.base_url(),
            "running Zamp action"
        );
        let mut call = ActionCall::new(request, config, Instant::now())?;
        loop {
            // At most one request or one deadline is outstanding: a sequential drive loop.
            match call.poll_output() {
                Some(Output::Send(http)) => {
                    let id = http.id;
                    match self.send(http).await {
                        Ok(response) => call.handle_response(id, response, Instant::now()),
                        Err(error) => call.handle_transport_error(id, error, Instant::now()),
                    };
                }
                Some(Output::WaitUntil(deadline)) => {
                    if Instant::now() < deadline {
                        async_io::Timer::at(deadline).await;
                    }
                    call.handle_timeout(Instant::now());
                }
                Some(Output::Done(result)) => return result,
                None => {
                    // Only reachable if the machine waits without announcing it; its own
                    // deadline (if any) is then the thing to wait for.
                    match call.poll_timeout() {
                        Some(deadline) => {
                            async_io::Timer::at(deadline).await;
                            call.handle_timeout(Instant::now());
                        }
                        None => {
                            return Err(ActionError::Decode {
                                url: String::new(),
                                message: "the action machine stalled (a bug in ampere)".into(),
                            })
                        }
                    }
                }
            }
        }
    }

    /// Sends one request on the blocking pool.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let agent = self.inner.agent.clone();
        blocking::unblock(move || send_blocking(&agent, &request)).await
    }
}

/// Builds an [`ActionExecutor`].
#[derive(Default)]
pub struct ActionExecutorBuilder {
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
            .finish()
    }
}

impl ActionExecutorBuilder {
    /// The platform's base URL (else `ZAMP_BASE_URL`).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The API token (else `ZAMP_AUTH_TOKEN`). A secret: never logged or shown.
    pub fn auth_token(mut self, auth_token: impl Into<String>) -> Self {
        self.auth_token = Some(auth_token.into());
        self
    }

    /// The executor, with a fresh connection pool.
    pub fn build(self) -> ActionExecutor {
        ActionExecutor {
            inner: Arc::new(Inner {
                base_url: self.base_url,
                auth_token: self.auth_token,
                agent: new_agent(),
            }),
        }
    }
}

fn new_agent() -> ureq::Agent {
    // Timeouts are per request (core says how long each may take); redirects are not part
    // of the protocol, so a 3xx comes back as an answer like any other status.
    ureq::AgentBuilder::new()
        .redirects(0)
        .max_idle_connections_per_host(32)
        .build()
}

/// Runs the action `action_name` with `params` using the environment's configuration
/// (`ZAMP_BASE_URL`, `ZAMP_AUTH_TOKEN`) and returns its result as JSON.
///
/// All calls share one process-wide connection pool.
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
    static SHARED: OnceLock<ActionExecutor> = OnceLock::new();
    SHARED
        .get_or_init(ActionExecutor::new)
        .execute(action_name, params)
        .await
}

/// Sends `request` with `agent`, blocking the calling (pool) thread. Every HTTP status comes
/// back as a response; only a failure to get one is a [`TransportError`].
fn send_blocking(
    agent: &ureq::Agent,
    request: &HttpRequest,
) -> Result<HttpResponse, TransportError> {
    let method = match request.method {
        Method::Get => "GET",
        Method::Post => "POST",
    };
    let mut req = agent.request(method, &request.url).timeout(request.timeout);
    for (name, value) in &request.headers {
        req = req.set(name, value);
    }
    let result = match &request.body {
        Some(body) => req.send_bytes(body),
        None => req.call(),
    };
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(ureq::Error::Transport(transport)) => return Err(transport_error(&transport)),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .filter_map(|name| {
            let value = response.header(&name)?.to_string();
            Some((name, value))
        })
        .collect();
    let mut body = Vec::new();
    if let Err(error) = response
        .into_reader()
        .take(MAX_BODY_BYTES)
        .read_to_end(&mut body)
    {
        return Err(io_transport_error(&error, "reading the response body"));
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn is_timeout(kind: std::io::ErrorKind) -> bool {
    matches!(
        kind,
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

fn transport_error(error: &ureq::Transport) -> TransportError {
    let text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if is_timeout(io.kind()) {
                return TransportError::Timeout(text);
            }
        }
        source = cause.source();
    }
    TransportError::Network(text)
}

fn io_transport_error(error: &std::io::Error, context: &str) -> TransportError {
    let text = format!("{context}: {error}");
    if is_timeout(error.kind()) {
        TransportError::Timeout(text)
    } else {
        TransportError::Network(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn debug_redacts_the_token() {
        let executor = ActionExecutor::builder()
            .base_url("http://127.0.0.1:1")
            .auth_token("s3cr3t-token")
            .build();
        let text = format!("{executor:?}");
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("<redacted>"), "{text}");
        let builder = ActionExecutor::builder().auth_token("s3cr3t-token");
        assert!(!format!("{builder:?}").contains("s3cr3t"));
    }

    #[test]
    fn io_timeouts_are_timeouts() {
        let e = std::io::Error::new(std::io::ErrorKind::TimedOut, "too slow");
        assert!(matches!(
            io_transport_error(&e, "x"),
            TransportError::Timeout(_)
        ));
        let e = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert!(matches!(
            io_transport_error(&e, "x"),
            TransportError::Network(_)
        ));
    }

    #[test]
    fn a_server_that_never_answers_is_a_timeout() {
        // Accepts (through the backlog) but never answers.
        let listener = match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("bind: {e}"),
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let request = HttpRequest {
            id: ampere_core::action::RequestId::from_raw(0),
            method: Method::Post,
            url: format!("http://127.0.0.1:{port}/actions"),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Some(b"{}".to_vec()),
            timeout: Duration::from_millis(300),
        };
        let started = std::time::Instant::now();
        match send_blocking(&new_agent(), &request) {
            Err(TransportError::Timeout(text)) => assert!(!text.is_empty()),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(10));
        drop(listener);
    }

    #[test]
    fn every_status_comes_back_as_a_response() {
        use std::io::Write;
        let listener = match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("bind: {e}"),
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let server = std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buf = [0u8; 4096];
                let _ = std::io::Read::read(&mut stream, &mut buf);
                let body = r#"{"message":"slow down"}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 429 Too Many Requests\r\nContent-Length: {}\r\nX-Test: yes\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        let request = HttpRequest {
            id: ampere_core::action::RequestId::from_raw(0),
            method: Method::Get,
            url: format!("http://127.0.0.1:{port}/actions/a1"),
            headers: vec![("Authorization".into(), "Bearer t".into())],
            body: None,
            timeout: Duration::from_secs(10),
        };
        match send_blocking(&new_agent(), &request) {
            Ok(response) => {
                assert_eq!(response.status, 429);
                assert_eq!(response.body, br#"{"message":"slow down"}"#);
                assert!(response
                    .headers
                    .iter()
                    .any(|(n, v)| n.eq_ignore_ascii_case("x-test") && v == "yes"));
            }
            other => panic!("expected a response, got {other:?}"),
        }
        let _ = server.join();
    }

    #[test]
    fn one_agent_reuses_its_connection() {
        use std::io::{Read, Write};
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = match std::net::TcpListener::bind("127.0.0.1:0") {
            Ok(l) => l,
            Err(e) => panic!("bind: {e}"),
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        // A keep-alive server: answers every GET on a connection until it closes.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                counter.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    let mut pending = Vec::new();
                    let mut buf = [0u8; 4096];
                    loop {
                        match stream.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => pending.extend_from_slice(&buf[..n]),
                        }
                        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                            pending.drain(..end + 4);
                            let body = br#"{"status":"RUNNING"}"#;
                            let head = format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/json\r\n\r\n",
                                body.len()
                            );
                            if stream
                                .write_all(head.as_bytes())
                                .and_then(|()| stream.write_all(body))
                                .is_err()
                            {
                                return;
                            }
                        }
                    }
                });
            }
        });
        let agent = new_agent();
        for i in 0..3 {
            let request = HttpRequest {
                id: ampere_core::action::RequestId::from_raw(i),
                method: Method::Get,
                url: format!("http://127.0.0.1:{port}/actions/a{i}"),
                headers: vec![("Authorization".into(), "Bearer t".into())],
                body: None,
                timeout: Duration::from_secs(10),
            };
            match send_blocking(&agent, &request) {
                Ok(response) => assert_eq!(response.status, 200),
                Err(e) => panic!("request {i}: {e:?}"),
            }
        }
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            1,
            "connections were not reused"
        );
    }

    #[test]
    fn refused_connection_is_a_network_error() {
        // Port 9 (discard) is not listening on the loopback here; the answer is immediate.
        let agent = new_agent();
        let request = HttpRequest {
            id: ampere_core::action::RequestId::from_raw(0),
            method: Method::Get,
            url: "http://127.0.0.1:9/actions/x".into(),
            headers: vec![],
            body: None,
            timeout: Duration::from_secs(5),
        };
        match send_blocking(&agent, &request) {
            Err(TransportError::Network(text)) => assert!(!text.is_empty()),
            other => panic!("expected a network error, got {other:?}"),
        }
    }
}
