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
