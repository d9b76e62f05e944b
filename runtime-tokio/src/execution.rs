//! One running execution of the Amp CLI: the [`Execution`] stream handed to the user and the
//! driver task that carries out [`AgentRun`]'s decisions.

use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use ampere_core::message::{Message, UserInputMessage};
use ampere_core::options::AmpOptions;
use ampere_core::plan::{PromptKind, StdinPlan};
use ampere_core::run::{AgentError, AgentRun, ExitInfo, RunConfig, RunOutput, Signal};
use ampere_runtime_common::{
    exit_info, is_ignorable_stdin_error, prepare_execution, signal_group, CliSettings, PrivateDir,
};
use futures_core::Stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A boxed stream of user messages: the input of a multi-turn execution
/// (see [`Prompt::stream`]).
pub type InputStream = Pin<Box<dyn Stream<Item = UserInputMessage> + Send + 'static>>;

/// What the agent is asked: one text prompt, or a stream of user messages for a multi-turn
/// conversation (`--stream-json-input`).
///
/// ```
/// use ampere_tokio::{create_user_message, Prompt};
///
/// let text: Prompt = "What files are in this directory?".into();
/// let (tx, rx) = tokio::sync::mpsc::channel(8);
/// let conversation: Prompt = rx.into();
/// # drop((text, conversation, tx, create_user_message("hi")));
/// ```
pub enum Prompt {
    /// One text prompt: written to the CLI's stdin followed by a newline, then stdin is
    /// closed.
    Text(String),
    /// User messages, each written as one JSON line as it arrives; stdin is closed when the
    /// stream ends, and the CLI exits once it has answered the last one.
    Stream(InputStream),
}

impl Prompt {
    /// A multi-turn prompt from any stream of user messages.
    pub fn stream<S>(messages: S) -> Prompt
    where
        S: Stream<Item = UserInputMessage> + Send + 'static,
    {
        Prompt::Stream(Box::pin(messages))
    }
}

impl fmt::Debug for Prompt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prompt::Text(text) => f.debug_tuple("Text").field(text).finish(),
            Prompt::Stream(_) => f.write_str("Stream(..)"),
        }
    }
}

impl From<&str> for Prompt {
    fn from(text: &str) -> Self {
        Prompt::Text(text.to_string())
    }
}

impl From<String> for Prompt {
    fn from(text: String) -> Self {
        Prompt::Text(text)
    }
}

impl From<&String> for Prompt {
    fn from(text: &String) -> Self {
        Prompt::Text(text.clone())
    }
}

impl From<mpsc::Receiver<UserInputMessage>> for Prompt {
    /// Every message sent on the channel is one turn; dropping every sender ends the input.
    fn from(receiver: mpsc::Receiver<UserInputMessage>) -> Self {
        Prompt::stream(ReceiverStream(receiver))
    }
}

/// A `tokio::sync::mpsc::Receiver` as a `Stream`.
pub(crate) struct ReceiverStream<T>(pub(crate) mpsc::Receiver<T>);

impl<T> Stream for ReceiverStream<T> {
    type Item = T;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.0.poll_recv(cx)
    }
}

/// What the driver sends to the [`Execution`].
#[derive(Debug)]
pub(crate) enum Event {
    /// A message, or a recoverable error for one stdout line.
    Item(Result<Message, AgentError>),
    /// The error that ended the run; nothing follows.
    End(AgentError),
}

/// Capacity of the channel between the driver and the [`Execution`].
const CHANNEL_CAPACITY: usize = 32;
/// Size of one stdout / stderr read.
const READ_CHUNK: usize = 64 * 1024;

/// One running execution of the Amp agent: a [`Stream`] of its messages.
///
/// It yields each message as its line arrives, a recoverable [`AgentError::Decode`] in
/// place of a line that could not be decoded (decoding goes on), and at most one final
/// error (a process failure, a timeout, ...) after every message; then it ends.
///
/// Dropping it before the end terminates the CLI's process group (`SIGTERM`, then
/// `SIGKILL` after the kill grace), reaps the child and removes its private folder, in the
/// background; [`cancel`](Execution::cancel) does the same and waits for it.
///
/// ```no_run
/// use ampere_tokio::{execute, AmpOptions, Message};
///
/// # async fn demo() -> Result<(), ampere_tokio::AgentError> {
/// let mut execution = execute("What files are in this directory?", AmpOptions::default());
/// while let Some(message) = execution.next().await {
///     if let Message::Result(result) = message? {
///         println!("Result: {}", result.result);
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct Execution {
    rx: Option<mpsc::Receiver<Event>>,
    driver: Option<JoinHandle<()>>,
    pid: Option<u32>,
    private_dir: Option<PathBuf>,
    warnings: Vec<String>,
    ended: bool,
}

