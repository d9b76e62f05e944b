//! Core's HTTP requests on a blocking [`ureq`] 3 agent, for the blocking and async-std
//! runtimes (feature `ureq`): one implementation of core's HTTP policy for both.
//!
//! Every header comes from core (ureq adds no `User-Agent` of its own), each request gets
//! its own total timeout, the body is read up to the request's limit (beyond it:
//! [`TransportErrorKind::BodyTooLarge`]), redirects are never followed, and every HTTP
//! status is an answer.
//!
//! **The token never reaches ureq.** ureq hex-dumps every request it writes at TRACE level
//! (through the `log` crate), `Authorization` included. So ureq is given a placeholder as the
//! `Authorization` value, and the outermost transport of the agent (below ureq's logging,
//! above TLS) puts the real value in place as the bytes go out.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ampere_core::action::{
    ActionCall, ActionCredentials, ActionError, ActionRequest, HttpRequest, HttpResponse, Output,
    TransportError, TransportErrorKind,
};
use serde_json::Value;
use ureq::http;
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout, Transport,
};

/// A pooled ureq agent set up for core's policy (statuses as answers, no redirects, no
/// User-Agent of ureq's own, no global timeout: each request carries its own), whose
/// requests never show the token to ureq. Clones share the pool.
#[derive(Clone, Debug)]
pub struct UreqAgent {
    plain: crate::BlockingHttp1,
    agent: ureq::Agent,
    secrets: Secrets,
}

impl Default for UreqAgent {
    fn default() -> Self {
        Self::new()
    }
}

