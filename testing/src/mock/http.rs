//! A small HTTP/1.1 server for the mock: one thread per connection, keep-alive, bodies by
//! `Content-Length`. (tiny_http's shared task pool could leave a new connection queued
//! behind idle kept-alive ones during a burst, until the client timed out.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// One parsed request.
#[derive(Debug)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target (path and query).
    pub path: String,
    /// Header names (lowercased) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body (empty when none).
    pub body: Vec<u8>,
}

/// One response.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// `Content-Type` value.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
    /// More headers (e.g. `Location`).
    pub headers: Vec<(String, String)>,
}

/// Largest request head or body accepted (the mock's requests are small).
const MAX_REQUEST: usize = 16 * 1024 * 1024;
/// Stack of a connection thread: small, so that thousands of concurrent connections (one
/// test with 1,000 actions in flight) cost little memory.
const CONN_STACK: usize = 256 * 1024;
/// How often blocked reads wake to check for shutdown.
const POLL: Duration = Duration::from_millis(100);

/// A running server; stops accepting and joins its accept thread on drop. Connection
/// threads end when their client closes, or within [`POLL`] of shutdown.
pub struct Server {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    shutdown: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `127.0.0.1:port` (0 = any) and serves every request with `handler`.
    pub fn start<H>(port: u16, handler: H) -> std::io::Result<Server>
    where
        H: Fn(Request) -> Response + Send + Sync + 'static,
    {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shutdown = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let stop = Arc::clone(&shutdown);
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        let acceptor = std::thread::Builder::new()
            .name("zamp-mock-accept".into())
            .spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            counter.fetch_add(1, Ordering::SeqCst);
                            let handler = Arc::clone(&handler);
                            let stop = Arc::clone(&stop);
                            let _ = std::thread::Builder::new()
                                .name("zamp-mock-conn".into())
                                .stack_size(CONN_STACK)
                                .spawn(move || serve(stream, &*handler, &stop));
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })?;
        Ok(Server {
            addr,
            accepted,
            shutdown,
            acceptor: Some(acceptor),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many connections were accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Serves one connection until the client closes it, asks to close, or the server stops.
fn serve(stream: TcpStream, handler: &(dyn Fn(Request) -> Response + Sync), stop: &AtomicBool) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(POLL));
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let Some((request, keep_alive)) = read_request(&mut reader, stop) else {
            return;
        };
        let response = handler(request);
        let extra: String = response
            .headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        let head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: {}\r\n{extra}\r\n",
            response.status,
            reason(response.status),
            response.content_type,
            response.body.len(),
            if keep_alive { "keep-alive" } else { "close" },
        );
        if writer.write_all(head.as_bytes()).is_err()
            || writer.write_all(&response.body).is_err()
            || writer.flush().is_err()
            || !keep_alive
        {
            return;
        }
    }
}

/// Reads one line, retrying read timeouts until data comes or the server stops.
fn read_line(reader: &mut BufReader<TcpStream>, stop: &AtomicBool, line: &mut Vec<u8>) -> bool {
    loop {
        match reader.read_until(b'\n', line) {
            Ok(0) => return false,
            Ok(_) if line.ends_with(b"\n") => return line.len() <= MAX_REQUEST,
            Ok(_) => return false,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) =>
            {
                if stop.load(Ordering::SeqCst) || line.len() > MAX_REQUEST {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>, stop: &AtomicBool) -> Option<(Request, bool)> {
    let mut line = Vec::new();
    // Skip stray empty lines between requests.
    loop {
        line.clear();
        if !read_line(reader, stop, &mut line) {
            return None;
        }
        if !line.trim_ascii().is_empty() {
            break;
        }
    }
    let text = String::from_utf8_lossy(&line);
    let mut parts = text.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let version = parts.next().unwrap_or("HTTP/1.0").to_string();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if !read_line(reader, stop, &mut line) {
            return None;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            break;
        }
        if let Some((name, value)) = text.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if length > MAX_REQUEST {
        return None;
    }
    let keep_alive = match header("connection").map(str::to_ascii_lowercase) {
        Some(v) if v.contains("close") => false,
        Some(v) if v.contains("keep-alive") => true,
        _ => version == "HTTP/1.1",
    };
    let mut body = vec![0u8; length];
    let mut filled = 0;
    while filled < length {
        match reader.read(&mut body[filled..]) {
            Ok(0) => return None,
            Ok(n) => filled += n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) =>
            {
                if stop.load(Ordering::SeqCst) {
                    return None;
                }
            }
            Err(_) => return None,
        }
    }
    Some((
        Request {
            method,
            path,
            headers,
            body,
        },
        keep_alive,
    ))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
