//! The HTTP requests the machine asks for, the answers it is fed, and the HTTP policy every
//! runtime carries out identically.
//!
//! # The HTTP policy (core's, the same in every runtime)
//!
//! - Every request carries `User-Agent: ampere/<version>` ([`USER_AGENT`]) and
//!   `Authorization: Bearer <token>`; a request with a body also `Content-Type:
//!   application/json`. The transport sends exactly these headers.
//! - Each request has its own total timeout ([`HttpRequest::timeout`]): connecting, sending
//!   and reading the whole answer.
//! - A response body longer than [`HttpRequest::max_response_body`] ([`MAX_RESPONSE_BODY`],
//!   64 MiB) is an error ([`TransportErrorKind::BodyTooLarge`]), never a silent truncation.
//! - **Redirects are never followed**: the bearer token must not travel to another host. The
//!   transport hands a 3xx answer back as is (with its `Location` header), and core turns it
//!   into an [`ActionError::Http`](super::ActionError::Http) naming the status and the
//!   location.
//! - A request that gets no answer is a [`TransportError`]: the runtime only says which
//!   [`TransportErrorKind`] it was (plus its client's text as `detail`); core composes the
//!   error text, so it reads the same in every runtime.

use std::fmt;
use std::time::Duration;

/// The `User-Agent` of every request: `ampere/<version>`.
pub const USER_AGENT: &str = concat!("ampere/", env!("CARGO_PKG_VERSION"));

/// The largest response body accepted: 64 MiB. A longer one is an error
/// ([`TransportErrorKind::BodyTooLarge`]), never truncated.
pub const MAX_RESPONSE_BODY: u64 = 64 * 1024 * 1024;

/// Identifies one request the machine emitted; its answer must be fed back with the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl RequestId {
    /// An id from its raw number (for tests and drivers that persist ids).
    pub const fn from_raw(raw: u64) -> Self {
        Self(raw)
    }

    /// The raw number.
    pub const fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The HTTP method of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET` (polling).
    Get,
    /// `POST` (create).
    Post,
}

impl Method {
    /// The method's name, `GET` or `POST`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One HTTP request for the runtime to send.
///
/// The runtime sends it as is (method, URL, every header, body) with `timeout` as the
/// total request timeout, reading at most `max_response_body` bytes of the answer and never
/// following a redirect (see the [module's policy](self)), then feeds back either
/// [`ActionCall::handle_response`](super::ActionCall::handle_response) or
/// [`ActionCall::handle_transport_error`](super::ActionCall::handle_transport_error) with
/// this `id`.
///
/// `headers` holds `Authorization: Bearer <token>`: `Debug` redacts that value.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Which request this is.
    pub id: RequestId,
    /// `POST` to create, `GET` to poll.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// Headers to send, in order (`Authorization`, `User-Agent`, then `Content-Type` when
    /// there is a body). The transport adds none of its own.
    pub headers: Vec<(String, String)>,
    /// The JSON body, if any.
    pub body: Option<Vec<u8>>,
    /// The total timeout of this request (30 s; longer for an inline create).
    pub timeout: Duration,
    /// The largest response body to read ([`MAX_RESPONSE_BODY`]); a longer body is
    /// [`TransportErrorKind::BodyTooLarge`].
    pub max_response_body: u64,
}

impl HttpRequest {
    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Headers<'a>(&'a [(String, String)]);

impl fmt::Debug for Headers<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for (name, value) in self.0 {
            if name.eq_ignore_ascii_case("authorization") {
                list.entry(&(name.as_str(), "<redacted>"));
            } else {
                list.entry(&(name.as_str(), value.as_str()));
            }
        }
        list.finish()
    }
}

struct Body<'a>(&'a Option<Vec<u8>>);

impl fmt::Debug for Body<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("None"),
            Some(bytes) => write!(f, "Some({:?})", String::from_utf8_lossy(bytes)),
        }
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &Headers(&self.headers))
            .field("body", &Body(&self.body))
            .field("timeout", &self.timeout)
            .field("max_response_body", &self.max_response_body)
            .finish()
    }
}

/// An HTTP answer, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The response headers (`Location` names where a 3xx answer pointed).
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with `status` and `body` and no headers.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }
}

impl HttpResponse {
    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request got no HTTP answer, as the runtime's client reported it. Core turns each
/// kind into the same error text in every runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Nothing listens there: the connection was refused.
    Refused,
    /// The host name could not be resolved.
    Dns,
    /// The TLS handshake (or a certificate check) failed.
    Tls,
    /// The request's total timeout elapsed.
    Timeout,
    /// The client could not use the URL.
    InvalidUrl,
    /// The response body is longer than [`HttpRequest::max_response_body`].
    BodyTooLarge,
    /// Anything else (connection reset, a protocol error, ...).
    Other,
}

/// A request that got no HTTP answer: what kind of failure, and the client's own text.
///
/// The runtime fills it in; core composes the error the caller sees (see
/// [`TransportError::message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// What went wrong.
    pub kind: TransportErrorKind,
    /// The client's text, for the kinds whose error text includes it ([`Tls`],
    /// [`InvalidUrl`], [`Other`]) and for logs. It must not hold a secret (HTTP clients do
    /// not put headers in their errors).
    ///
    /// [`Tls`]: TransportErrorKind::Tls
    /// [`InvalidUrl`]: TransportErrorKind::InvalidUrl
    /// [`Other`]: TransportErrorKind::Other
    pub detail: String,
}

