//! Item 5's floor: the cheapest client that follows core's schedule, with no SDK.
//!
//! Each in-flight slot is one tokio task that owns one keep-alive connection (opened on its
//! first request, as ampere's pool opens them), writes a fixed request, splits the answer
//! by `content-length` and looks for `"COMPLETED"` in the body. The waits are core's (the
//! first `POLL_INITIAL` after the create's answer, then `×POLL_COEFFICIENT` after each
//! poll's answer), slept with `tokio::time::sleep`, as every runtime's driver does. What
//! it does not do (no JSON parse, no headers beyond the needed, no error taxonomy, no
//! pool shared between tasks, no timeouts) is what no SDK can skip; so its fraction of the
//! ideal rate is what the machine and the mock allow at that concurrency.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ampere_core::action::{POLL_COEFFICIENT, POLL_INITIAL};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::mock::response_bounds;
use crate::Ctx;

/// Runs `n` actions with `inflight` at once: each action's latency, seconds.
pub fn run(ctx: &Ctx, port: u16, n: usize, inflight: usize) -> Result<Vec<f64>, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..inflight)
        .map(|_| {
            let next = next.clone();
            ctx.tokio.spawn(async move {
                let mut conn = Conn { port, stream: None };
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return Ok::<_, std::io::Error>(lat);
                    }
                    let t = Instant::now();
                    conn.action(i).await?;
                    lat.push(t.elapsed().as_secs_f64());
                }
            })
        })
        .collect();
    let mut all = Vec::with_capacity(n);
    for w in workers {
        let lat = ctx.tokio.block_on(w).map_err(|e| e.to_string())?;
        all.extend(lat.map_err(|e| format!("floor client: {e}"))?);
    }
    Ok(all)
}

struct Conn {
    port: u16,
    stream: Option<TcpStream>,
}

impl Conn {
    /// Create, then poll on core's schedule until the mock says `COMPLETED`.
    async fn action(&mut self, i: usize) -> std::io::Result<()> {
        let params =
            format!(r#"{{"action_name":"bench_action","params":{{"invoice_id":"inv_{i}"}}}}"#);
        let create = format!(
            "POST /actions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer t\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{params}",
            params.len()
        );
        let body = self.exchange(create.as_bytes()).await?;
        let id = id_of(&body).ok_or_else(|| std::io::Error::other("create: no id"))?;
        let poll = format!(
            "GET /actions/{id} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer t\r\n\r\n"
        );
        let mut wait = POLL_INITIAL.as_secs_f64();
        loop {
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
            wait *= POLL_COEFFICIENT;
            let body = self.exchange(poll.as_bytes()).await?;
            if memchr::memmem::find(&body, b"\"COMPLETED\"").is_some() {
                return Ok(());
            }
        }
    }

    /// One request and its answer's body.
    async fn exchange(&mut self, req: &[u8]) -> std::io::Result<Vec<u8>> {
        let stream = match &mut self.stream {
            Some(stream) => stream,
            empty => {
                let stream = TcpStream::connect(("127.0.0.1", self.port)).await?;
                stream.set_nodelay(true)?;
                empty.insert(stream)
            }
        };
        stream.write_all(req).await?;
        let (mut buf, mut chunk) = (Vec::with_capacity(512), [0u8; 4096]);
        loop {
            if let Some((body, end)) = response_bounds(&buf) {
                return Ok(buf[body..end].to_vec());
            }
            let got = stream.read(&mut chunk).await?;
            if got == 0 {
                return Err(std::io::Error::other("mock closed"));
            }
            buf.extend_from_slice(&chunk[..got]);
        }
    }
}

/// The `"id"` of a create answer (the mock's ids hold no quote or escape).
fn id_of(body: &[u8]) -> Option<String> {
    let at = memchr::memmem::find(body, b"\"id\":\"")? + 6;
    let len = memchr::memchr(b'"', &body[at..])?;
    String::from_utf8(body[at..at + len].to_vec()).ok()
}