impl UreqAgent {
    /// A new agent with its own connection pool.
    pub fn new() -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(ureq::config::AutoHeaderValue::None)
            .timeout_global(None)
            .max_idle_connections(1024)
            .max_idle_connections_per_host(1024)
            .build();
        let secrets = Secrets::default();
        let connector = DefaultConnector::new().chain(Inject(secrets.clone()));
        Self {
            plain: crate::BlockingHttp1::default(),
            agent: ureq::Agent::with_parts(config, connector, DefaultResolver::default()),
            secrets,
        }
    }

    /// Runs one action to its end on this thread: core's create / poll schedule
    /// ([`ActionCall`]), each request sent with [`send`](Self::send), each wait a sleep.
    pub fn execute(
        &self,
        credentials: &ActionCredentials,
        request: ActionRequest,
    ) -> Result<Value, ActionError> {
        let config = credentials.resolve(&crate::env_lookup)?;
        let action = request.action_name.clone();
        let mut call = ActionCall::new(request, config, std::time::Instant::now())?;
        let now = std::time::Instant::now;
        loop {
            match call.poll_output() {
                Output::Send(req) => {
                    tracing::debug!(target: "ampere", %action, method = %req.method, url = %req.url, "zamp request");
                    match self.send(&req) {
                        Ok(resp) => {
                            tracing::debug!(target: "ampere", %action, status = resp.status, "zamp response");
                            call.handle_response(req.id, resp, now());
                        }
                        Err(err) => {
                            tracing::debug!(target: "ampere", %action, kind = ?err.kind, detail = %err.detail, "zamp request failed");
                            call.handle_transport_error(req.id, err, now());
                        }
                    }
                }
                Output::WaitUntil(deadline) => {
                    std::thread::sleep(deadline.saturating_duration_since(now()));
                    call.handle_timeout(now());
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

    /// Sends `request`, blocking until the whole answer is read or the request failed.
    ///
    /// A plain `http://` request goes out on std sockets ([`crate::BlockingHttp1`]), with
    /// the same policy; only `https://` goes through ureq.
    pub fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        if let Some(target) = crate::Http1Target::parse(&request.url) {
            return self.plain.send(&target, request);
        }
        let placeholder = request
            .header("authorization")
            .map(|value| self.secrets.hold(value));
        let mut builder = http::Request::builder()
            .method(request.method.as_str())
            .uri(request.url.as_str());
        for (name, value) in &request.headers {
            let value = match &placeholder {
                Some(p) if name.eq_ignore_ascii_case("authorization") => p.0.as_str(),
                _ => value.as_str(),
            };
            builder = builder.header(name.as_str(), value);
        }
        let result = send_built(&self.agent, request, builder);
        if let Some(placeholder) = placeholder {
            self.secrets.release(&placeholder.0);
        }
        result
    }
}

fn send_built(
    agent: &ureq::Agent,
    request: &HttpRequest,
    builder: http::request::Builder,
) -> Result<HttpResponse, TransportError> {
    let response = match &request.body {
        Some(body) => run(agent, request, builder.body(body.as_slice())),
        None => run(agent, request, builder.body(())),
    };
    let mut response = response.map_err(|e| transport_error(&e))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    // ureq fails a read once its limit is reached, even at the end of a body of exactly the
    // limit: allow one byte more, so that only a longer body fails.
    let body = response
        .body_mut()
        .with_config()
        .limit(request.max_response_body.saturating_add(1))
        .read_to_vec()
        .map_err(|e| transport_error(&e))?;
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn run<S: ureq::AsSendBody>(
    agent: &ureq::Agent,
    request: &HttpRequest,
    built: Result<http::Request<S>, http::Error>,
) -> Result<http::Response<ureq::Body>, ureq::Error> {
    let built = built.map_err(ureq::Error::Http)?;
    let configured = agent
        .configure_request(built)
        .timeout_global(Some(request.timeout))
        .build();
    agent.run(configured)
}

/// Which core kind a ureq error is.
fn transport_error(error: &ureq::Error) -> TransportError {
    let kind = match error {
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::HostNotFound => TransportErrorKind::Dns,
        ureq::Error::BodyExceedsLimit(_) => TransportErrorKind::BodyTooLarge,
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::RequireHttpsOnly(_) => {
            TransportErrorKind::InvalidUrl
        }
        ureq::Error::Tls(_) | ureq::Error::TlsRequired => TransportErrorKind::Tls,
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused => TransportErrorKind::Refused,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportErrorKind::Timeout,
            // std's resolver fails with "failed to lookup address information: ...".
            _ if io.to_string().contains("lookup address") => TransportErrorKind::Dns,
            _ => TransportErrorKind::Other,
        },
        other => {
            let text = other.to_string().to_ascii_lowercase();
            if text.contains("tls") || text.contains("certificate") || text.contains("rustls") {
                TransportErrorKind::Tls
            } else {
                TransportErrorKind::Other
            }
        }
    };
    TransportError::new(kind, error.to_string())
}

/// The header values ureq must not see, by the placeholder it sees instead.
#[derive(Clone, Default)]
struct Secrets(Arc<Mutex<HashMap<String, String>>>);

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

/// A placeholder handed to ureq.
struct Placeholder(String);

/// How a placeholder's header line starts on the wire (ureq writes names in lowercase).
const PLACEHOLDER_LINE: &[u8] = b"authorization: ampere-redacted-";
/// The hex digits after `ampere-redacted-`.
const PLACEHOLDER_DIGITS: usize = 24;

impl Secrets {
    fn hold(&self, value: &str) -> Placeholder {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let salt = std::process::id();
        let placeholder = format!("ampere-redacted-{salt:08x}{n:016x}");
        self.lock().insert(placeholder.clone(), value.to_owned());
        Placeholder(placeholder)
    }

    fn release(&self, placeholder: &str) {
        self.lock().remove(placeholder);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `data` with the `authorization: <placeholder>` line of its head holding the real
    /// value, or `None` when there is none.
    fn restore(&self, data: &[u8]) -> Option<Vec<u8>> {
        let head_end = find(data, b"\r\n\r\n").map_or(data.len(), |at| at + 4);
        let at = find(&data[..head_end], PLACEHOLDER_LINE)?;
        let start = at + b"authorization: ".len();
        let end = at + PLACEHOLDER_LINE.len() + PLACEHOLDER_DIGITS;
        let placeholder = std::str::from_utf8(data.get(start..end)?).ok()?;
        let secrets = self.lock();
        let value = secrets.get(placeholder)?;
        let mut out = Vec::with_capacity(data.len() + value.len());
        out.extend_from_slice(&data[..start]);
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(&data[end..]);
        Some(out)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}

/// The outermost connector: wraps each connection in [`Injecting`].
#[derive(Debug)]
struct Inject(Secrets);

impl<In: Transport> Connector<In> for Inject {
    type Out = Injecting<In>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| Injecting {
            inner,
            secrets: self.0.clone(),
        }))
    }
}

/// A connection that puts the real `Authorization` value in place of the placeholder as the
/// request goes out.
#[derive(Debug)]
struct Injecting<T> {
    inner: T,
    secrets: Secrets,
}

impl<T: Transport> Transport for Injecting<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        let restored = {
            let output = self.inner.buffers().output();
            self.secrets.restore(&output[..amount.min(output.len())])
        };
        let Some(data) = restored else {
            return self.inner.transmit_output(amount, timeout);
        };
        let mut rest = data.as_slice();
        while !rest.is_empty() {
            let output = self.inner.buffers().output();
            let n = output.len().min(rest.len());
            if n == 0 {
                return Err(ureq::Error::Io(io::Error::other("no output buffer")));
            }
            output[..n].copy_from_slice(&rest[..n]);
            self.inner.transmit_output(n, timeout)?;
            rest = &rest[n..];
        }
        Ok(())
    }

    fn maybe_await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.inner.maybe_await_input(timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_placeholder_is_replaced_in_the_head_only() {
        let secrets = Secrets::default();
        let p = secrets.hold("Bearer real-token");
        let head = format!(
            "GET /a HTTP/1.1\r\nauthorization: {}\r\nuser-agent: x\r\n\r\n",
            p.0
        );
        let restored = secrets.restore(head.as_bytes()).expect("restored");
        assert_eq!(
            String::from_utf8(restored).expect("utf8"),
            "GET /a HTTP/1.1\r\nauthorization: Bearer real-token\r\nuser-agent: x\r\n\r\n"
        );
        let body = format!("\r\n\r\nauthorization: {}", p.0);
        assert_eq!(secrets.restore(body.as_bytes()), None, "not in a body");
        secrets.release(&p.0);
        assert_eq!(secrets.restore(head.as_bytes()), None, "released");
        assert!(!format!("{secrets:?}").contains("real-token"));
    }
}
