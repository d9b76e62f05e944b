//! [`BlockingHttp1`]: core's `http://` requests on blocking std sockets with the codec of
//! [`super::http1`] (kept-alive connections pooled per host).

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use ampere_core::action::{HttpRequest, HttpResponse, TransportError, TransportErrorKind};

use crate::http1::{
    connect_error, io_transport_error, send_again, Failed, Http1Target, ResponseReader,
};
use crate::IdlePool;

fn error(kind: TransportErrorKind, detail: &str) -> TransportError {
    TransportError::new(kind, detail)
}

/// Core's `http://` requests on blocking std sockets with the codec above: kept-alive
/// connections pooled per host (clones share the pool), each request bounded by its total
/// timeout (no write or read on the socket can block past it).
#[derive(Debug, Clone, Default)]
pub struct BlockingHttp1 {
    idle: IdlePool<Conn>,
}

/// A connection and the timeout its socket has for every read and write (`None`: none
/// yet, a fresh socket blocks forever).
#[derive(Debug)]
struct Conn {
    stream: TcpStream,
    armed: Option<Duration>,
}

/// Above twice this much left, a socket's timeout is what is left of the request less
/// this, so the next request on the connection (with more left) keeps it without two
/// `setsockopt` calls; below, it is exactly what is left.
const SLACK: Duration = Duration::from_millis(100);

impl Conn {
    /// A fresh connection (its socket has no timeout yet).
    fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            armed: None,
        }
    }

    /// Makes sure no read or write can block past `deadline`: the socket's timeout is at
    /// most what is left of the request, set again only when it is longer.
    fn arm(&mut self, deadline: Instant) -> Result<(), TransportError> {
        let left = left(deadline)?;
        if self.armed.is_some_and(|armed| armed <= left) {
            return Ok(());
        }
        let timeout = if left > 2 * SLACK { left - SLACK } else { left };
        (self.stream.set_read_timeout(Some(timeout)))
            .and_then(|()| self.stream.set_write_timeout(Some(timeout)))
            .map_err(|e| io_transport_error(&e))?;
        self.armed = Some(timeout);
        Ok(())
    }
}

impl BlockingHttp1 {
    /// Sends `request` to `target` and reads the whole answer.
    pub fn send(
        &self,
        target: &Http1Target<'_>,
        request: &HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let deadline = Instant::now() + request.timeout;
        let bytes = target.encode(request)?;
        loop {
            let reuse = self
                .idle
                .take(target.authority, |c| idle_and_open(&c.stream));
            let (mut conn, reused) = match reuse {
                Some(conn) => (conn, true),
                None => (Conn::new(connect(target, deadline)?), false),
            };
            match round_trip(&mut conn, &bytes, request.max_response_body, deadline) {
                Ok((response, keep)) => {
                    if keep {
                        self.idle.put(target.authority, conn);
                    }
                    return Ok(response);
                }
                Err((failed, _)) if send_again(reused, failed, &request.method) => continue,
                Err((_, e)) => return Err(e),
            }
        }
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

fn connect(target: &Http1Target<'_>, deadline: Instant) -> Result<TcpStream, TransportError> {
    let addrs: Vec<SocketAddr> = match target.host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, target.port)],
        Err(_) => (target.host, target.port)
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
    Err(connect_error(target.host, &last))
}

/// One request and its answer; `Err((true, _))` = the connection failed before any byte
/// of an answer. A read or write that timed out goes on with what is left of the request
/// (the socket's timeout may be shorter, see [`Conn::arm`]) until the deadline.
fn round_trip(
    conn: &mut Conn,
    bytes: &[u8],
    limit: u64,
    deadline: Instant,
) -> Result<(HttpResponse, bool), (Failed, TransportError)> {
    let retry = |e: &io::Error| {
        matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
        )
    };
    let mut sent = 0;
    while sent < bytes.len() {
        conn.arm(deadline).map_err(|e| (Failed::Answering, e))?;
        match conn.stream.write(&bytes[sent..]) {
            Ok(0) => {
                let e = io_transport_error(&io::ErrorKind::WriteZero.into());
                return Err((Failed::Unsent, e));
            }
            Ok(n) => sent += n,
            Err(e) if retry(&e) => {}
            Err(e) => return Err((Failed::Unsent, io_transport_error(&e))),
        }
    }
    let mut reader = ResponseReader::new(limit);
    loop {
        conn.arm(deadline).map_err(|e| (Failed::Answering, e))?;
        let n = match conn.stream.read(reader.spare()) {
            Ok(n) => n,
            Err(e) if retry(&e) => continue,
            Err(e) => return Err((reader.failed(), io_transport_error(&e))),
        };
        if let Some(done) = reader.filled(n)? {
            return Ok(done);
        }
    }
}

#[cfg(test)]
mod tests {
    use ampere_core::action::Method;
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    /// A server on 127.0.0.1 that answers the first request of every connection with a
    /// kept-alive `200 {}` (when `answer`) and then reads on without a word. Returns the
    /// target URL and the count of connections it accepted.
    fn server(answer: bool) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/actions", listener.local_addr().expect("addr"));
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&accepted);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                count.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    let mut answered = !answer;
                    while let Ok(n) = conn.read(&mut buf) {
                        if n == 0 {
                            return;
                        }
                        if !answered && buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                            answered = true;
                            let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
                            let _ = conn.write_all(ok);
                        }
                    }
                });
            }
        });
        (url, accepted)
    }

    fn get(url: &str, timeout: Duration) -> HttpRequest {
        HttpRequest {
            id: ampere_core::action::RequestId::from_raw(1),
            method: Method::Get,
            url: url.to_owned(),
            headers: Vec::new(),
            body: None,
            timeout,
            max_response_body: 1024,
        }
    }

    fn send(client: &BlockingHttp1, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let target = Http1Target::parse(&req.url).expect("http://");
        client.send(&target, req)
    }

    #[test]
    fn a_silent_server_times_out_at_the_deadline() {
        let (url, _) = server(false);
        let started = Instant::now();
        let err = send(
            &BlockingHttp1::default(),
            &get(&url, Duration::from_millis(500)),
        );
        let took = started.elapsed();
        assert_eq!(err.err().map(|e| e.kind), Some(TransportErrorKind::Timeout));
        // The socket's first timeout is 100 ms short of the deadline: the read goes on.
        assert!(
            took >= Duration::from_millis(500),
            "gave up early: {took:?}"
        );
        assert!(took < Duration::from_secs(3), "{took:?}");
    }

    #[test]
    fn a_reused_connection_never_keeps_a_longer_timeout_than_the_request_has() {
        let (url, accepted) = server(true);
        let client = BlockingHttp1::default();
        let first = send(&client, &get(&url, Duration::from_secs(30))).expect("answered");
        assert_eq!(first.body, b"{}");
        // The same connection (armed for ~30 s) carries a request that has 300 ms.
        let started = Instant::now();
        let err = send(&client, &get(&url, Duration::from_millis(300)));
        let took = started.elapsed();
        assert_eq!(err.err().map(|e| e.kind), Some(TransportErrorKind::Timeout));
        assert!(took >= Duration::from_millis(300), "{took:?}");
        assert!(
            took < Duration::from_secs(3),
            "kept the first request's timeout: {took:?}"
        );
        assert_eq!(
            accepted.load(Ordering::SeqCst),
            1,
            "the connection was reused"
        );
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
}