impl fmt::Debug for Execution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Execution")
            .field("pid", &self.pid)
            .field("private_dir", &self.private_dir)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl Execution {
    /// An execution that failed before anything was spawned: it yields `error` and ends.
    pub(crate) fn failed(error: AgentError) -> Execution {
        let (tx, rx) = mpsc::channel(1);
        // The channel is new and has room for one event.
        let _ = tx.try_send(Event::End(error));
        Execution {
            rx: Some(rx),
            driver: None,
            pid: None,
            private_dir: None,
            warnings: Vec::new(),
            ended: false,
        }
    }

    /// Diagnostics: the process id of the CLI (also its process group id), or `None` when
    /// nothing was spawned. The process may have exited already.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Diagnostics: the private folder holding the generated settings / MCP files of this
    /// execution, when it needed one. It is removed when the execution ends, before the
    /// stream ends.
    pub fn private_dir(&self) -> Option<&Path> {
        self.private_dir.as_deref()
    }

    /// Warnings of the invocation plan, such as local-only options that are not applied
    /// with a remote executor (also logged with `tracing::warn!`).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Whether the stream has ended (its last item was yielded).
    pub fn is_finished(&self) -> bool {
        self.ended
    }

    /// The next message (or error); `None` once the execution is over.
    ///
    /// The same as `StreamExt::next`, without needing a stream-combinator crate.
    pub async fn next(&mut self) -> Option<Result<Message, AgentError>> {
        std::future::poll_fn(|cx| self.poll_event(cx))
            .await
            .map(Event::into_result)
    }

    /// Ends the execution early and waits until the CLI's process group has been stopped
    /// (`SIGTERM`, then `SIGKILL` after the kill grace), the child reaped and the private
    /// folder removed.
    pub async fn cancel(mut self) {
        self.rx = None;
        if let Some(driver) = self.driver.take() {
            // A driver that panicked has dropped (and so killed and removed) everything.
            let _ = driver.await;
        }
    }

    pub(crate) fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let Some(rx) = self.rx.as_mut() else {
            self.ended = true;
            return Poll::Ready(None);
        };
        match rx.poll_recv(cx) {
            Poll::Ready(None) => {
                self.ended = true;
                self.rx = None;
                Poll::Ready(None)
            }
            other => other,
        }
    }
}

impl Event {
    pub(crate) fn into_result(self) -> Result<Message, AgentError> {
        match self {
            Event::Item(item) => item,
            Event::End(error) => Err(error),
        }
    }
}

impl Stream for Execution {
    type Item = Result<Message, AgentError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_event(cx).map(|e| e.map(Event::into_result))
    }
}

impl futures_core::FusedStream for Execution {
    fn is_terminated(&self) -> bool {
        self.ended
    }
}

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Starts one execution: plans and prepares it (nothing is spawned on a validation error),
/// spawns the CLI and the driver task.
pub(crate) fn start(
    cli: &CliSettings,
    run_config: RunConfig,
    prompt: Prompt,
    options: &AmpOptions,
) -> Execution {
    if tokio::runtime::Handle::try_current().is_err() {
        return Execution::failed(AgentError::Io {
            context: "starting the Amp CLI".to_string(),
            kind: std::io::ErrorKind::Other,
            message: "ampere-tokio must be used from within a Tokio runtime".to_string(),
        });
    }
    let (kind, input) = match prompt {
        Prompt::Text(text) => (PromptKind::Text(text), None),
        Prompt::Stream(stream) => (PromptKind::Stream, Some(stream)),
    };
    let prepared = match prepare_execution(options, kind, cli) {
        Ok(prepared) => prepared,
        Err(error) => return Execution::failed(error),
    };
    let mut command = tokio::process::Command::from(prepared.command);
    command.kill_on_drop(true);
    let run = AgentRun::new(run_config, now());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            let context = format!("spawning {}", prepared.cli.program.display());
            return Execution::failed(AgentError::io(context, &error));
        }
    };
    let pid = child.id();
    tracing::debug!(target: "ampere", pid, "spawned the Amp CLI");
    let private_dir_path = prepared
        .private_dir
        .as_ref()
        .map(|d| d.path().to_path_buf());
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let writer =
        stdin.map(|stdin| AbortOnDrop(tokio::spawn(write_stdin(stdin, prepared.stdin, input))));
    let driver = Driver {
        guard: KillGuard { pid },
        group: pid,
        child,
        run,
        tx,
        stdout,
        stderr,
        writer,
        private_dir: prepared.private_dir,
    };
    Execution {
        rx: Some(rx),
        driver: Some(tokio::spawn(driver.drive())),
        pid,
        private_dir: private_dir_path,
        warnings: prepared.warnings,
        ended: false,
    }
}

