//! A sans-IO HTTP/1.1 codec for core's action requests over plain `http://`: it writes a
//! request and frames an answer, nothing more. Every policy (headers, timeout, body limit,
//! no redirects, error text) is core's; a runtime moves the bytes and keeps connections.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ampere_core::action::{HttpRequest, HttpResponse, Method, TransportError, TransportErrorKind};

/// Where a plain `http://` URL points: `host:port` to connect to, and the request target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http1Target {
    /// The host (an IP literal without brackets, or a name to resolve).
    pub host: String,
    /// The port (80 when the URL names none).
    pub port: u16,
    /// The `Host` header value (the URL's authority).
    pub authority: String,
    /// The path and query (`/` when empty).
    pub path: String,
}

impl Http1Target {
    /// The target of `url` when it is a plain `http://` URL without user info; `None` for
    /// anything else (https goes through the runtime's TLS client).
    pub fn parse(url: &str) -> Option<Self> {
        let rest = url
            .get(..7)?
            .eq_ignore_ascii_case("http://")
            .then(|| &url[7..])?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let path = path.split('#').next().unwrap_or("");
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => (h, p.parse().ok()?),
            _ => (authority, 80),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        Some(Self {
            host: host.to_owned(),
            port,
            authority: authority.to_owned(),
            path: if path.starts_with('/') {
                path.into()
            } else {
                format!("/{path}")
            },
        })
    }

    /// The request's bytes: its line, `Host`, core's headers (and no other), the body's
    /// `Content-Length`, then the body.
    pub fn encode(&self, request: &HttpRequest) -> Result<Vec<u8>, TransportError> {
        // A line break or NUL in a header would end it early (a value such as a token with
        // a newline must not add headers): refused as a request the client cannot send,
        // as reqwest and ureq refuse it.
        let bad = |t: &str| t.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0));
        if (request.headers.iter()).any(|(n, v)| bad(n) || bad(v) || n.contains(':')) {
            return Err(error(TransportErrorKind::InvalidUrl, "invalid header"));
        }
        let body = request.body.as_deref().unwrap_or_default();
        let mut out = Vec::with_capacity(256 + body.len());
        let method = request.method.as_str();
        out.extend_from_slice(
            format!(
                "{method} {} HTTP/1.1\r\nhost: {}\r\n",
                self.path, self.authority
            )
            .as_bytes(),
        );
        for (name, value) in &request.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        if request.body.is_some() {
            out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        Ok(out)
    }
}

/// How far an answer read so far has come.
#[derive(Debug)]
pub enum Framed {
    /// More bytes are needed (or, at the end of the stream, the answer is cut short).
    Partial,
    /// A whole answer, and whether the connection may carry another request.
    Done(HttpResponse, bool),
}

/// Frames one answer from the bytes of a connection (`Content-Length`, chunked, or up to the
/// end of the stream; interim 1xx answers skipped), enforcing the body limit.
#[derive(Debug)]
pub struct ResponseReader {
    limit: u64,
    head: Option<Head>,
    at: usize,
    body: Vec<u8>,
}

/// An answer's status, headers, framing, and whether the connection stays open.
type Head = (u16, Vec<(String, String)>, Body, bool);

#[derive(Debug, Clone, Copy)]
enum Body {
    Length(usize),
    Chunked,
    ToEnd,
}

/// A socket's error as a transport error (refused, timed out, or other).
pub fn io_transport_error(e: &io::Error) -> TransportError {
    let kind = match e.kind() {
        io::ErrorKind::ConnectionRefused => TransportErrorKind::Refused,
        io::ErrorKind::TimedOut => TransportErrorKind::Timeout,
        _ => TransportErrorKind::Other,
    };
    TransportError::new(kind, e.to_string())
}

/// A failed connect to `host` as a transport error (a host name that does not connect,
/// other than refused, is taken as a resolver failure).
pub fn connect_error(host: &str, e: &io::Error) -> TransportError {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => io_transport_error(e),
        _ if host.parse::<IpAddr>().is_err() => {
            TransportError::new(TransportErrorKind::Dns, e.to_string())
        }
        _ => io_transport_error(e),
    }
}

fn error(kind: TransportErrorKind, detail: &str) -> TransportError {
    TransportError::new(kind, detail)
}

impl ResponseReader {
    /// A reader for an answer of at most `limit` body bytes.
    pub fn new(limit: u64) -> Self {
        Self {
            limit,
            head: None,
            at: 0,
            body: Vec::new(),
        }
    }

