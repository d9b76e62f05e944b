//! The drive loop of one agent execution.
//!
//! Each execution gets a dedicated thread running [`async_io::block_on`] (async-io's
//! reactor) over one hand-written future, [`Driver`]. It owns the child process, its three
//! pipes, the private folder and core's [`AgentRun`], and it talks to the consumer
//! ([`Execution`](crate::Execution)) through a bounded `async_channel`. Because it does not
//! run on the consumer's executor, it keeps reading the CLI's output, draining stderr and
//! honouring timeouts whatever the consumer does, and it notices at once when the consumer
//! goes away.
//!
//! Every decision is core's: after each input (bytes, end of file, exit, timer, cancel)
//! the loop drains [`AgentRun::poll_output`] completely and carries out what it says.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Instant;

use ampere_core::message::Message;
use ampere_core::options::AmpOptions;
use ampere_core::plan::{PromptKind, StdinPlan};
use ampere_core::run::{AgentError, AgentRun, ExitInfo, RunConfig, RunOutput};
use ampere_runtime_common::{
    exit_info, is_ignorable_stdin_error, prepare_execution, signal_group, CliSettings, PrivateDir,
};
use async_channel::{Sender, TrySendError};
use async_process::{ChildStderr, ChildStdin, ChildStdout};

use crate::agent::InputStream;
use futures_lite::io::{AsyncRead, AsyncWrite};

/// How much is read from a pipe at a time.
const READ_CHUNK: usize = 256 * 1024;

/// Capacity of the channel between the driver and the consumer.
pub(crate) const CHANNEL_CAPACITY: usize = 32;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What the driver hands the consumer.
#[derive(Debug)]
pub(crate) enum Event {
    /// A message, or a recoverable error about one stdout line.
    Item(Result<Message, AgentError>),
    /// The error that ended the run; nothing follows it.
    Final(AgentError),
}

/// What the consumer can see of a running execution (for diagnostics and tests).
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    pub(crate) pid: OnceLock<u32>,
    pub(crate) private_dir: OnceLock<PathBuf>,
}

/// Everything the driver thread needs.
pub(crate) struct Job {
    pub(crate) cli: CliSettings,
    pub(crate) run: RunConfig,
    pub(crate) options: AmpOptions,
    pub(crate) prompt: JobPrompt,
    pub(crate) out: Sender<Event>,
    pub(crate) diagnostics: Arc<Diagnostics>,
    /// Dropped when the driver is completely done (child reaped, folder removed).
    pub(crate) done: Sender<()>,
}

/// The prompt as the driver takes it.
pub(crate) enum JobPrompt {
    Text(String),
    Stream(InputStream),
}

/// Runs one execution to its end. Called on the driver thread inside `block_on`.
pub(crate) async fn run_job(job: Job) {
    let Job {
        cli,
        run,
        options,
        prompt,
        out,
        diagnostics,
        done,
    } = job;
    let (kind, input) = match prompt {
        JobPrompt::Text(text) => (PromptKind::Text(text), None),
        JobPrompt::Stream(stream) => (PromptKind::Stream, Some(stream)),
    };
    let prepared = match prepare_execution(&options, kind, &cli) {
        Ok(p) => p,
        Err(error) => {
            let _ = out.send(Event::Final(error)).await;
            return;
        }
    };
    if out.is_closed() {
        // The consumer left before anything was started.
        return;
    }
    let program = prepared.cli.program.display().to_string();
    let mut command = async_process::Command::from(prepared.command);
    // `async_process::Command::from` forgets the std command's stdio settings.
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            let error = AgentError::io(format!("spawning {program}"), &error);
            let _ = out.send(Event::Final(error)).await;
            return;
        }
    };
    let pid = child.id();
    let _ = diagnostics.pid.set(pid);
    let mut unwind_guard = KillOnUnwind { pid, armed: true };
    if let Some(dir) = &prepared.private_dir {
        let _ = diagnostics.private_dir.set(dir.path().to_path_buf());
    }
    tracing::debug!(target: "ampere", pid, "the Amp CLI started");

    let (stdin_buf, input) = match prepared.stdin {
        StdinPlan::Text(bytes) => (bytes, None),
        _ => (Vec::new(), input),
    };
    let closed = {
        let out = out.clone();
        Box::pin(async move { out.closed().await }) as BoxFuture<()>
    };
    let mut driver = Driver {
        run: AgentRun::new(run, Instant::now()),
        pid,
        stdout: child.stdout.take(),
        stderr: child.stderr.take(),
        stdin: child.stdin.take(),
        stdin_buf,
        stdin_pos: 0,
        input,
        status: Box::pin(child.status()),
        exited: false,
        out,
        closed,
        sending: None,
        pending: VecDeque::new(),
        consumer_gone: false,
        finished: false,
        timer: async_io::Timer::never(),
        timer_deadline: None,
        buf: vec![0; READ_CHUNK],
        private_dir: prepared.private_dir,
    };
    futures_lite::future::poll_fn(|cx| driver.poll(cx)).await;
    // The run is over: the child has been reaped.
    unwind_guard.armed = false;
    drop(driver);
    drop(child);
    drop(done);
}

