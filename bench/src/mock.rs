//! The benchmark's Zamp mock (benchmark only): a keep-alive HTTP/1.1 server on tokio that
//! holds thousands of connections, run as a separate process (`ampere-bench serve-mock MS`)
//! so that its CPU is not counted as the client's.
//!
//! - `POST /actions` → `{"id": "act_<created ns>_<seq>", "status": "RUNNING"}`; the id
//!   carries its creation time, so no state is shared between connections.
//! - `GET /actions/{id}` → `{"id", "status": "RUNNING"}` until `MS` ms after the create,
//!   then `{"id", "status": "COMPLETED", "result": {"ok": true}}`.
//! - `GET /stats` → `{"requests": N, "cpu_ms": CPU}` (not counted itself).
//!
//! [`bench`] measures it alone first: its rate under a raw keep-alive load generator.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::Ctx;

struct State {
    start: Instant,
    action: Duration,
    seq: AtomicU64,
    requests: AtomicU64,
    connections: AtomicU64,
}

/// `ampere-bench serve-mock [ACTION_MS]`: serves until killed; prints `PORT n` first.
pub fn serve_main() -> ExitCode {
    crate::stats::raise_nofile();
    let ms: u64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let state = Arc::new(State {
        start: Instant::now(),
        action: Duration::from_millis(ms),
        seq: AtomicU64::new(0),
        requests: AtomicU64::new(0),
        connections: AtomicU64::new(0),
    });
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mock: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = rt.block_on(async move {
        // A deep accept queue: 5,000 clients connect at once (the kernel caps it at
        // net.core.somaxconn); a shallow one drops SYNs, which retry only after 1 s.
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let listener: TcpListener = socket.listen(8192)?;
        println!("PORT {}", listener.local_addr()?.port());
        std::io::stdout().flush()?;
        loop {
            // An accept error (EMFILE under a flood) is not fatal: try again shortly.
            let Ok((sock, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            };
            let _ = sock.set_nodelay(true);
            state.connections.fetch_add(1, Ordering::Relaxed);
            let state = state.clone();
            tokio::spawn(async move {
                let _ = connection(sock, state).await;
            });
        }
        #[allow(unreachable_code)]
        Ok::<(), std::io::Error>(())
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mock: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Splits one complete request off the front of `buf`: (method, path, total length).
fn parse_request(buf: &[u8]) -> Option<(&[u8], &[u8], usize)> {
    let head_end = memchr::memmem::find(buf, b"\r\n\r\n")?;
    let head = &buf[..head_end];
    let mut lines = head.split(|&b| b == b'\n');
    let first = lines.next()?;
    let mut parts = first.split(|&b| b == b' ');
    let method = parts.next()?;
    let path = parts.next()?;
    let mut len = 0usize;
    for line in lines {
        if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            len = std::str::from_utf8(&line[15..]).ok()?.trim().parse().ok()?;
        }
    }
    let total = head_end + 4 + len;
    (buf.len() >= total).then_some((method, path, total))
}

fn respond(out: &mut Vec<u8>, status: &str, body: &str) {
    let _ = write!(
        out,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
}

fn handle(state: &State, method: &[u8], path: &[u8], out: &mut Vec<u8>) {
    if method == b"GET" && path == b"/stats" {
        let cpu = crate::stats::cpu_self().as_secs_f64() * 1e3;
        let n = state.requests.load(Ordering::Relaxed);
        let c = state.connections.load(Ordering::Relaxed);
        respond(
            out,
            "200 OK",
            &format!(r#"{{"requests":{n},"cpu_ms":{cpu:.1},"connections":{c}}}"#),
        );
        return;
    }
    state.requests.fetch_add(1, Ordering::Relaxed);
    let now = state.start.elapsed();
    if method == b"POST" && path == b"/actions" {
        let seq = state.seq.fetch_add(1, Ordering::Relaxed);
        let id = format!("act_{}_{seq}", now.as_nanos());
        respond(
            out,
            "200 OK",
            &format!(r#"{{"id":"{id}","status":"RUNNING"}}"#),
        );
    } else if let (b"GET", Some(id)) = (method, path.strip_prefix(b"/actions/")) {
        let id = String::from_utf8_lossy(id);
        let created = id
            .strip_prefix("act_")
            .and_then(|s| s.split('_').next())
            .and_then(|s| s.parse::<u64>().ok());
        match created {
            Some(ns) if now >= Duration::from_nanos(ns) + state.action => respond(
                out,
                "200 OK",
                &format!(r#"{{"id":"{id}","status":"COMPLETED","result":{{"ok":true}}}}"#),
            ),
            Some(_) => respond(
                out,
                "200 OK",
                &format!(r#"{{"id":"{id}","status":"RUNNING"}}"#),
            ),
            None => respond(out, "404 Not Found", r#"{"message":"no such action"}"#),
        }
    } else {
        respond(out, "404 Not Found", r#"{"message":"not found"}"#);
    }
}

async fn connection(mut sock: TcpStream, state: Arc<State>) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut used = 0;
        while let Some((method, path, total)) = parse_request(&buf[used..]) {
            handle(&state, method, path, &mut out);
            used += total;
        }
        buf.drain(..used);
        if !out.is_empty() {
            sock.write_all(&out).await?;
            out.clear();
        }
    }
}

/// A running mock server process (killed when dropped).
pub struct Server {
    child: Child,
    /// Its base URL.
    pub base_url: String,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Server {
    /// Starts `ampere-bench serve-mock action_ms`.
    pub fn start(ctx: &Ctx, action_ms: u64) -> Result<Server, String> {
        let mut child = Command::new(&ctx.exe)
            .args(["serve-mock", &action_ms.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("mock: {e}"))?;
        let mut line = String::new();
        let out = child.stdout.take().ok_or("mock: no stdout")?;
        BufReader::new(out)
            .read_line(&mut line)
            .map_err(|e| format!("mock: {e}"))?;
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("mock said {line:?}"))?;
        Ok(Server {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            port,
        })
    }

    /// (requests answered so far, the mock's CPU ms so far, connections accepted so far,
    /// the stats requests' own included).
    pub fn stats(&self) -> Result<(u64, f64, u64), String> {
        let mut s =
            std::net::TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        s.write_all(b"GET /stats HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .map_err(|e| e.to_string())?;
        let mut text = String::new();
        let mut buf = [0u8; 4096];
        while !text.ends_with('}') {
            let n = s.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        let body = text.split("\r\n\r\n").nth(1).ok_or("stats: no body")?;
        let v: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
        Ok((
            v["requests"].as_u64().unwrap_or(0),
            v["cpu_ms"].as_f64().unwrap_or(0.0),
            v["connections"].as_u64().unwrap_or(0),
        ))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Measures the mock alone: `conns` keep-alive connections sending polls back to back
/// for `secs`; prints and returns the best rate (requests/s).
pub fn bench(ctx: &Ctx) -> Result<f64, String> {
    println!("\n## 5a. the Zamp mock alone (its own process; raw keep-alive load generator on the same 2 cores)");
    println!(
        "| connections | requests/s | mock CPU µs/request | ⇒ mock capacity per core, requests/s |"
    );
    println!("|---|---|---|---|");
    let server = Server::start(ctx, 300)?;
    let mut best = 0.0f64;
    for conns in [64usize, 1000, 5000] {
        let (r0, c0, _) = server.stats()?;
        let (done, wall) = ctx
            .tokio
            .block_on(load(server.port, conns, Duration::from_secs(2)))?;
        let (r1, c1, _) = server.stats()?;
        let rate = done as f64 / wall;
        let cpu_us = (c1 - c0) * 1e3 / (r1 - r0).max(1) as f64;
        println!(
            "| {conns} | {rate:.0} | {cpu_us:.1} | {:.0} |",
            1e6 / cpu_us
        );
        best = best.max(rate);
    }
    Ok(best)
}

/// `conns` connections, all connected before the clock starts, polling for `secs`:
/// (requests answered, seconds measured).
async fn load(port: u16, conns: usize, secs: Duration) -> Result<(u64, f64), String> {
    let barrier = Arc::new(tokio::sync::Barrier::new(conns + 1));
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let connected = TcpStream::connect(("127.0.0.1", port)).await;
            barrier.wait().await;
            let mut s = connected?;
            s.set_nodelay(true)?;
            let deadline = Instant::now() + secs;
            let req = b"GET /actions/act_0_0 HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer t\r\n\r\n";
            let mut buf = Vec::with_capacity(1024);
            let mut chunk = [0u8; 4096];
            let mut n = 0u64;
            while Instant::now() < deadline {
                s.write_all(req).await?;
                loop {
                    if let Some((_, total)) = response_bounds(&buf) {
                        buf.drain(..total);
                        break;
                    }
                    let got = s.read(&mut chunk).await?;
                    if got == 0 {
                        return Err(std::io::Error::other("mock closed"));
                    }
                    buf.extend_from_slice(&chunk[..got]);
                }
                n += 1;
            }
            Ok::<u64, std::io::Error>(n)
        }));
    }
    barrier.wait().await;
    let start = Instant::now();
    let mut total = 0;
    for t in tasks {
        total += t
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("load: {e}"))?;
    }
    Ok((total, start.elapsed().as_secs_f64()))
}

/// Where the body of the complete response at the front of `buf` starts and the response
/// ends, if there is one.
pub fn response_bounds(buf: &[u8]) -> Option<(usize, usize)> {
    let head_end = memchr::memmem::find(buf, b"\r\n\r\n")?;
    let head = &buf[..head_end];
    let mut len = 0;
    for line in head.split(|&b| b == b'\n') {
        if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            len = std::str::from_utf8(&line[15..]).ok()?.trim().parse().ok()?;
        }
    }
    let body = head_end + 4;
    (buf.len() >= body + len).then_some((body, body + len))
}