    /// [`read`](Self::read) for a driver loop: `Ok(None)` = read more; an end of stream
    /// before a whole answer is an error, `Err((true, _))` when no byte came at all (a
    /// kept-alive connection the peer had closed).
    pub fn next(
        &mut self,
        buf: &[u8],
        eof: bool,
    ) -> Result<Option<(HttpResponse, bool)>, (bool, TransportError)> {
        if eof && buf.is_empty() {
            return Err((
                true,
                error(
                    TransportErrorKind::Other,
                    "connection closed before an answer",
                ),
            ));
        }
        match self.read(buf, eof).map_err(|e| (false, e))? {
            Framed::Done(response, keep) => Ok(Some((response, keep))),
            Framed::Partial if eof => Err((
                false,
                error(
                    TransportErrorKind::Other,
                    "connection closed in the middle of an answer",
                ),
            )),
            Framed::Partial => Ok(None),
        }
    }

    /// Frames what `buf` holds (all bytes received so far; `eof` once the peer closed).
    pub fn read(&mut self, buf: &[u8], eof: bool) -> Result<Framed, TransportError> {
        let too_large = || error(TransportErrorKind::BodyTooLarge, "");
        while self.head.is_none() {
            let Some(end) = find(&buf[self.at..], b"\r\n\r\n") else {
                return Ok(Framed::Partial);
            };
            let head = std::str::from_utf8(&buf[self.at..self.at + end])
                .map_err(|_| error(TransportErrorKind::Other, "invalid response head"))?;
            self.at += end + 4;
            let mut lines = head.split("\r\n");
            let status_line = lines.next().unwrap_or("");
            let status: u16 = (status_line.strip_prefix("HTTP/1."))
                .and_then(|s| s.get(2..5)?.parse().ok())
                .ok_or_else(|| error(TransportErrorKind::Other, "invalid status line"))?;
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
                .collect();
            if (100..200).contains(&status) {
                continue;
            }
            let value = |name: &str| {
                headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.to_ascii_lowercase())
            };
            let keep = status_line.starts_with("HTTP/1.1")
                && value("connection").is_none_or(|c| !c.contains("close"));
            let framing = if status == 204 || status == 304 {
                Body::Length(0)
            } else if value("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
                Body::Chunked
            } else if let Some(len) = value("content-length") {
                let len: u64 = len
                    .parse()
                    .map_err(|_| error(TransportErrorKind::Other, "invalid content-length"))?;
                if len > self.limit {
                    return Err(too_large());
                }
                Body::Length(len as usize)
            } else {
                Body::ToEnd
            };
            let keep = keep && !matches!(framing, Body::ToEnd);
            self.head = Some((status, headers, framing, keep));
        }
        let Some((_, _, framing, _)) = &self.head else {
            return Ok(Framed::Partial);
        };
        let complete = match *framing {
            Body::Length(len) if buf.len() - self.at >= len => {
                self.body.extend_from_slice(&buf[self.at..self.at + len]);
                true
            }
            Body::Length(_) => false,
            Body::ToEnd => {
                if (buf.len() - self.at) as u64 > self.limit {
                    return Err(too_large());
                }
                if eof {
                    self.body.extend_from_slice(&buf[self.at..]);
                }
                eof
            }
            Body::Chunked => loop {
                let rest = &buf[self.at..];
                let Some(line) = find(rest, b"\r\n") else {
                    break false;
                };
                let size = std::str::from_utf8(&rest[..line])
                    .ok()
                    .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
                    .ok_or_else(|| error(TransportErrorKind::Other, "invalid chunk size"))?;
                if self.body.len().saturating_add(size) as u64 > self.limit {
                    return Err(too_large());
                }
                if size == 0 {
                    // The last chunk, then trailers up to an empty line.
                    let trailers = &rest[line..];
                    break find(trailers, b"\r\n\r\n").is_some();
                }
                if rest.len() < line + 2 + size + 2 {
                    break false;
                }
                self.body
                    .extend_from_slice(&rest[line + 2..line + 2 + size]);
                self.at += line + 2 + size + 2;
            },
        };
        if !complete {
            return Ok(Framed::Partial);
        }
        let Some((status, headers, _, keep)) = self.head.take() else {
            return Ok(Framed::Partial);
        };
        let body = std::mem::take(&mut self.body);
        Ok(Framed::Done(
            HttpResponse {
                status,
                headers,
                body,
            },
            keep,
        ))
    }
}

/// Core's `http://` requests on blocking std sockets with the codec above: kept-alive
/// connections pooled per host (clones share the pool), each request bounded by its total
/// timeout (connect, write and every read get what is left of it).
#[derive(Debug, Clone, Default)]
pub struct BlockingHttp1 {
    idle: Arc<Mutex<HashMap<String, Vec<TcpStream>>>>,
}

