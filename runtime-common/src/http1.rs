//! A sans-IO HTTP/1.1 codec for core's action requests over plain `http://`: it writes a
//! request and frames an answer, nothing more. Every policy (headers, timeout, body limit,
//! no redirects, error text) is core's; a runtime moves the bytes and keeps connections.

use std::borrow::Cow;
use std::io::{self, Write};
use std::net::IpAddr;

use ampere_core::action::{HttpRequest, HttpResponse, Method, TransportError, TransportErrorKind};

/// Where a plain `http://` URL points: `host:port` to connect to, and the request target
/// (borrowed from the URL: nothing is allocated per request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http1Target<'a> {
    /// The host (an IP literal without brackets, or a name to resolve).
    pub host: &'a str,
    /// The port (80 when the URL names none).
    pub port: u16,
    /// The `Host` header value (the URL's authority).
    pub authority: &'a str,
    /// The path and query (`/` when empty).
    pub path: Cow<'a, str>,
}

impl<'a> Http1Target<'a> {
    /// The target of `url` when it is a plain `http://` URL without user info; `None` for
    /// anything else (https goes through the runtime's TLS client).
    pub fn parse(url: &'a str) -> Option<Self> {
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
            host,
            port,
            authority,
            path: if path.starts_with('/') {
                Cow::Borrowed(path)
            } else {
                Cow::Owned(format!("/{path}"))
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
        let method = request.method.as_str();
        let headers: usize = (request.headers.iter())
            .map(|(n, v)| n.len() + v.len() + 4)
            .sum();
        // One allocation of the right size (a reallocation takes the allocator's lock).
        let len = method.len() + self.path.len() + self.authority.len() + headers + body.len();
        let mut out = Vec::with_capacity(len + 64);
        for part in [
            method,
            " ",
            &self.path,
            " HTTP/1.1\r\nhost: ",
            self.authority,
            "\r\n",
        ] {
            out.extend_from_slice(part.as_bytes());
        }
        for (name, value) in &request.headers {
            for part in [name, ": ", value, "\r\n"] {
                out.extend_from_slice(part.as_bytes());
            }
        }
        if request.body.is_some() {
            let _ = write!(out, "content-length: {}\r\n", body.len());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        Ok(out)
    }
}

/// Where an exchange on one connection failed: what decides whether the request may go
/// again on a new connection ([`send_again`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// The request was not wholly written: the server cannot have acted on it.
    Unsent,
    /// Written, and the connection ended before a byte of an answer.
    Unanswered,
    /// Later: part of an answer, a bad answer, the connection's own set-up.
    Answering,
}

/// Whether a request whose exchange failed (`failed`) goes again on a new connection. Only a
/// kept-alive connection (`reused`) can have been closed by the peer while it sat idle; on
/// one, a request not wholly written goes again, and one written but unanswered only if it
/// is a GET (a POST is never sent twice).
pub fn send_again(reused: bool, failed: Failed, method: &Method) -> bool {
    reused
        && match failed {
            Failed::Unsent => true,
            Failed::Unanswered => *method == Method::Get,
            Failed::Answering => false,
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
    /// The bytes of the connection ([`spare`](Self::spare) / [`filled`](Self::filled)):
    /// `buf[..filled]` came in, the rest is room for the next read.
    buf: Vec<u8>,
    filled: usize,
}

/// The first read's room: most answers (an action's state) fit in one read, and a buffer
/// this small stays in the allocator's per-thread cache.
const FIRST_READ: usize = 1024;
/// The least room a read gets once the first was not enough (then the buffer doubles).
const MORE_READ: usize = 16 * 1024;
/// Below this much room the buffer grows before the next read.
const MIN_ROOM: usize = 512;

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
            buf: Vec::new(),
            filled: 0,
        }
    }

    /// Room for the next read from the connection (the reader keeps the bytes; pass what
    /// was read to [`filled`](Self::filled)).
    pub fn spare(&mut self) -> &mut [u8] {
        if self.buf.len() - self.filled < MIN_ROOM {
            let room = if self.buf.is_empty() {
                FIRST_READ
            } else {
                MORE_READ.max(self.filled)
            };
            self.buf.resize(self.filled + room, 0);
        }
        &mut self.buf[self.filled..]
    }

    /// [`next`](Self::next) after `n` more bytes came into [`spare`](Self::spare)
    /// (`n == 0`: the peer closed the connection).
    pub fn filled(
        &mut self,
        n: usize,
    ) -> Result<Option<(HttpResponse, bool)>, (Failed, TransportError)> {
        self.filled = (self.filled + n).min(self.buf.len());
        let buf = std::mem::take(&mut self.buf);
        let framed = self.next(&buf[..self.filled], n == 0);
        self.buf = buf;
        framed
    }

    /// Whether no byte of an answer came yet (through [`filled`](Self::filled)).
    pub fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// How a read error now leaves the exchange: [`Failed::Unanswered`] if no byte of an
    /// answer came yet, else [`Failed::Answering`].
    pub fn failed(&self) -> Failed {
        if self.is_empty() {
            Failed::Unanswered
        } else {
            Failed::Answering
        }
    }

    /// [`read`](Self::read) for a driver loop: `Ok(None)` = read more; an end of stream
    /// before a whole answer is an error, [`Failed::Unanswered`] when no byte came at all (a
    /// kept-alive connection the peer had closed).
    pub fn next(
        &mut self,
        buf: &[u8],
        eof: bool,
    ) -> Result<Option<(HttpResponse, bool)>, (Failed, TransportError)> {
        if eof && buf.is_empty() {
            return Err((
                Failed::Unanswered,
                error(
                    TransportErrorKind::Other,
                    "connection closed before an answer",
                ),
            ));
        }
        match self.read(buf, eof).map_err(|e| (Failed::Answering, e))? {
            Framed::Done(response, keep) => Ok(Some((response, keep))),
            Framed::Partial if eof => Err((
                Failed::Answering,
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

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ampere_core::action::Method;

    use super::*;

    /// Feeds `bytes` through `spare` / `filled`, at most `step` bytes per read (as a socket
    /// hands them), then the end of the stream.
    fn through_reads(
        bytes: &[u8],
        step: usize,
        limit: u64,
    ) -> Result<Option<(HttpResponse, bool)>, (Failed, TransportError)> {
        let mut reader = ResponseReader::new(limit);
        let mut rest = bytes;
        loop {
            let room = reader.spare();
            assert!(
                room.len() >= MIN_ROOM.min(FIRST_READ),
                "every read gets room"
            );
            let n = room.len().min(step).min(rest.len());
            room[..n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
            if let Some(done) = reader.filled(n)? {
                return Ok(Some(done));
            }
            if n == 0 {
                return Ok(None);
            }
        }
    }

    #[test]
    fn reads_into_its_own_buffer_whatever_the_read_sizes() {
        let body: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let mut answer =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
        answer.extend_from_slice(&body);
        for step in [1, 7, 100, 1024, 5000, 1 << 20] {
            let (response, keep) = through_reads(&answer, step, 1 << 20)
                .expect("framed")
                .expect("whole");
            assert!(keep);
            assert_eq!(response.body, body, "read {step} bytes at a time");
        }
        // The end of the stream before any byte: a kept-alive connection the peer closed.
        assert!(matches!(
            through_reads(b"", 10, 10),
            Err((Failed::Unanswered, _))
        ));
        // Cut short after some bytes: an error, not a retry.
        assert!(matches!(
            through_reads(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", 3, 10),
            Err((Failed::Answering, e)) if e.detail.contains("middle")
        ));
        // The limit holds through the reader's own buffer as well.
        assert!(matches!(
            through_reads(&answer, 4096, 1000),
            Err((Failed::Answering, e)) if e.kind == TransportErrorKind::BodyTooLarge
        ));
    }

    #[test]
    fn only_a_reused_connection_sends_again_and_a_post_only_if_unsent() {
        use Failed::{Answering, Unanswered, Unsent};
        for (reused, failed, method, again) in [
            (true, Unsent, Method::Post, true),
            (true, Unsent, Method::Get, true),
            (true, Unanswered, Method::Get, true),
            (true, Unanswered, Method::Post, false),
            (true, Answering, Method::Get, false),
            (false, Unsent, Method::Get, false),
            (false, Unanswered, Method::Get, false),
        ] {
            let got = send_again(reused, failed, &method);
            assert_eq!(got, again, "{reused} {failed:?} {method:?}");
        }
    }

    fn frame(bytes: &[u8], limit: u64) -> Result<Framed, TransportError> {
        ResponseReader::new(limit).read(bytes, true)
    }

    #[test]
    fn urls() {
        let t = Http1Target::parse("http://127.0.0.1:8080/actions/a%20b?x=1#f").expect("http");
        assert_eq!(
            (t.host, t.port, t.authority, &*t.path),
            ("127.0.0.1", 8080, "127.0.0.1:8080", "/actions/a%20b?x=1")
        );
        let t = Http1Target::parse("HTTP://[::1]/").expect("v6");
        assert_eq!((t.host, t.port), ("::1", 80));
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
