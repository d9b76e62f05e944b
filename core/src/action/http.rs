//! The HTTP requests the machine asks for and the answers it is fed.

use std::fmt;
use std::time::Duration;

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
/// total request timeout, then feeds back either
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
    /// Headers to send, in order (`Authorization`, then `Content-Type` when there is a body).
    pub headers: Vec<(String, String)>,
    /// The JSON body, if any.
    pub body: Option<Vec<u8>>,
    /// The total timeout of this request (30 s; longer for an inline create).
    pub timeout: Duration,
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
            .finish()
    }
}

/// An HTTP answer, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The response headers (not used by the protocol today; kept for completeness).
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

/// A request that got no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// Connecting, sending or receiving failed; becomes `Network error: {text}`.
    Network(String),
    /// The request's `timeout` elapsed; becomes `Request timed out: {text}`.
    Timeout(String),
}
