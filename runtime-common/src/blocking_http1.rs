//! [`BlockingHttp1`]: core's `http://` requests on blocking std sockets with the codec of
//! [`super::http1`] (kept-alive connections pooled per host).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ampere_core::action::{HttpRequest, HttpResponse, Method, TransportError, TransportErrorKind};

use crate::http1::{connect_error, io_transport_error, Http1Target, ResponseReader};

fn error(kind: TransportErrorKind, detail: &str) -> TransportError {
    TransportError::new(kind, detail)
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
        target: &Http1Target<'_>,
        request: &HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let deadline = Instant::now() + request.timeout;
        let bytes = target.encode(request)?;
        loop {
            let (mut conn, reused) = match self.take(target.authority) {
                Some(conn) => (conn, true),
                None => (connect(target, deadline)?, false),
            };
            match round_trip(&mut conn, &bytes, request.max_response_body, deadline) {
                Ok((response, keep)) => {
                    if keep {
                        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
                        match idle.get_mut(target.authority) {
                            Some(list) if list.len() >= IDLE_PER_HOST => {}
                            Some(list) => list.push(conn),
                            None => drop(idle.insert(target.authority.to_owned(), vec![conn])),
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
        loop {
            // The check is a syscall: made after the pool's lock is let go.
            let conn = (self.idle.lock().unwrap_or_else(PoisonError::into_inner))
                .get_mut(authority)?
                .pop()?;
            if idle_and_open(&conn) {
                return Some(conn);
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
    loop {
        conn.set_read_timeout(Some(left(deadline).map_err(|e| (false, e))?))
            .map_err(|e| (false, timed(e)))?;
        let n = match conn.read(reader.spare()) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err((false, timed(e)))
            }
            Err(e) => return Err((reader.is_empty(), timed(e))),
        };
        if let Some(done) = reader.filled(n)? {
            return Ok(done);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