/// Writes the prompt to the CLI's stdin, then closes it.
async fn write_stdin(
    mut stdin: ChildStdin,
    plan: StdinPlan,
    input: Option<InputStream>,
) -> std::io::Result<()> {
    match plan {
        StdinPlan::Text(bytes) => stdin.write_all(&bytes).await?,
        StdinPlan::Stream => {
            if let Some(mut input) = input {
                while let Some(message) =
                    std::future::poll_fn(|cx| input.as_mut().poll_next(cx)).await
                {
                    stdin.write_all(&message.to_json_line()).await?;
                    stdin.flush().await?;
                }
            }
        }
    }
    stdin.flush().await?;
    drop(stdin);
    Ok(())
}

/// Aborts a helper task when the driver goes away.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> AbortOnDrop<T> {
    /// Aborts the task and waits until it is gone (its captures dropped).
    async fn abort_and_wait(mut self) {
        self.0.abort();
        let _ = (&mut self.0).await;
    }
}

/// Last resort: if the driver itself is dropped before the child was reaped (the runtime is
/// shutting down), kill the whole process group.
struct KillGuard {
    pid: Option<u32>,
}

impl Drop for KillGuard {
    fn drop(&mut self) {
        if let Some(pid) = self.pid.take() {
            let _ = signal_group(pid, Signal::Kill);
        }
    }
}

/// Owns the child, its pipes, the private folder and the [`AgentRun`].
///
/// Field order is drop order: the process group is killed before the folder is removed.
struct Driver {
    guard: KillGuard,
    child: Child,
    run: AgentRun,
    tx: mpsc::Sender<Event>,
    /// The child's process group id (its pid), kept after the reap for the core's
    /// leftover-group `SIGKILL`.
    group: Option<u32>,
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
    writer: Option<AbortOnDrop<std::io::Result<()>>>,
    private_dir: Option<PrivateDir>,
}

/// What woke the drive loop.
enum Wake {
    Sent,
    ConsumerGone,
    Stdout(std::io::Result<usize>),
    Stderr(std::io::Result<usize>),
    Exited(std::io::Result<std::process::ExitStatus>),
    StdinDone(Result<std::io::Result<()>, tokio::task::JoinError>),
    Timer,
}

impl Driver {
    async fn drive(mut self) {
        let mut out_buf = vec![0u8; READ_CHUNK];
        let mut err_buf = vec![0u8; READ_CHUNK];
        let mut pending: VecDeque<Event> = VecDeque::new();
        let mut consumer_gone = false;
        let mut exited = false;
        loop {
            // Every input is followed by a full drain.
            let mut finished = None;
            while let Some(output) = self.run.poll_output() {
                match output {
                    RunOutput::Item(item) => {
                        if !consumer_gone {
                            pending.push_back(Event::Item(item));
                        }
                    }
                    RunOutput::Signal(signal) => self.signal(signal),
                    RunOutput::Finished(outcome) => {
                        finished = Some(outcome);
                        break;
                    }
                }
            }
            if let Some(outcome) = finished {
                self.finish(outcome, pending, consumer_gone).await;
                return;
            }

            // Check the deadline before polling the sleep.
            let deadline = self.run.poll_timeout();
            if let Some(deadline) = deadline {
                let now_at = now();
                if now_at >= deadline {
                    self.run.handle_timeout(now_at);
                    continue;
                }
            }
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                    None => std::future::pending().await,
                }
            };

            let can_send = !consumer_gone && !pending.is_empty();
            // The CLI's output is always read as it comes, even while the consumer is slow:
            // the idle timeout then measures exactly the CLI's silence (as in every runtime),
            // and undelivered messages wait in `pending`.
            let read_stdout = self.stdout.is_some();
            let read_stderr = self.stderr.is_some();
            let writing = self.writer.is_some();
            let wake = {
                let tx = &self.tx;
                let stdout = &mut self.stdout;
                let stderr = &mut self.stderr;
                let child = &mut self.child;
                let writer = &mut self.writer;
                tokio::select! {
                    permit = tx.reserve(), if can_send => match permit {
                        Ok(permit) => {
                            if let Some(event) = pending.pop_front() {
                                permit.send(event);
                            }
                            Wake::Sent
                        }
                        Err(_) => Wake::ConsumerGone,
                    },
                    _ = tx.closed(), if !consumer_gone && !can_send => Wake::ConsumerGone,
                    n = read_some(stdout, &mut out_buf), if read_stdout => Wake::Stdout(n),
                    n = read_some(stderr, &mut err_buf), if read_stderr => Wake::Stderr(n),
                    status = child.wait(), if !exited => Wake::Exited(status),
                    done = join(writer), if writing => Wake::StdinDone(done),
                    _ = sleep => Wake::Timer,
                }
            };