/// Idle connections kept per host.
const IDLE_PER_HOST: usize = 8192;

impl BlockingHttp1 {
    /// Sends `request` to `target` and reads the whole answer.
    pub fn send(
        &self,
        target: &Http1Target,
        request: &HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let deadline = Instant::now() + request.timeout;
        let bytes = target.encode(request)?;
        loop {
            let (mut conn, reused) = match self.take(&target.authority) {
                Some(conn) => (conn, true),
                None => (connect(target, deadline)?, false),
            };
            match round_trip(&mut conn, &bytes, request.max_response_body, deadline) {
                Ok((response, keep)) => {
                    if keep {
                        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
                        let list = idle.entry(target.authority.clone()).or_default();
                        if list.len() < IDLE_PER_HOST {
                            list.push(conn);
                        }
                    }
                    return Ok(response);
                }
                // A kept-alive connection closed under a request that got nothing back:
                // a GET goes again on a new connection (a POST is never sent twice).
                Err((true, _)) if reused && request.method == Method::Get => continue,
                Err((_, e)) => return Err(e),
            }
        }
    }

    /// An idle connection to `authority` that the peer has not closed.
    fn take(&self, authority: &str) -> Option<TcpStream> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.get_mut(authority)?;
        while let Some(conn) = list.pop() {
            if idle_and_open(&conn) {
                return Some(conn);
            }
        }
        None
    }
}

/// Whether a kept-alive connection can carry a request: nothing to read on it yet.
/// Readable while idle = closed by the peer (or a stray byte): not reusable. One
/// `recv(MSG_PEEK | MSG_DONTWAIT)`, so the socket's blocking mode is never toggled.
fn idle_and_open(conn: &TcpStream) -> bool {
    use std::os::fd::AsRawFd;
    let mut byte = 0u8;
    loop {
        // SAFETY: `byte` is a valid, writable 1-byte buffer for the duration of the call and
        // the descriptor is owned by `conn`, which outlives it.
        let rc = unsafe {
            libc::recv(
                conn.as_raw_fd(),
                std::ptr::addr_of_mut!(byte).cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        if rc >= 0 {
            return false;
        }
        match io::Error::last_os_error().kind() {
            io::ErrorKind::Interrupted => continue,
            kind => return kind == io::ErrorKind::WouldBlock,
        }
    }
}

/// What is left until `deadline`, or a timeout error.
fn left(deadline: Instant) -> Result<Duration, TransportError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(error(TransportErrorKind::Timeout, "request timed out"));
    }
    Ok(left)
}

fn connect(target: &Http1Target, deadline: Instant) -> Result<TcpStream, TransportError> {
    let addrs: Vec<SocketAddr> = match target.host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, target.port)],
        Err(_) => (target.host.as_str(), target.port)
            .to_socket_addrs()
            .map_err(|e| TransportError::new(TransportErrorKind::Dns, e.to_string()))?
            .collect(),
    };
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, left(deadline)?) {
            Ok(conn) => {
                let _ = conn.set_nodelay(true);
                return Ok(conn);
            }
            Err(e) => last = e,
        }
    }
    Err(connect_error(&target.host, &last))
}