/// Kills the child's process group if the driver unwinds (a panic) before the child was
/// reaped, so a bug never leaves the CLI running.
struct KillOnUnwind {
    pid: u32,
    armed: bool,
}

impl Drop for KillOnUnwind {
    fn drop(&mut self) {
        if self.armed && std::thread::panicking() {
            let _ = signal_group(self.pid, ampere_core::run::Signal::Kill);
        }
    }
}

struct Driver {
    run: AgentRun,
    pid: u32,
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
    stdin: Option<ChildStdin>,
    /// Bytes waiting to be written to stdin, from `stdin_pos` on.
    stdin_buf: Vec<u8>,
    stdin_pos: usize,
    /// More input to come (stream prompts); `None` once it has ended.
    input: Option<InputStream>,
    status: BoxFuture<io::Result<ExitStatus>>,
    exited: bool,
    out: Sender<Event>,
    /// Resolves when the consumer has dropped (or cancelled) the execution.
    closed: BoxFuture<()>,
    /// An event waiting for room in the channel.
    sending: Option<BoxFuture<bool>>,
    pending: VecDeque<Event>,
    consumer_gone: bool,
    finished: bool,
    timer: async_io::Timer,
    timer_deadline: Option<Instant>,
    buf: Vec<u8>,
    private_dir: Option<PrivateDir>,
}

