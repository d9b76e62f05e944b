//! Helpers shared by the `async_std_*` test files (the async-std / smol adapter).
#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ampere_async_std::{AgentError, Amp, AmpBuilder, AmpOptions, Execution, Message};
use futures_lite::StreamExt;

/// The stand-in CLI.
pub const STUB: &str = env!("CARGO_BIN_EXE_amp-stub");

/// Generous bound for anything that should be quick, on a loaded 2-core machine.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A client on the stub whose private folders go under `root`.
pub fn builder(root: &Path) -> AmpBuilder {
    Amp::builder().cli_path(STUB).temp_dir(root)
}

/// A scratch folder for private folders (checked empty at the end of a test).
pub fn scratch() -> tempfile::TempDir {
    match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    }
}

/// Options that make the plan write a settings overlay, so the run has a private folder.
pub fn options_with_private_dir() -> AmpOptions {
    AmpOptions {
        system_prompt: Some("be terse".into()),
        ..AmpOptions::default()
    }
}

/// A prompt selecting a stub scenario.
pub fn scenario(spec: &str, text: &str) -> String {
    format!("[[scenario:{spec}]] {text}")
}

/// Everything an execution yielded, split into messages (in order) and errors (with the
/// index of the message they followed).
#[derive(Debug, Default)]
pub struct Collected {
    pub messages: Vec<Message>,
    pub errors: Vec<(usize, AgentError)>,
}

impl Collected {
    /// The error after every message, if any (it must be the last item).
    pub fn final_error(&self) -> Option<&AgentError> {
        self.errors
            .last()
            .filter(|(at, e)| *at == self.messages.len() && !matches!(e, AgentError::Decode(_)))
            .map(|(_, e)| e)
    }

    pub fn decode_errors(&self) -> usize {
        self.errors
            .iter()
            .filter(|(_, e)| matches!(e, AgentError::Decode(_)))
            .count()
    }

    pub fn result_text(&self) -> Option<String> {
        self.messages.iter().find_map(|m| match m {
            Message::Result(r) => Some(r.result.clone()),
            _ => None,
        })
    }

    pub fn types(&self) -> Vec<String> {
        self.messages
            .iter()
            .map(|m| m.message_type().to_string())
            .collect()
    }
}

/// Reads an execution to its end (bounded by [`PATIENCE`]).
pub async fn collect(mut execution: Execution) -> Collected {
    let mut out = Collected::default();
    let deadline = Instant::now() + PATIENCE;
    loop {
        // Through the `Stream` impl (the other tests use the inherent `next`).
        let next = within(deadline, StreamExt::next(&mut execution)).await;
        match next {
            Some(Ok(m)) => out.messages.push(m),
            Some(Err(e)) => out.errors.push((out.messages.len(), e)),
            None => break,
        }
    }
    out
}

/// Awaits `fut`, panicking if `deadline` passes first.
pub async fn within<F: Future>(deadline: Instant, fut: F) -> F::Output {
    futures_lite::future::or(fut, async {
        async_io::Timer::at(deadline).await;
        panic!("timed out waiting ({}s)", PATIENCE.as_secs());
    })
    .await
}

/// True while a process with this pid exists (including as an unreaped zombie).
pub fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits (polling) until `cond` holds, up to `limit`; returns whether it did.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The entries left in a scratch folder.
pub fn leftovers(root: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(root) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => Vec::new(),
    }
}

/// Runs a test body under async-std's executor.
pub fn on_async_std<F: Future>(fut: F) -> F::Output {
    async_std::task::block_on(fut)
}

/// Runs a test body under smol's executor.
pub fn on_smol<F: Future>(fut: F) -> F::Output {
    smol::block_on(fut)
}

/// Keeps the mock's idle HTTP worker threads busy with idle keep-alive connections, so that
/// a burst of new connections each gets a fresh thread.
///
/// Why: tiny_http (under `ZampMock`) serves each connection on a pool thread for the whole
/// life of the connection, and its pool can queue a new connection for a waiting thread
/// that another connection of the same burst already took (it counts waiters before they
/// wake). The queued connection then waits until some connection closes; with a pooled
/// client holding its connections open, that is never, and the request times out. Once no
/// thread is waiting, every new connection gets a new thread, so the race cannot happen.
/// Keep the returned streams alive for the test's duration.
pub fn occupy_idle_mock_threads(base_url: &str, token: &str) -> Vec<std::net::TcpStream> {
    use std::io::{Read, Write};
    let addr = base_url.trim_start_matches("http://");
    let addr = addr.split('/').next().unwrap_or(addr);
    let mut held = Vec::new();
    // tiny_http starts 4 threads; a few more cover threads left idle by earlier requests.
    for _ in 0..8 {
        let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
            continue;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "GET /warm-up HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n"
        );
        if stream.write_all(request.as_bytes()).is_err() {
            continue;
        }
        // The answer proves a thread has taken this connection (it now waits for the next
        // request on it).
        let mut buf = [0u8; 512];
        if matches!(stream.read(&mut buf), Ok(n) if n > 0) {
            held.push(stream);
        }
    }
    held
}