            match wake {
                Wake::Sent => {}
                Wake::ConsumerGone => {
                    tracing::debug!(target: "ampere", pid = self.guard.pid, "consumer gone: cancelling the Amp CLI");
                    consumer_gone = true;
                    pending.clear();
                    self.run.cancel(now());
                }
                Wake::Stdout(Ok(0)) => {
                    self.stdout = None;
                    self.run.handle_stdout_eof(now());
                }
                Wake::Stdout(Ok(n)) => self.run.handle_stdout(&out_buf[..n], now()),
                Wake::Stdout(Err(error)) => {
                    self.stdout = None;
                    let now = now();
                    self.run
                        .fail(AgentError::io("reading the Amp CLI's stdout", &error), now);
                    self.run.handle_stdout_eof(now);
                }
                Wake::Stderr(Ok(n)) if n > 0 => self.run.handle_stderr(&err_buf[..n]),
                Wake::Stderr(result) => {
                    if let Err(error) = result {
                        tracing::warn!(target: "ampere", %error, "cannot read the Amp CLI's stderr");
                    }
                    self.stderr = None;
                    self.run.handle_stderr_eof(now());
                }
                Wake::Exited(Ok(status)) => {
                    exited = true;
                    // Reaped: the pid may be reused from now on, never signal it again.
                    self.guard.pid = None;
                    tracing::debug!(target: "ampere", %status, "the Amp CLI exited");
                    self.run.handle_exit(exit_info(status), now());
                }
                Wake::Exited(Err(error)) => {
                    exited = true;
                    let now = now();
                    self.run
                        .fail(AgentError::io("waiting for the Amp CLI", &error), now);
                    self.run.handle_exit(ExitInfo::default(), now);
                }
                Wake::StdinDone(result) => {
                    self.writer = None;
                    match result {
                        Ok(Ok(())) => {}
                        Ok(Err(error)) if is_ignorable_stdin_error(&error) => {
                            tracing::debug!(target: "ampere", %error, "the Amp CLI closed its stdin");
                        }
                        Ok(Err(error)) => self.run.fail(
                            AgentError::io("writing to the Amp CLI's stdin", &error),
                            now(),
                        ),
                        Err(join_error) => {
                            // The user's input stream panicked: end the run.
                            let error = std::io::Error::other(join_error.to_string());
                            self.run.fail(
                                AgentError::io("producing the input messages", &error),
                                now(),
                            );
                        }
                    }
                }
                Wake::Timer => self.run.handle_timeout(now()),
            }
        }
    }

    fn signal(&self, signal: Signal) {
        // Before the reap, signal the group led by the child. After it, only the core's
        // leftover-group SIGKILL is sent (the group id stays valid while members remain).
        let target = match (self.guard.pid, signal) {
            (Some(pid), _) => Some(pid),
            (None, Signal::Kill) => self.group,
            (None, _) => None,
        };
        if let Some(pid) = target {
            tracing::debug!(target: "ampere", pid, ?signal, "signalling the Amp CLI's process group");
            if let Err(error) = signal_group(pid, signal) {
                tracing::warn!(target: "ampere", pid, ?signal, %error, "cannot signal the Amp CLI");
            }
        }
    }

    async fn finish(
        mut self,
        outcome: Result<(), AgentError>,
        pending: VecDeque<Event>,
        consumer_gone: bool,
    ) {
        // Remove the private folder before the end of the stream is visible.
        if let Some(dir) = self.private_dir.take() {
            let path = dir.path().to_path_buf();
            if let Err(error) = dir.remove() {
                tracing::warn!(target: "ampere", %error, path = %path.display(), "cannot remove the private folder");
            }
        }
        self.stdout = None;
        self.stderr = None;
        // Wait until the stdin writer is gone: a session's input channel is closed before
        // the end of the stream is visible, so a later `send` fails.
        if let Some(writer) = self.writer.take() {
            writer.abort_and_wait().await;
        }
        match &outcome {
            Ok(()) => tracing::debug!(target: "ampere", "the Amp CLI execution finished"),
            Err(error) => tracing::debug!(target: "ampere", %error, "the Amp CLI execution failed"),
        }
        if consumer_gone {
            return;
        }
        for event in pending {
            if self.tx.send(event).await.is_err() {
                return;
            }
        }
        if let Err(error) = outcome {
            let _ = self.tx.send(Event::End(error)).await;
        }
    }
}

/// Reads from an open pipe (the branch is disabled when it is closed).
async fn read_some<R: tokio::io::AsyncRead + Unpin>(
    pipe: &mut Option<R>,
    buf: &mut [u8],
) -> std::io::Result<usize> {
    match pipe {
        Some(pipe) => pipe.read(buf).await,
        None => std::future::pending().await,
    }
}

/// Waits for the stdin writer (the branch is disabled when there is none).
async fn join<T>(writer: &mut Option<AbortOnDrop<T>>) -> Result<T, tokio::task::JoinError> {
    match writer {
        Some(AbortOnDrop(handle)) => handle.await,
        None => std::future::pending().await,
    }
}