impl Driver {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let mut progress = false;
            if !self.consumer_gone && self.closed.as_mut().poll(cx).is_ready() {
                self.consumer_left();
                progress = true;
            }
            progress |= self.poll_deliver(cx);
            if self.finished {
                if self.consumer_gone || (self.pending.is_empty() && self.sending.is_none()) {
                    return Poll::Ready(());
                }
            } else {
                progress |= self.poll_stdout(cx);
                progress |= self.poll_stderr(cx);
                progress |= self.poll_stdin(cx);
                progress |= self.poll_exit(cx);
                progress |= self.poll_timer(cx);
            }
            if !progress {
                return Poll::Pending;
            }
        }
    }

    /// Drains every output of the run and carries it out.
    fn drain(&mut self) {
        while let Some(output) = self.run.poll_output() {
            match output {
                RunOutput::Item(item) if !self.consumer_gone => {
                    self.pending.push_back(Event::Item(item));
                }
                RunOutput::Item(_) => {}
                RunOutput::Signal(signal) => {
                    tracing::debug!(target: "ampere", pid = self.pid, ?signal, "signalling the Amp CLI's process group");
                    if let Err(error) = signal_group(self.pid, signal) {
                        tracing::warn!(target: "ampere", pid = self.pid, %error, "could not signal the Amp CLI");
                    }
                }
                RunOutput::Finished(outcome) => {
                    self.finished = true;
                    // No more input: a session's `send` fails from now on.
                    self.input = None;
                    self.stdin = None;
                    // The folder goes before the consumer sees the end of the stream.
                    if let Some(dir) = self.private_dir.take() {
                        if let Err(error) = dir.remove() {
                            tracing::warn!(target: "ampere", %error, "could not remove the private folder");
                        }
                    }
                    if let Err(error) = outcome {
                        if !self.consumer_gone {
                            self.pending.push_back(Event::Final(error));
                        }
                    }
                }
                #[allow(unreachable_patterns)]
                _ => {}
            }
        }
    }

    fn consumer_left(&mut self) {
        self.consumer_gone = true;
        self.pending.clear();
        self.sending = None;
        self.input = None;
        if !self.finished {
            self.run.cancel(Instant::now());
            self.drain();
        }
    }

    /// Moves pending events into the channel, as far as it has room.
    fn poll_deliver(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        loop {
            if let Some(sending) = self.sending.as_mut() {
                match sending.as_mut().poll(cx) {
                    Poll::Ready(true) => {
                        self.sending = None;
                        progress = true;
                    }
                    Poll::Ready(false) => {
                        self.sending = None;
                        self.consumer_left();
                        return true;
                    }
                    Poll::Pending => return progress,
                }
            }
            if self.consumer_gone {
                return progress;
            }
            let Some(event) = self.pending.pop_front() else {
                return progress;
            };
            progress = true;
            match self.out.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Full(event)) => {
                    let out = self.out.clone();
                    self.sending = Some(Box::pin(async move { out.send(event).await.is_ok() }));
                }
                Err(TrySendError::Closed(_)) => {
                    self.consumer_left();
                    return true;
                }
            }
        }
    }

    fn poll_stdout(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(stdout) = self.stdout.as_mut() else {
            return false;
        };
        match Pin::new(stdout).poll_read(cx, &mut self.buf) {
            Poll::Ready(Ok(0)) => {
                self.stdout = None;
                self.run.handle_stdout_eof(Instant::now());
            }
            Poll::Ready(Ok(n)) => self.run.handle_stdout(&self.buf[..n], Instant::now()),
            Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::Interrupted => return true,
            Poll::Ready(Err(error)) => {
                self.stdout = None;
                let now = Instant::now();
                self.run
                    .fail(AgentError::io("reading the Amp CLI's stdout", &error), now);
                self.run.handle_stdout_eof(now);
            }
            Poll::Pending => return false,
        }
        self.drain();
        true
    }

    fn poll_stderr(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(stderr) = self.stderr.as_mut() else {
            return false;
        };
        match Pin::new(stderr).poll_read(cx, &mut self.buf) {
            Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => {
                // End of stderr (or an unreadable pipe).
                self.stderr = None;
                self.run.handle_stderr_eof(Instant::now());
            }
            Poll::Ready(Ok(n)) => self.run.handle_stderr(&self.buf[..n]),
            Poll::Pending => return false,
        }
        self.drain();
        true
    }

    fn poll_stdin(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        loop {
            let Some(stdin) = self.stdin.as_mut() else {
                return progress;
            };
            if self.stdin_pos < self.stdin_buf.len() {
                match Pin::new(stdin).poll_write(cx, &self.stdin_buf[self.stdin_pos..]) {
                    Poll::Ready(Ok(n)) => {
                        self.stdin_pos += n;
                        progress = true;
                        if n == 0 {
                            self.stdin_failed(&io::Error::from(io::ErrorKind::WriteZero));
                        }
                    }
                    Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::Interrupted => {}
                    Poll::Ready(Err(error)) => {
                        self.stdin_failed(&error);
                        return true;
                    }
                    Poll::Pending => return progress,
                }
                continue;
            }
            let Some(input) = self.input.as_mut() else {
                // All input written: flush and close stdin (the CLI reads to end of file).
                match Pin::new(stdin).poll_flush(cx) {
                    Poll::Ready(result) => {
                        if let Err(error) = result {
                            self.stdin_failed(&error);
                        }
                        self.stdin = None;
                        return true;
                    }
                    Poll::Pending => return progress,
                }
            };
            match input.as_mut().poll_next(cx) {
                Poll::Ready(Some(message)) => {
                    self.stdin_buf = message.to_json_line();
                    self.stdin_pos = 0;
                }
                Poll::Ready(None) => self.input = None,
                Poll::Pending => return progress,
            }
            progress = true;
        }
    }

    /// Writing to stdin failed: a closed pipe only means the CLI stopped reading (its exit
    /// tells the story); anything else ends the run with that error.
    fn stdin_failed(&mut self, error: &io::Error) {
        self.stdin = None;
        self.input = None;
        if !is_ignorable_stdin_error(error) {
            self.run.fail(
                AgentError::io("writing to the Amp CLI's stdin", error),
                Instant::now(),
            );
            self.drain();
        }
    }

    fn poll_exit(&mut self, cx: &mut Context<'_>) -> bool {
        if self.exited {
            return false;
        }
        let info = match self.status.as_mut().poll(cx) {
            Poll::Ready(Ok(status)) => exit_info(status),
            Poll::Ready(Err(error)) => {
                self.run.fail(
                    AgentError::io("waiting for the Amp CLI to exit", &error),
                    Instant::now(),
                );
                ExitInfo::default()
            }
            Poll::Pending => return false,
        };
        self.exited = true;
        self.run.handle_exit(info, Instant::now());
        self.drain();
        true
    }

    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(deadline) = self.run.poll_timeout() else {
            self.timer_deadline = None;
            return false;
        };
        let now = Instant::now();
        if now < deadline {
            if self.timer_deadline != Some(deadline) {
                self.timer.set_at(deadline);
                self.timer_deadline = Some(deadline);
            }
            if Pin::new(&mut self.timer).poll(cx).is_pending() {
                return false;
            }
        }
        self.timer_deadline = None;
        self.run.handle_timeout(Instant::now());
        self.drain();
        true
    }
}