/// One request and its answer; `Err((true, _))` = the connection failed before any byte
/// of an answer.
fn round_trip(
    conn: &mut TcpStream,
    bytes: &[u8],
    limit: u64,
    deadline: Instant,
) -> Result<(HttpResponse, bool), (bool, TransportError)> {
    let timed = |e: io::Error| match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            error(TransportErrorKind::Timeout, "request timed out")
        }
        _ => io_transport_error(&e),
    };
    conn.set_write_timeout(Some(left(deadline).map_err(|e| (false, e))?))
        .map_err(|e| (false, timed(e)))?;
    conn.write_all(bytes).map_err(|e| (true, timed(e)))?;
    let mut reader = ResponseReader::new(limit);
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 16 * 1024];
    loop {
        conn.set_read_timeout(Some(left(deadline).map_err(|e| (false, e))?))
            .map_err(|e| (false, timed(e)))?;
        let n = match conn.read(&mut chunk) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err((false, timed(e)))
            }
            Err(e) => return Err((buf.is_empty(), timed(e))),
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(done) = reader.next(&buf, n == 0)? {
            return Ok(done);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(bytes: &[u8], limit: u64) -> Result<Framed, TransportError> {
        ResponseReader::new(limit).read(bytes, true)
    }

    #[test]
    fn idle_check_peeks_without_changing_the_mode() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (mut server, _) = listener.accept().expect("accept");
        assert!(idle_and_open(&client), "nothing sent yet: reusable");
        assert!(idle_and_open(&client), "the check consumes nothing");
        server.write_all(b"x").expect("write");
        std::thread::sleep(Duration::from_millis(50));
        assert!(!idle_and_open(&client), "a stray byte: not reusable");
        let (mut first, mut client) = ([0u8; 1], client);
        client
            .read_exact(&mut first)
            .expect("the peeked byte is still there");
        assert_eq!(&first, b"x");
        drop(server);
        std::thread::sleep(Duration::from_millis(50));
        assert!(!idle_and_open(&client), "closed by the peer: not reusable");
        use std::os::fd::AsRawFd;
        // SAFETY: F_GETFL on a descriptor `client` owns.
        let flags = unsafe { libc::fcntl(client.as_raw_fd(), libc::F_GETFL) };
        assert_eq!(flags & libc::O_NONBLOCK, 0, "the socket stays blocking");
    }

    #[test]
    fn urls() {
        let t = Http1Target::parse("http://127.0.0.1:8080/actions/a%20b?x=1#f").expect("http");
        assert_eq!(
            (
                t.host.as_str(),
                t.port,
                t.authority.as_str(),
                t.path.as_str()
            ),
            ("127.0.0.1", 8080, "127.0.0.1:8080", "/actions/a%20b?x=1")
        );
        let t = Http1Target::parse("HTTP://[::1]/").expect("v6");
        assert_eq!((t.host.as_str(), t.port), ("::1", 80));
        assert_eq!(
            Http1Target::parse("http://example.com").expect("bare").path,
            "/"
        );
        assert!(Http1Target::parse("https://example.com/").is_none());
        assert!(Http1Target::parse("http://u:p@example.com/").is_none());
        assert!(Http1Target::parse("http://example.com:x/").is_none());
    }

    #[test]
    fn no_header_injection() {
        let t = Http1Target::parse("http://h/actions").expect("http");
        let mut req = HttpRequest {
            id: ampere_core::action::RequestId::from_raw(1),
            method: Method::Post,
            url: "http://h/actions".into(),
            headers: vec![("authorization".into(), "Bearer t".into())],
            body: Some(b"{}".to_vec()),
            timeout: Duration::from_secs(1),
            max_response_body: 10,
        };
        let bytes = t.encode(&req).expect("encodes");
        assert_eq!(bytes, b"POST /actions HTTP/1.1\r\nhost: h\r\nauthorization: Bearer t\r\ncontent-length: 2\r\n\r\n{}");
        req.headers[0].1 = "Bearer t\r\nx-evil: 1".into();
        assert_eq!(
            t.encode(&req).err().map(|e| e.kind),
            Some(TransportErrorKind::InvalidUrl)
        );
    }

    #[test]
    fn framings() {
        let r = frame(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
            10,
        );
        assert!(matches!(r, Ok(Framed::Done(ref r, true)) if r.status == 200 && r.body == b"hi"));
        let r = frame(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n1;x\r\n!\r\n0\r\n\r\n", 10);
        assert!(matches!(r, Ok(Framed::Done(ref r, true)) if r.body == b"hi!"));
        let r = frame(
            b"HTTP/1.1 307 Moved\r\nLocation: /x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            10,
        );
        assert!(
            matches!(r, Ok(Framed::Done(ref r, false)) if r.status == 307 && r.headers[0].1 == "/x")
        );
        let r = frame(b"HTTP/1.0 200 OK\r\n\r\nto the end", 10);
        assert!(matches!(r, Ok(Framed::Done(ref r, false)) if r.body == b"to the end"));
        let mut reader = ResponseReader::new(10);
        assert!(matches!(
            reader.read(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab", false),
            Ok(Framed::Partial)
        ));
        assert!(matches!(
            reader.read(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", false),
            Ok(Framed::Done(..))
        ));
    }

    #[test]
    fn limits() {
        let kind = |r: Result<Framed, TransportError>| r.err().map(|e| e.kind);
        assert_eq!(
            kind(frame(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", 10)),
            Some(TransportErrorKind::BodyTooLarge)
        );
        assert_eq!(
            kind(frame(
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
                10
            )),
            None
        );
        assert_eq!(
            kind(frame(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n",
                10
            )),
            Some(TransportErrorKind::BodyTooLarge)
        );
        assert_eq!(
            kind(frame(b"HTTP/1.0 200 OK\r\n\r\n0123456789a", 10)),
            Some(TransportErrorKind::BodyTooLarge)
        );
        assert_eq!(
            kind(frame(b"garbage\r\n\r\n", 10)),
            Some(TransportErrorKind::Other)
        );
        let huge = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n";
        assert_eq!(
            kind(frame(huge, 10)),
            Some(TransportErrorKind::BodyTooLarge)
        );
    }
}