impl TransportError {
    /// A failure of `kind` with the client's `detail`.
    pub fn new(kind: TransportErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }

    /// The error text for a request to `url` with total timeout `timeout`:
    ///
    /// | kind | text |
    /// |---|---|
    /// | `Refused` | `Network error: connection refused ({url})` |
    /// | `Dns` | `Network error: cannot resolve the host of {url}` |
    /// | `Tls` | `Network error: TLS failure with {url}: {detail}` |
    /// | `Timeout` | `Request timed out: no complete answer from {url} within {timeout}` |
    /// | `InvalidUrl` | `Network error: invalid URL {url}: {detail}` |
    /// | `BodyTooLarge` | `Network error: the response from {url} is larger than the limit of {limit} bytes` |
    /// | `Other` | `Network error: {detail} ({url})` |
    ///
    /// ```
    /// use std::time::Duration;
    /// use ampere_core::action::{TransportError, TransportErrorKind};
    ///
    /// let e = TransportError::new(TransportErrorKind::Refused, "tcp connect error");
    /// assert_eq!(
    ///     e.message("http://127.0.0.1:9/actions", Duration::from_secs(30), 1024),
    ///     "Network error: connection refused (http://127.0.0.1:9/actions)"
    /// );
    /// ```
    pub fn message(&self, url: &str, timeout: Duration, limit: u64) -> String {
        let detail = self.detail.trim();
        match self.kind {
            TransportErrorKind::Refused => format!("Network error: connection refused ({url})"),
            TransportErrorKind::Dns => format!("Network error: cannot resolve the host of {url}"),
            TransportErrorKind::Tls => format!("Network error: TLS failure with {url}: {detail}"),
            TransportErrorKind::Timeout => format!(
                "Request timed out: no complete answer from {url} within {}",
                seconds(timeout)
            ),
            TransportErrorKind::InvalidUrl => {
                format!("Network error: invalid URL {url}: {detail}")
            }
            TransportErrorKind::BodyTooLarge => format!(
                "Network error: the response from {url} is larger than the limit of {limit} bytes"
            ),
            TransportErrorKind::Other => format!("Network error: {detail} ({url})"),
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.detail)
    }
}

impl std::error::Error for TransportError {}

/// `30s`, `1.5s`: seconds without a fraction when whole.
fn seconds(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}
